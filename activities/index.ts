import type { Client } from '@temporalio/client';
import type { HeraldConfig } from '../core/config';
import type { Plan } from '../core/plan/schema';
import { createPublishActivities } from './publish';
import type { Store } from '../core/store';
import type { ChannelProviders } from './providers';
import { createDeliveryActivities } from './deliver';
import { createCorrelationActivities } from './correlation';
import { createDrillActivities } from './drill';
import { createSubscriptionActivities } from './subscriptions';
import { RegionHealth } from './providers/regions';
import type { DeliveryMetrics } from '../worker/metrics';

export interface ActivityDeps {
  config: HeraldConfig;
  plan: Plan;
  client: Client;
  /** Subscribers, rounds and the delivery ledger (core/store). */
  store: Store;
  /** Delivery providers per channel; built from config.delivery when absent (tests pass ones aimed at local fakes). */
  providers?: ChannelProviders;
  /** The worker's delivery metrics (worker/metrics.ts): messages, provider latency, failovers, guard refusals. */
  metrics?: DeliveryMetrics;
}

/** Every activity the worker registers, built from its dependencies so tests can pass their own. */
export function createActivities(deps: ActivityDeps) {
  // One view of the providers' regions: a region found down by a round is skipped by confirmations too.
  const health = new RegionHealth(deps.config.delivery.regionCooldownMs);
  return {
    ...createPublishActivities(deps),
    ...createDeliveryActivities({ ...deps, health }),
    ...createDrillActivities(deps),
    ...createCorrelationActivities(deps),
    ...createSubscriptionActivities({ ...deps, health }),
  };
}

export type HeraldActivities = ReturnType<typeof createActivities>;
