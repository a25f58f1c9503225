import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import { createAudienceActivities } from '../activities/audience';
import { createDeliveryCore, type BatchResult } from '../activities/deliver';
import { createProviders } from '../activities/providers';
import { loadConfig } from '../core/config';
import type { NotifyReport, NotifyRequest } from '../core/notify';
import { loadPlan } from '../core/plan/load';
import { openConfiguredStore, type Store } from '../core/store';
import { ensureSecret } from '../core/store/unsubscribe';
import { startDevServer, stopProcess, temporalCliPath, type DevServer } from '../scripts/devServer';
import { freePort } from '../test/support/ports';
import { FAKE_CREDENTIALS } from '../test/support/fakeAws';
import { paymentsOutageRound } from '../test/support/notifyRequest';
import { NOTIFY_WORKFLOW, type NotifyWorkflow } from '../workflows/contracts/notify';
import { bundleWorkflows } from '../worker/createWorker';
import { workerNodeOptions } from '../worker/nodeOptions';
import { withBenchCluster } from './cluster';

// `npm run bench:fanout -- --recipients N`: seeds N subscribers (half e-mail through SES v2, half SMS
// through Pinpoint), then delivers one round twice to local AWS regions (test/support/fakeAws.ts, in
// its own process): once as a raw loop — the same rendering, provider calls and ledger writes, no
// Temporal — and once through a real worker process and a Temporal dev server. The last line is JSON:
// {"recipients","seconds","perSecond","ratioToRaw","lost","duplicates","peakRssMb"}
// (seconds/perSecond: the Temporal run; ratioToRaw: its throughput over the raw loop's; peakRssMb:
// the worker's peak resident set, VmHWM). --cluster: the same round again, same store and one worker,
// against the cluster of `npm run start:cluster` (bench/cluster.ts); then both lines, the ratio
// cluster/dev, and JSON {"dev","cluster","ratioClusterToDev"} last. --in-flight N: HERALD_IN_FLIGHT_RECIPIENTS.

const ROOT = join(__dirname, '..');
export const PLAN_FILE = join(ROOT, 'plans', 'example.yaml');

/** A text option, e.g. `--provider-concurrency 16,email=4` (checked by the configuration it goes into). */
export function argText(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : String(process.argv[i + 1] ?? '');
}

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

