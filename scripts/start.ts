import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { ConfigError, loadConfig, type HeraldConfig } from '../core/config';
import { InvalidPlanError, loadPlan } from '../core/plan/load';
import type { Plan } from '../core/plan/schema';
import { temporalConnectionOptions } from '../core/temporalConnection';
import { ensureTokens } from '../core/tokens';
import { ensureInitialSnapshot } from '../activities/publish/initial';
import { bundleWorkflows } from '../worker/createWorker';
import { workerNodeOptions } from '../worker/nodeOptions';
import { workerMetricsAddress, workerMetricsUrl } from '../worker/metrics';
import { startDevServer, stopProcess, temporalCliPath, waitForFrontend, type DevServer } from './devServer';
import { ensureRetention, ensureSearchAttributes } from './setupTemporal';

// `npm start`: the whole system on the embedded default, in the foreground. Every failure before
// the system is up is one line saying what to do, and nothing half-started is left running.

const ROOT = join(__dirname, '..');
const children: { name: string; proc: ChildProcess }[] = [];
let devServer: DevServer | undefined;
let stopping = false;

function fail(message: string): never {
  throw new StartError(message);
}
class StartError extends Error {}

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

  const ports: [number, string][] = [
    [config.apiPort, 'HERALD_API_PORT'],
    [config.statusPort, 'HERALD_STATUS_PORT'],
  ];
  if (config.temporal.embedded)
    ports.push([config.temporal.devServerPort, 'TEMPORAL_PORT'], [config.temporal.uiPort, 'TEMPORAL_UI_PORT']);
  for (const [port, name] of ports) {
    if (!(await portIsFree(port, config.bind)))
      fail(`port ${port} (${name}) is in use: stop what uses it or set ${name} to another port.`);
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

  mkdirSync(config.dataDir, { recursive: true });
  if (config.temporal.embedded) {
    let binary: string;
    try {
      binary = temporalCliPath();
    } catch (err) {
      fail((err as Error).message);
    }
    const logFile = join(config.dataDir, 'temporal.log');
    console.log(`herald: starting the Temporal dev server (log: ${logFile})…`);
    devServer = await startDevServer({
      binary,
      port: config.temporal.devServerPort,
      uiPort: config.temporal.uiPort,
      dbFile: join(config.dataDir, 'temporal.db'),
      namespace: config.temporal.namespace,
      stdio: openSync(logFile, 'a'),
    }).catch((err) => fail(`the Temporal dev server did not start: ${(err as Error).message} (see ${logFile})`));
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
  }
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  try {
    await ensureSearchAttributes(connection, config.temporal.namespace);
    if (config.temporal.embedded) await ensureRetention(connection, config.temporal.namespace, config.temporal.retention);
  } finally {
    await connection.close();
  }

  const tokens = ensureTokens(config);
  await ensureInitialSnapshot(config, plan);

  // The workflow bundle is built here once, so the worker process loads it instead of running webpack
  // itself (about 130 MB less resident memory in the worker).
  const bundlePath = config.workflowBundlePath ?? join(config.dataDir, 'workflow-bundle.js');
  if (!config.workflowBundlePath) writeFileSync(bundlePath, (await bundleWorkflows()).code);
  const env = {
    ...process.env,
    HERALD_OPERATOR_TOKEN: tokens.operator,
    HERALD_WEBHOOK_TOKEN: tokens.webhook,
    TEMPORAL_ADDRESS: config.temporal.address,
    HERALD_WORKFLOW_BUNDLE: bundlePath,
    ...(metricsNote ? { HERALD_WORKER_METRICS_PORT: '0' } : {}),
  };
  // The worker's heap bound (HERALD_WORKER_HEAP_MB, worker/nodeOptions.ts) keeps a big round's resident set down.
  spawnChild('worker', 'worker/main.ts', { ...env, NODE_OPTIONS: workerNodeOptions(env) });
  spawnChild('api', 'api/main.ts', env);
  spawnChild('status', 'api/statusMain.ts', env);

  await waitFor(`http://127.0.0.1:${config.apiPort}/healthz`, 30_000).catch(() =>
    fail('the API did not become healthy within 30 s; see its log above.'),
  );
  await waitFor(`http://127.0.0.1:${config.statusPort}/api/v2/status.json`, 10_000).catch(() =>
    fail('the status server did not answer within 10 s.'),
  );

  const lines = [
    '',
    'Herald is running.',
    `  Operator API   http://localhost:${config.apiPort}   (GET /healthz, POST /v1/incidents)`,
    `  Status page    http://localhost:${config.statusPort}   (JSON: /api/v2/summary.json)`,
    config.temporal.embedded
      ? `  Temporal UI    http://localhost:${config.temporal.uiPort}`
      : `  Temporal       ${config.temporal.address} (namespace ${config.temporal.namespace})`,
    `  Worker metrics ${metricsNote || (workerMetricsUrl() ?? 'off (HERALD_WORKER_METRICS_PORT=0)')}`,
    `  Plan           ${config.planFile}`,
  ];
  if (tokens.generated) {
    lines.push(
      `  Operator token ${tokens.operator}`,
      `  Webhook token  ${tokens.webhook}`,
      `  (kept in ${join(config.dataDir, 'tokens.json')}; shown once)`,
    );
  } else {
    lines.push(`  Tokens         from the environment or ${join(config.dataDir, 'tokens.json')}`);
  }
  lines.push('Ctrl-C stops everything.', '');
  console.log(lines.join('\n'));
}

function spawnChild(name: string, entry: string, env: NodeJS.ProcessEnv) {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry)], {
    cwd: process.cwd(),
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push({ name, proc });
  proc.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`herald: the ${name} process stopped (${signal ?? `exit code ${code}`}); stopping everything.`);
    void shutdown(1);
  });
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // The public surfaces go last-but-one: stop the writers first, then readers, then Temporal.
    await Promise.all([...children].reverse().map((c) => stopProcess(c.proc)));
    if (devServer) await devServer.stop();
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
main().catch(async (err) => {
  console.error(`herald: ${err instanceof StartError ? err.message : (err as Error).stack}`);
  await shutdown(1);
});
