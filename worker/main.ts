import { loadConfig } from '../core/config';
import { createLogger } from '../core/logger';
import { loadPlan } from '../core/plan/load';
import { ensureInitialSnapshot } from '../activities/publish/initial';
import { createHeraldWorker } from './createWorker';
import { createWorkerMetrics, serveWorkerMetrics, workerMetricsAddress } from './metrics';

// The worker process: config → plan → activities → Worker; SIGINT/SIGTERM drain it (the SDK's
// default shutdown signals), then the connection closes.
async function main() {
  const config = loadConfig();
  const log = createLogger('herald-worker', config.logLevel);
  const plan = loadPlan(config.planFile, config.templatesDir);
  if (await ensureInitialSnapshot(config, plan))
    log.info({ dir: config.publicDir }, 'published the initial all-operational snapshot');
  // Delivery metrics on their own loopback listener (HERALD_WORKER_METRICS_PORT, 0 = off). A port in
  // use costs the metrics, never the worker: delivery matters more than its counters.
  const metricsAddress = workerMetricsAddress();
  const metrics = metricsAddress.port === 0 ? undefined : createWorkerMetrics();
  const metricsServer = metrics
    ? await serveWorkerMetrics(metrics.registry, metricsAddress).catch(
        (err: Error) =>
          void log.error({ err: err.message, ...metricsAddress }, 'worker metrics listener did not start; running without it'),
      )
    : undefined;
  if (metricsServer) log.info({ url: metricsServer.url }, 'worker metrics listening');
  const { worker, connection, client, store, closeProviders } = await createHeraldWorker({
    config,
    plan,
    metrics,
    ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : {}),
  });
  log.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker running');
  try {
    await worker.run();
  } finally {
    await client.connection.close();
    await connection.close();
    await closeProviders();
    await store.close();
    await metricsServer?.close();
    log.info('worker stopped');
  }
}

main().catch((err) => {
  console.error(`herald worker: ${(err as Error).message}`);
  process.exit(1);
});