/** HERALD_BENCH_PROF_DIR=dir: every child Node process (fake AWS, raw loop, worker) writes a CPU profile there. */
export function nodeArgs(): string[] {
  const dir = process.env.HERALD_BENCH_PROF_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

export interface FakeAwsProcess {
  regions: Record<string, string>;
  control: string;
  proc: ChildProcess;
  stats(): Promise<{
    accepted: number;
    unique: number;
    duplicates: number;
    perRegion: Record<string, { requests: number; accepted: number; rejected: number }>;
  }>;
  reset(): Promise<void>;
  mode(region: string, mode: 'up' | 'down' | 'throttle', count?: number): Promise<void>;
}

export async function startFakeAwsProcess(regions: string[]): Promise<FakeAwsProcess> {
  const proc = spawn(
    process.execPath,
    [...nodeArgs(), '--import', 'tsx', join(ROOT, 'test', 'support', 'fakeAws.ts'), '--regions', regions.join(',')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.once('line', (l) => resolve(l));
    proc.once('exit', (c) => reject(new Error(`fake AWS exited with ${c}`)));
  });
  const info = JSON.parse(line) as { regions: Record<string, string>; control: string };
  const get = async (path: string) => (await fetch(`${info.control}${path}`)).json();
  return {
    ...info,
    proc,
    stats: () => get('/stats') as never,
    reset: async () => void (await get('/reset')),
    mode: async (region, mode, count) => void (await get(`/mode?region=${region}&mode=${mode}${count ? `&count=${count}` : ''}`)),
  };
}

/** Bundles the workflows once into `dir` (as a deployment would) so the worker does not bundle at start. */
export async function prebuildBundle(dir: string): Promise<string> {
  const file = join(dir, 'workflow-bundle.js');
  writeFileSync(file, (await bundleWorkflows()).code);
  return file;
}

export function benchEnv(o: {
  dataDir: string;
  temporal: string;
  taskQueue: string;
  fake: FakeAwsProcess;
  batch: number;
  page: number;
  concurrency: number;
  providerConcurrency: string;
  bundle: string;
}): Record<string, string> {
  const endpoints = Object.entries(o.fake.regions)
    .map(([r, url]) => `${r}=${url}`)
    .join(',');
  const regions = Object.keys(o.fake.regions).join(',');
  return {
    HERALD_DATA_DIR: o.dataDir,
    HERALD_PLAN: PLAN_FILE,
    TEMPORAL_ADDRESS: o.temporal,
    TEMPORAL_TASK_QUEUE: o.taskQueue,
    HERALD_LOG_LEVEL: 'warn',
    HERALD_WORKFLOW_BUNDLE: o.bundle,
    HERALD_EMAIL_PROVIDER: 'ses',
    HERALD_SMS_PROVIDER: 'pinpoint',
    HERALD_SES_REGIONS: regions,
    HERALD_SES_ENDPOINTS: endpoints,
    HERALD_PINPOINT_REGIONS: regions,
    HERALD_PINPOINT_ENDPOINTS: endpoints,
    HERALD_PINPOINT_APP_IDS: 'bench-app',
    HERALD_DELIVERY_BATCH_SIZE: String(o.batch),
    HERALD_DELIVERY_PAGE_SIZE: String(o.page),
    HERALD_DELIVERY_CONCURRENCY: String(o.concurrency),
    HERALD_PROVIDER_CONCURRENCY: o.providerConcurrency,
    // --in-flight N: recipients in provider requests at once per worker (0: no bound); default Herald's.
    ...(argText('in-flight', '') ? { HERALD_IN_FLIGHT_RECIPIENTS: argText('in-flight', '') } : {}),
    HERALD_REGION_COOLDOWN: '2s',
    // The AWS SDK's default credential chain reads these; the local regions check the signature shape.
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
  };
}

/** N subscribers of every component: even ids by e-mail, odd ids by SMS; one in five reads zh-TW. */
export async function seed(store: Store, n: number): Promise<void> {
  const now = new Date().toISOString();
  const rowsPer = 500;
  for (let start = 0; start < n; start += 20_000) {
    await store.db.tx(async (tx) => {
      for (let i = start; i < Math.min(n, start + 20_000); i += rowsPer) {
        const values: (string | number | null)[] = [];
        const count = Math.min(rowsPer, n - i);
        for (let k = i; k < i + count; k++) {
          const id = `s${String(k).padStart(8, '0')}`;
          values.push(
            id,
            k % 2 === 0 ? `${id}@example.com` : null,
            k % 2 === 1 ? `+1555${String(k).padStart(7, '0')}` : null,
            k % 5 === 0 ? 'zh-TW' : 'en',
            now,
            now,
            now,
          );
        }
        await tx.run(
          `INSERT INTO subscribers (id, email, phone, locale, internal, all_components, consent, confirmed_at, created_at, updated_at) VALUES ${Array.from({ length: count }, () => "(?, ?, ?, ?, 0, 1, 'confirmed', ?, ?, ?)").join(', ')}`,
          values,
        );
      }
    });
  }
}

export function benchRequest(roundId: string): NotifyRequest {
  const sample = paymentsOutageRound(roundId);
  return {
    ...sample,
    facts: {
      ...sample.facts,
      id: 'incident-bench',
      startedAt: new Date().toISOString(),
      nextUpdateAt: new Date(Date.now() + 30 * 60_000).toISOString(),
    },
  };
}

export interface WorkerProcess {
  proc: ChildProcess;
  /** Highest resident set sampled since the last reset (every 250 ms). */
  peakRssMb(): number;
  resetPeak(): void;
  /** The kernel's high-water mark since the process started (includes bundling the workflows at start). */
  hwmMb(): number;
  ready: Promise<void>;
}

/** User + system CPU seconds a process has used so far (/proc/<pid>/stat), or NaN. */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The worker's environment as npm start gives it: NODE_OPTIONS with the worker's heap bound (worker/nodeOptions.ts). */
function workerEnv(env: Record<string, string | undefined>): Record<string, string> {
  const nodeOptions = workerNodeOptions({
    ...env,
    HERALD_WORKER_HEAP_MB: env.HERALD_WORKER_HEAP_MB ?? process.env.HERALD_WORKER_HEAP_MB,
    NODE_OPTIONS: env.NODE_OPTIONS ?? process.env.NODE_OPTIONS,
  });
  return Object.fromEntries(
    Object.entries({ ...env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) }).filter(
      (e): e is [string, string] => e[1] !== undefined,
    ),
  );
}

