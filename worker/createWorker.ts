import { join } from 'node:path';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import type { HeraldConfig } from '../core/config';
import type { Plan } from '../core/plan/schema';
import { PROJECT_ROOT } from '../core/projectRoot';
import { temporalConnectionOptions } from '../core/temporalConnection';
import { createActivities } from '../activities';
import { createProviders, type ChannelProviders } from '../activities/providers';
import { ensureSecret } from '../core/store/unsubscribe';
import { openConfiguredStore, type Store } from '../core/store';
import type { DeliveryMetrics } from './metrics';

export interface HeraldWorkerDeps {
  config: HeraldConfig;
  plan: Plan;
  /** A prebuilt bundle (tests build it once); otherwise the worker bundles workflows/ at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  connection?: NativeConnection;
  /** The store; opened from the configuration (and owned by the caller to close) when absent. */
  store?: Store;
  /** Delivery providers; built from config.delivery (and closed by `closeProviders`) when absent. */
  providers?: ChannelProviders;
  /** Delivery metrics for the worker's /metrics listener (worker/metrics.ts); none when absent. */
  metrics?: DeliveryMetrics;
}

export async function createHeraldWorker({
  config,
  plan,
  workflowBundle,
  connection,
  store: givenStore,
  providers,
  metrics,
}: HeraldWorkerDeps): Promise<{
  worker: Worker;
  connection: NativeConnection;
  ownsConnection: boolean;
  client: Client;
  store: Store;
  closeProviders: () => Promise<void>;
}> {
  const store = givenStore ?? (await openConfiguredStore(config));
  const built = providers
    ? undefined
    : createProviders(config.delivery, { webhookSecret: config.delivery.webhookSigningSecret ?? ensureSecret(config) });
  const ownsConnection = !connection;
  const conn = connection ?? (await NativeConnection.connect(temporalConnectionOptions(config.temporal)));
  // Activities that start or signal workflows (the status page, notify rounds) use their own client.
  const client = new Client({
    connection: Connection.lazy(temporalConnectionOptions(config.temporal)),
    namespace: config.temporal.namespace,
  });
  const worker = await Worker.create({
    connection: conn,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: workflowBundle ?? (await bundleWorkflows()),
    activities: createActivities({ config, plan, client, store, providers: providers ?? built, metrics }),
  });
  return { worker, connection: conn, ownsConnection, client, store, closeProviders: async () => built?.close() };
}

/** Bundles workflows/ without webpack's chatter on stdout; warnings and errors still show. */
export function bundleWorkflows(): Promise<{ code: string }> {
  const quiet = { trace() {}, debug() {}, info() {}, log() {}, warn: console.warn, error: console.error };
  // From the sources, whether this process runs them or the compiled build: the bundle tests replay is built the same way.
  return bundleWorkflowCode({ workflowsPath: join(PROJECT_ROOT, 'workflows', 'index.ts'), logger: quiet as never });
}
