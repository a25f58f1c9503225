import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { ConfigError, loadConfig, type HeraldConfig } from '../core/config';
import { secureDataDir } from '../core/dataDir';
import { InvalidPlanError, loadPlan } from '../core/plan/load';
import type { Plan } from '../core/plan/schema';
import { temporalConnectionOptions } from '../core/temporalConnection';
import { ensureTokens } from '../core/tokens';
import { ensureInitialSnapshot } from '../activities/publish/initial';
import { bundleWorkflows } from '../worker/createWorker';
import { workerNodeOptions } from '../worker/nodeOptions';
import { workerMetricsAddress, workerMetricsUrl } from '../worker/metrics';
import { devServerChild, temporalCliPath, waitForFrontend } from './devServer';
import { ensureRetention, ensureSearchAttributes } from './setupTemporal';
import { Supervisor, type ChildSpec } from './supervisor';
import { entry } from './compiled';
import { clusterBinaries, startCluster, type RunningCluster } from './cluster/cluster';
import { clusterPorts, clusterSettings, type ClusterSettings } from './cluster/settings';

// `npm start` (the embedded dev server) and `npm run start:cluster` (PostgreSQL, Temporal's four
// services, two Herald workers): the whole system in the foreground, every process supervised
// (scripts/supervisor.ts). Every failure before the system is up is one line saying what to do, and
// nothing half-started is left running; once it is up, a process that dies is started again and
// the others go on — the status server above all. Ctrl-C or SIGTERM stops everything.

const CLUSTER = process.argv.includes('--cluster');
let supervisor: Supervisor | undefined;
let stopping = false;

class StartError extends Error {}
function fail(message: string): never {
  throw new StartError(message);
}