/** The real worker (worker/main.ts) in its own process; resolves `ready` once it polls. */
export function startWorker(env: Record<string, string>): WorkerProcess {
  // The SDK's own log lines go to stderr, which is dropped; readiness comes from Herald's log on stdout.
  const proc = spawn(process.execPath, [...nodeArgs(), '--import', 'tsx', join(ROOT, 'worker', 'main.ts')], {
    cwd: ROOT,
    env: workerEnv({ PATH: process.env.PATH, ...env, HERALD_LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let peak = 0;
  let hwm = 0;
  const sample = () => {
    try {
      const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      peak = Math.max(peak, Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
      hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    } catch {
      // exited
    }
  };
  const timer = setInterval(sample, 250);
  proc.once('exit', () => clearInterval(timer));
  const ready = new Promise<void>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.on('line', (l) => {
      if (l.includes('worker running')) resolve();
    });
    proc.once('exit', (c, s) => reject(new Error(`worker exited (${s ?? c}) before it was ready`)));
  });
  return {
    proc,
    ready,
    peakRssMb: () => {
      sample();
      return Math.round(peak);
    },
    resetPeak: () => {
      peak = 0;
    },
    hwmMb: () => Math.round(hwm),
  };
}

/** The raw loop: the same activities' code, run directly with the same paging and concurrency. */
async function rawMain() {
  const config = loadConfig();
  const plan = loadPlan(config.planFile, config.templatesDir);
  const store = await openConfiguredStore(config);
  const providers = createProviders(config.delivery, { webhookSecret: ensureSecret(config) });
  const core = createDeliveryCore({
    plan,
    store,
    providers,
    delivery: config.delivery,
    secret: ensureSecret(config),
    statusUrl: config.publicUrl,
    templatesDir: config.templatesDir,
  });
  const audience = createAudienceActivities({ plan, store });
  const request = benchRequest(process.argv[process.argv.indexOf('--raw') + 1]!);
  const started = Date.now();
  const prepared = await core.prepareRound(request);
  let cursor: string | null = null;
  let recipients = 0;
  for (;;) {
    const page = await audience.planAudiencePage({
      request,
      afterId: cursor,
      pageSize: prepared.pageSize,
      batchSize: prepared.batchSize,
    });
    const queue = [...page.batches];
    const run = async () => {
      for (let b = queue.shift(); b; b = queue.shift()) {
        for (let attempt = 1; ; attempt++) {
          try {
            const r: BatchResult = await core.deliverRange(
              { request, afterId: b.afterId, throughId: b.throughId, count: b.count },
              { attempt, resumeCursor: null, heartbeat() {} },
            );
            recipients += r.recipients;
            break;
          } catch (err) {
            if (attempt > 20) throw err;
            await new Promise((res) => setTimeout(res, 500));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: prepared.concurrency }, run));
    cursor = page.nextCursor;
    if (page.done) break;
  }
  const report = await core.finishRound({ request, startedAt: new Date(started).toISOString(), recipients });
  const seconds = (Date.now() - started) / 1000;
  await providers.close();
  await store.close();
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({ seconds, sent: report.sent, recipients, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
}

/** What both delivery benches stand on: local AWS regions, a dev server, the worker's environment, N seeded subscribers. */
export interface BenchRig {
  work: string;
  server: DevServer;
  fake: FakeAwsProcess;
  env: Record<string, string>;
  /** The worker process currently running, if any: stopped with the rig. */
  worker?: WorkerProcess;
}

/**
 * Sets the rig up, runs `body`, tears everything down and only then prints the line `body` returns,
 * so the measurement is the last line after every child has gone.
 */
export async function withBenchRig(
  o: { name: string; recipients: number; batch: number; page: number; concurrency: number; providerConcurrency: string },
  body: (rig: BenchRig) => Promise<string>,
): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), `herald-${o.name}-`));
  let server: DevServer | undefined;
  let fake: FakeAwsProcess | undefined;
  let rig: BenchRig | undefined;
  let result: string | undefined;
  try {
    fake = await startFakeAwsProcess(['us-east-1', 'us-west-2']);
    server = await startDevServer({
      binary: temporalCliPath(),
      port: await freePort(),
      dbFile: join(work, 'temporal.db'),
      stdio: 'ignore',
    });
    const env = benchEnv({
      dataDir: join(work, 'data'),
      temporal: server.address,
      taskQueue: o.name,
      fake,
      batch: o.batch,
      page: o.page,
      concurrency: o.concurrency,
      providerConcurrency: o.providerConcurrency,
      bundle: await prebuildBundle(work),
    });
    const t0 = Date.now();
    const store = await openConfiguredStore(loadConfig(env));
    await seed(store, o.recipients);
    await store.close();
    console.error(`seeded ${o.recipients} subscribers in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    rig = { work, server, fake, env };
    result = await body(rig);
  } finally {
    if (rig?.worker) await stopProcess(rig.worker.proc);
    if (server) await server.stop();
    if (fake) await stopProcess(fake.proc);
    rmSync(work, { recursive: true, force: true });
  }
  console.log(result);
}

async function main() {
  const recipients = arg('recipients', 10_000);
  const batch = arg('batch', 1000);
  const page = arg('page', 50_000);
  const concurrency = arg('concurrency', 8);
  const providerConcurrency = argText('provider-concurrency', '16');
  await withBenchRig({ name: 'bench', recipients, batch, page, concurrency, providerConcurrency }, async (rig) => {
    const { env, fake, server } = rig;
    // Raw loop, in its own process like the worker (--skip-raw leaves it out: ratioToRaw is then null).
    const skipRaw = process.argv.includes('--skip-raw');
    const raw = skipRaw
      ? { seconds: NaN, sent: 0, cpuSeconds: NaN }
      : await new Promise<{ seconds: number; sent: number; cpuSeconds: number }>((resolve, reject) => {
          const p = spawn(process.execPath, [...nodeArgs(), '--import', 'tsx', __filename, '--raw', `bench-raw-${Date.now()}`], {
            cwd: ROOT,
            env: { PATH: process.env.PATH, ...env },
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          p.stdout!.on('data', (d) => (out += d));
          p.once('exit', (c) =>
            c === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`raw loop exited with ${c}`)),
          );
        });
    const rawStats = await fake.stats();
    if (skipRaw) console.error('raw loop: skipped (--skip-raw)');
    else
      console.error(
        `raw loop: ${raw.seconds.toFixed(2)} s, ${Math.round(recipients / raw.seconds)}/s, ${raw.cpuSeconds.toFixed(1)} CPU s (whole process); sent ${raw.sent}; providers accepted ${rawStats.accepted} (${rawStats.unique} distinct)`,
      );
    await fake.reset();

    const dev = await temporalRound(rig, server.address, 'dev server', recipients, skipRaw ? undefined : raw.seconds);
    if (!process.argv.includes('--cluster')) return JSON.stringify(dev);
    // The same round against the cluster of `npm run start:cluster`, with the same store and one worker.
    await stopProcess(rig.worker!.proc);
    rig.worker = undefined;
    await fake.reset();
    const cluster = await withBenchCluster(rig.work, (c) =>
      temporalRound(rig, c.address, 'cluster', recipients, skipRaw ? undefined : raw.seconds, c.pids),
    );
    const ratio = Number((cluster.perSecond / dev.perSecond).toFixed(3));
    return [
      `dev server: ${JSON.stringify(dev)}`,
      `cluster:    ${JSON.stringify(cluster)}`,
      `cluster/dev throughput: ${ratio}`,
      JSON.stringify({ dev, cluster, ratioClusterToDev: ratio }),
    ].join('\n');
  });
}

interface RoundLine {
  recipients: number;
  seconds: number;
  perSecond: number;
  ratioToRaw: number | null;
  lost: number;
  duplicates: number;
  peakRssMb: number;
}

/** One round through a real worker process against the Temporal at `address`; the usual JSON line's fields. */
async function temporalRound(
  rig: BenchRig,
  address: string,
  label: string,
  recipients: number,
  rawSeconds: number | undefined,
  serverPids?: () => Record<string, number | undefined>,
): Promise<RoundLine> {
  const { fake } = rig;
  const env: Record<string, string> = { ...rig.env, TEMPORAL_ADDRESS: address };
  const worker = (rig.worker = startWorker(env));
  await worker.ready;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const roundId = `bench-temporal-${Date.now()}`;
  const idleRss = worker.peakRssMb();
  worker.resetPeak();
  const serverCpu = () =>
    Object.values(serverPids?.() ?? {}).reduce<number>((sum, pid) => sum + (pid ? cpuSecondsOf(pid) : 0), 0);
  const cpuBefore = { worker: cpuSecondsOf(worker.proc.pid!), fake: cpuSecondsOf(fake.proc.pid!), server: serverCpu() };
  const started = Date.now();
  const report: NotifyReport = await client.workflow.execute<NotifyWorkflow>(NOTIFY_WORKFLOW, {
    workflowId: roundId,
    taskQueue: env.TEMPORAL_TASK_QUEUE!,
    args: [benchRequest(roundId)],
  });
  const seconds = (Date.now() - started) / 1000;
  const stats = await fake.stats();
  const peakRssMb = worker.peakRssMb();
  await connection.close();
  console.error(
    `${label}: ${seconds.toFixed(2)} s; report sent ${report.sent}, failed ${report.failedPermanently}, retried ${report.retried}, possible duplicates ${report.possibleDuplicates}; providers ${JSON.stringify(stats.perRegion)}`,
  );
  console.error(
    `${label}: CPU during the round (load-independent): worker ${(cpuSecondsOf(worker.proc.pid!) - cpuBefore.worker).toFixed(1)} s, local AWS ${(cpuSecondsOf(fake.proc.pid!) - cpuBefore.fake).toFixed(1)} s` +
      (serverPids ? `, Temporal + PostgreSQL ${(serverCpu() - cpuBefore.server).toFixed(1)} s` : ''),
  );
  console.error(
    `${label}: worker RSS ${idleRss} MB ready, ${peakRssMb} MB peak during the round (sampled every 250 ms), ${worker.hwmMb()} MB kernel high-water mark since start`,
  );
  return {
    recipients,
    seconds: Number(seconds.toFixed(2)),
    perSecond: Math.round(recipients / seconds),
    ratioToRaw: rawSeconds === undefined ? null : Number((rawSeconds / seconds).toFixed(3)),
    lost: recipients - stats.unique,
    duplicates: stats.duplicates,
    peakRssMb,
  };
}

if (require.main === module) {
  (process.argv.includes('--raw') ? rawMain() : main()).catch((err) => {
    console.error(`bench: ${(err as Error).stack ?? err}`);
    process.exit(1);
  });
}
