import type { HeraldConfig } from '../core/config';
import type { Plan } from '../core/plan/schema';

export interface ActivityDeps {
  config: HeraldConfig;
  plan: Plan;
}

/** Every activity the worker registers, built from its dependencies so tests can pass their own. */
export function createActivities(_deps: ActivityDeps) {
  return {};
}

export type HeraldActivities = ReturnType<typeof createActivities>;