async function main() {
  let config: HeraldConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(`invalid configuration: ${err.message}`);
    throw err;
  }
  let plan: Plan;
  try {
    plan = loadPlan(config.planFile, config.templatesDir);
  } catch (err) {
    if (err instanceof InvalidPlanError) fail(`the plan is not valid; fix it and start again.\n${err.message}`);
    throw err;
  }
  let cluster: ClusterSettings | undefined;
  if (CLUSTER) {
    if (process.env.TEMPORAL_ADDRESS?.trim())
      fail(
        'TEMPORAL_ADDRESS is set: npm run start:cluster runs its own cluster; unset it, or use npm start to join that Temporal.',
      );
    try {
      cluster = clusterSettings(config.dataDir);
    } catch (err) {
      fail(`invalid configuration: ${(err as Error).message}`);
    }
  }

  const ports: [number, string, string][] = [
    [config.apiPort, 'HERALD_API_PORT', config.bind],
    [config.statusPort, 'HERALD_STATUS_PORT', config.bind],
  ];
  if (cluster) ports.push(...clusterPorts(cluster).map(([port, name]): [number, string, string] => [port, name, '127.0.0.1']));
  else if (config.temporal.embedded)
    ports.push(
      [config.temporal.devServerPort, 'TEMPORAL_PORT', config.bind],
      [config.temporal.uiPort, 'TEMPORAL_UI_PORT', config.bind],
    );
  for (const [port, name, host] of ports) {
    if (!(await portIsFree(port, host)))
      fail(`port ${port} (${name}) is in use: stop what uses it or set ${name.split(' ')[0]} to another port.`);
  }
  // The worker's delivery metrics: a port set on purpose must be free; the default one, when taken
  // (another Herald on this machine), only switches them off.
  let metricsAddress: ReturnType<typeof workerMetricsAddress>;
  try {
    metricsAddress = workerMetricsAddress();
  } catch (err) {
    fail(`invalid configuration: ${(err as Error).message}`);
  }
  let metricsNote = '';
  if (metricsAddress.port !== 0 && !(await portIsFree(metricsAddress.port, metricsAddress.host))) {
    if (process.env.HERALD_WORKER_METRICS_PORT?.trim())
      fail(
        `port ${metricsAddress.port} (HERALD_WORKER_METRICS_PORT) is in use: stop what uses it, set another port, or 0 to switch the worker's metrics off.`,
      );
    metricsNote = `off (port ${metricsAddress.port} is in use; set HERALD_WORKER_METRICS_PORT)`;
  }

  secureDataDir(config.dataDir);
  const logDir = join(config.dataDir, 'logs');
  const sup = (supervisor = new Supervisor({ log: (line) => console.error(line), pidFile: join(logDir, 'processes.json') }));

  let temporalLine: string;
  let running: RunningCluster | undefined;
  if (cluster) {
    let binaries: ReturnType<typeof clusterBinaries>;
    try {
      binaries = clusterBinaries();
    } catch (err) {
      fail((err as Error).message);
    }
    console.log(`herald: starting the Temporal cluster (logs: ${logDir})…`);
    running = await startCluster(sup, config, cluster, binaries, (line) => console.log(line)).catch((err) =>
      fail(`the Temporal cluster did not start: ${(err as Error).message}`),
    );
    // Herald's store lives on the cluster's PostgreSQL unless one was given.
    config = loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: running.address,
      HERALD_DATABASE_URL: process.env.HERALD_DATABASE_URL?.trim() || running.databaseUrl,
    });
    temporalLine = `  Temporal       ${running.address} (namespace ${running.namespace}; frontend, history, matching, worker)`;
  } else if (config.temporal.embedded) {
    let binary: string;
    try {
      binary = temporalCliPath();
    } catch (err) {
      fail((err as Error).message);
    }
    const logFile = join(config.dataDir, 'temporal.log');
    console.log(`herald: starting the Temporal dev server (log: ${logFile})…`);
    const dev = sup.start(
      devServerChild({
        binary,
        port: config.temporal.devServerPort,
        uiPort: config.temporal.uiPort,
        dbFile: join(config.dataDir, 'temporal.db'),
        namespace: config.temporal.namespace,
        logFile,
      }),
    );
    await waitForFrontend(config.temporal.address, config.temporal.namespace, 60_000, () =>
      dev.restarts > 0 ? 'stopped' : undefined,
    ).catch((err) => fail(`the Temporal dev server did not start: ${(err as Error).message} (see ${logFile})`));
    temporalLine = `  Temporal UI    http://localhost:${config.temporal.uiPort}`;
  } else {
    await waitForFrontend(
      config.temporal.address,
      config.temporal.namespace,
      10_000,
      undefined,
      temporalConnectionOptions(config.temporal),
    ).catch((err) =>
      fail(
        `TEMPORAL_ADDRESS=${config.temporal.address} is unreachable (${(err as Error).message}); check the address, TLS and API key settings.`,
      ),
    );
    temporalLine = `  Temporal       ${config.temporal.address} (namespace ${config.temporal.namespace})`;
  }
  if (!running) {
    const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
    try {
      await ensureSearchAttributes(connection, config.temporal.namespace);
      if (config.temporal.embedded) await ensureRetention(connection, config.temporal.namespace, config.temporal.retention);
    } finally {
      await connection.close();
    }
  }

  const tokens = ensureTokens(config);
  await ensureInitialSnapshot(config, plan);

  // The workflow bundle is built here once, so the worker process loads it instead of running webpack
  // itself (about 130 MB less resident memory in the worker).
  const bundlePath = config.workflowBundlePath ?? join(config.dataDir, 'workflow-bundle.js');
  if (!config.workflowBundlePath) writeFileSync(bundlePath, (await bundleWorkflows()).code);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HERALD_OPERATOR_TOKEN: tokens.operator,
    HERALD_WEBHOOK_TOKEN: tokens.webhook,
    TEMPORAL_ADDRESS: config.temporal.address,
    HERALD_WORKFLOW_BUNDLE: bundlePath,
    ...(running && !process.env.HERALD_DATABASE_URL ? { HERALD_DATABASE_URL: running.databaseUrl } : {}),
    ...(metricsNote ? { HERALD_WORKER_METRICS_PORT: '0' } : {}),
  };
  // The worker's heap bound (HERALD_WORKER_HEAP_MB, worker/nodeOptions.ts) keeps a big round's resident set down.
  const workerEnv = { ...env, NODE_OPTIONS: workerNodeOptions(env) };
  const workerNames = cluster ? Array.from({ length: cluster.heraldWorkers }, (_, i) => `worker-${i + 1}`) : ['worker'];
  const metricsUrls: string[] = [];
  for (const [i, name] of workerNames.entries()) {
    // Each further worker's metrics on the next port when it is free, else off.
    let own: NodeJS.ProcessEnv = {};
    if (i > 0 && metricsAddress.port !== 0 && !metricsNote) {
      const port = metricsAddress.port + i;
      const free = await portIsFree(port, metricsAddress.host);
      own = { HERALD_WORKER_METRICS_PORT: free ? String(port) : '0' };
      if (free) metricsUrls.push(`http://${metricsAddress.host}:${port}/metrics`);
    }
    sup.start(heraldChild(name, 'worker/main', { ...workerEnv, ...own }, logDir, 4));
  }
  sup.start(heraldChild('api', 'api/main', env, logDir, 4));
  sup.start(heraldChild('status', 'api/statusMain', env, logDir, 3));

  await waitFor(`http://127.0.0.1:${config.apiPort}/healthz`, cluster ? 60_000 : 30_000).catch(() =>
    fail(`the API did not become healthy in time; see ${join(logDir, 'api.log')}`),
  );
  await waitFor(`http://127.0.0.1:${config.statusPort}/api/v2/status.json`, 10_000).catch(() =>
    fail(`the status server did not answer within 10 s; see ${join(logDir, 'status.log')}`),
  );

  const metricsLine =
    metricsNote || [workerMetricsUrl(), ...metricsUrls].filter(Boolean).join(', ') || 'off (HERALD_WORKER_METRICS_PORT=0)';
  const lines = [
    '',
    'Herald is running.',
    `  Operator API   http://localhost:${config.apiPort}   (GET /healthz, POST /v1/incidents)`,
    `  Status page    http://localhost:${config.statusPort}   (JSON: /api/v2/summary.json)`,
    temporalLine,
  ];
  if (running) {
    lines.push(`  Temporal UI    ${running.uiUrl ?? running.uiNote}`);
    lines.push(`  PostgreSQL     127.0.0.1:${cluster!.postgres.port} (Temporal's databases and Herald's store)`);
    lines.push(`  Workers        ${workerNames.length} (task queue ${config.temporal.taskQueue})`);
  }
  lines.push(`  Worker metrics ${metricsLine}`, `  Plan           ${config.planFile}`, `  Logs           ${logDir}`);
  if (tokens.generated) {
    lines.push(
      `  Operator token ${tokens.operator}`,
      `  Webhook token  ${tokens.webhook}`,
      `  (kept in ${join(config.dataDir, 'tokens.json')}; shown once)`,
    );
  } else {
    lines.push(`  Tokens         from the environment or ${join(config.dataDir, 'tokens.json')}`);
  }
  lines.push('A process that stops is started again; Ctrl-C stops everything.', '');
  console.log(lines.join('\n'));
}

/** A Herald process (worker, API, status server) as a supervised child, running the compiled build. */
function heraldChild(name: string, entryName: string, env: NodeJS.ProcessEnv, logDir: string, stage: number): ChildSpec {
  return {
    name,
    command: process.execPath,
    args: [entry(entryName)],
    cwd: process.cwd(),
    // Stack traces in the logs name the TypeScript lines (the build carries source maps).
    env: { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, '--enable-source-maps'].filter(Boolean).join(' ') },
    logFile: join(logDir, `${name}.log`),
    stage,
  };
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // Writers first (workers, API), then the readers (status server, UI), then Temporal, then PostgreSQL.
    await supervisor?.stopAll();
  }
  process.exit(code);
}

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) throw new Error('stopping');
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer`);
}

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));
process.once('SIGHUP', () => void shutdown(0));
main().catch(async (err) => {
  console.error(`herald: ${err instanceof StartError ? err.message : (err as Error).stack}`);
  await shutdown(1);
});
