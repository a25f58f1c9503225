import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { DEV_SERVER_TYPE_NAMES, HERALD_SEARCH_ATTRIBUTES } from '../core/searchAttributes';
import type { ChildSpec } from './supervisor';
import { PROJECT_ROOT } from '../core/projectRoot';

// Starts the Temporal CLI dev server ourselves (the SDK's own start-up downloads the binary and
// gives up after 5 s) and waits until its frontend answers.

export interface DevServerOptions {
  binary: string;
  port: number;
  /** Web UI port; omitted = headless. */
  uiPort?: number;
  /** SQLite file; omitted = in memory. */
  dbFile?: string;
  namespace?: string;
  /** How long to wait for the frontend to answer. */
  startTimeoutMs?: number;
  /** Where the server's own output goes (a file descriptor or 'ignore'); default: inherited stderr. */
  stdio?: 'ignore' | 'inherit' | number;
}

export interface DevServer {
  address: string;
  namespace: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function devServerArgs(o: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port)];
  args.push('--namespace', o.namespace ?? 'default');
  args.push('--log-level', 'error');
  if (o.uiPort !== undefined) args.push('--ui-port', String(o.uiPort));
  else args.push('--headless');
  if (o.dbFile) {
    args.push('--db-filename', o.dbFile, '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  }
  for (const key of HERALD_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${DEV_SERVER_TYPE_NAMES[key.type]}`);
  // Drills and fan-out start many activities per run; the dev server's defaults are conservative.
  args.push('--dynamic-config-value', 'limit.numPendingActivities.error=5000');
  // A timer started within a second of the server's last timer read fires at the end of that second
  // (max time shift, 1 s by default): compressed plans (a 40 ms cadence) would wait for it every time.
  args.push('--dynamic-config-value', 'history.timerProcessorMaxTimeShift="10ms"');
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true');
  return args;
}

/** The dev server as a supervised child of `npm start` (stopped after Herald's processes). */
export function devServerChild(o: Omit<DevServerOptions, 'stdio' | 'startTimeoutMs'> & { logFile: string }): ChildSpec {
  return { name: 'temporal', command: o.binary, args: devServerArgs(o), logFile: o.logFile, stage: 1 };
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const address = `127.0.0.1:${o.port}`;
  const namespace = o.namespace ?? 'default';
  const child = spawn(o.binary, devServerArgs(o), {
    stdio: ['ignore', o.stdio ?? 'inherit', o.stdio ?? 'inherit'],
    detached: false,
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  child.once('error', (err) => (exited = err.message));
  const stop = () => stopProcess(child);
  try {
    await waitForFrontend(address, namespace, o.startTimeoutMs ?? 60_000, () => exited);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, namespace, process: child, stop };
}

/** Resolves once the frontend answers for the namespace; fails fast when the process died. */
export async function waitForFrontend(
  address: string,
  namespace: string,
  timeoutMs: number,
  died: () => string | undefined = () => undefined,
  connectionOptions: Omit<ConnectionOptions, 'connectTimeout'> = { address },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    const why = died();
    if (why) throw new Error(`the Temporal server: ${why} before it was ready`);
    try {
      const connection = await Connection.connect({ ...connectionOptions, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Temporal at ${address} did not answer within ${Math.round(timeoutMs / 1000)} s (${lastError})`);
}

export function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Path of the Temporal CLI from scripts/temporal-cli.sh (its last line), or a clear error. */
export function temporalCliPath(): string {
  const script = join(PROJECT_ROOT, 'scripts', 'temporal-cli.sh');
  const result = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const last = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !last) throw new Error('no Temporal CLI: see the line above (scripts/temporal-cli.sh)');
  return last;
}
