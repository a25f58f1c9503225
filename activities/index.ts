import type { Client } from '@temporalio/client';
import type { HeraldConfig } from '../core/config';
import type { Plan } from '../core/plan/schema';
import { createPublishActivities } from './publish';

export interface ActivityDeps {
  config: HeraldConfig;
  plan: Plan;
  client: Client;
}

/** Every activity the worker registers, built from its dependencies so tests can pass their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPublishActivities(deps),
  };
}

export type HeraldActivities = ReturnType<typeof createActivities>;
