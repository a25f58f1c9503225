import { join } from 'node:path';
import cluster from 'node:cluster';
import { loadConfig } from '../core/config';
import { createLogger } from '../core/logger';
import { createStatusServer } from './statusServer';

// The public status server process. Reads nothing but the published directory. With
// HERALD_STATUS_WORKERS > 1 (the default, auto: one per CPU, as nginx's worker_processes auto) a primary process forks that
// many servers sharing the port, restarts any that dies, and stops them all on SIGTERM/SIGINT.
const config = loadConfig();
const log = createLogger('herald-status', config.logLevel);

if (cluster.isPrimary && config.statusWorkers > 1) {
  let stopping = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < config.statusWorkers; i++) fork();
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === config.statusWorkers)
      log.info({ port: config.statusPort, dir: config.publicDir, workers: config.statusWorkers }, 'status server listening');
  });
  cluster.on('exit', (worker, code) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    // A worker that cannot listen (port taken) exits 1 at once: give up instead of looping.
    if (code === 1 && listening === 0) {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
      process.exit(1);
    }
    log.warn({ pid: worker.process.pid, code }, 'status worker exited; starting another');
    fork();
  });
  const stop = () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const w of workers) w?.kill('SIGTERM');
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else {
  // The page's subscribe form posts to the API.
  const status = createStatusServer(config.publicDir, {
    formAction: [new URL(config.api.subscriptions.apiPublicUrl).origin],
    // Drills publish their own snapshot; drill messages link it under /drill/.
    drillDir: join(config.dataDir, 'drill', 'public'),
  });
  status.server.on('error', (err) => {
    console.error(`herald status: cannot listen on ${config.bind}:${config.statusPort}: ${err.message}`);
    process.exit(1);
  });
  // Listen once the last published snapshot is in memory, so the first answers are never 404s.
  void status.ready.then(() =>
    status.server.listen(config.statusPort, config.bind, () => {
      if (cluster.isPrimary) log.info({ port: config.statusPort, dir: config.publicDir }, 'status server listening');
    }),
  );
  const stop = () => void status.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
