import { loadConfig } from '../core/config';
import { createLogger } from '../core/logger';
import { loadPlan } from '../core/plan/load';
import { ensureInitialSnapshot } from '../activities/publish/initial';
import { createHeraldWorker } from './createWorker';

// The worker process: config → plan → activities → Worker; SIGINT/SIGTERM drain it (the SDK's
// default shutdown signals), then the connection closes.
async function main() {
  const config = loadConfig();
  const log = createLogger('herald-worker', config.logLevel);
  const plan = loadPlan(config.planFile, config.templatesDir);
  if (await ensureInitialSnapshot(config, plan)) log.info({ dir: config.publicDir }, 'published the initial all-operational snapshot');
  const { worker, connection, client, store, closeProviders } = await createHeraldWorker({ config, plan, ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : {}) });
  log.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker running');
  try {
    await worker.run();
  } finally {
    await client.connection.close();
    await connection.close();
    await closeProviders();
    await store.close();
    log.info('worker stopped');
  }
}

main().catch((err) => {
  console.error(`herald worker: ${(err as Error).message}`);
  process.exit(1);
});
