import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, watch } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../core/config';
import { loadPlan } from '../core/plan/load';
import { openConfiguredStore } from '../core/store';
import { ensureInitialSnapshot } from '../activities/publish/initial';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, stopProcess, temporalCliPath, type DevServer } from '../scripts/devServer';
import { freePort } from '../test/support/ports';
import { withBenchCluster } from './cluster';
import { planWithCorrelation, routerLookup } from './correlationPlan';

// `npm run bench:first-notice`: the whole system on the embedded default (dev server, worker and API
// as their own processes, on free loopback ports), 200 Alertmanager webhooks for distinct alert
// groups, and for each the time from "webhook accepted" (the 2xx received) to
//   (a) the status snapshot that shows the incident (public/api/v2/incidents/unresolved.json), and
//   (b) the first provider request of the initial notice (the outbox provider's first file for the
//       incident's initial round: notify-<incident>-1-initial-…).
// The alerts route to the plan's `degradation` scenario (alertname HighLatency), whose audiences need
// no approval; in `outage` the page and customer rounds wait for an operator's approval by design.
// Targets: p50 ≤ 300 ms, p99 ≤ 1 s. The last line is JSON.
//
// The baseline, in the same run: the same burst (count, in flight, a fresh dev server with its
// SQLite file, a worker in its own process) against the least a workflow per incident can cost —
// an empty workflow whose first task runs one local activity (bench/floor/). `ratioToFloor` is
// Herald's latency over that floor's; no design with a workflow per incident gets below the floor.
// BENCH_FLOOR=0 skips it.
//
// Where the time goes: `cpuSeconds` is the CPU each process used during the burst (Linux /proc), and
// `breakdownMs` the median of each step of a sample of incidents, read from Temporal's own history
// event times (the incident, its customers' initial round, and the status page's publish).
// BENCH_CPU_PROF=<dir> runs the worker and the API under `node --cpu-prof` into that directory.

const ROOT = join(__dirname, '..');
const COUNT = Number(process.env.BENCH_WEBHOOKS ?? 200);
// BENCH_SERIAL=1 sends one webhook at a time (one lane), each after the previous incident is out.
const CONCURRENCY = process.env.BENCH_SERIAL === '1' ? 1 : Number(process.env.BENCH_CONCURRENCY ?? 8);
const TIMEOUT_MS = 120_000;
const TOKEN = 'bench-webhook-token-0123456789';

const children: ChildProcess[] = [];
const procs: Record<string, ChildProcess> = {};
/** Where the alert router put each group (the webhook's answer cannot say). */
let router: Awaited<ReturnType<typeof routerLookup>> | undefined;
let dev: DevServer | undefined;
/** The Temporal server's processes in the run being measured (the dev server, or the cluster's). */
let temporalProcesses: () => (number | undefined)[] = () => [];

async function main() {
  let printed: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  try {
    const devDir = join(work, 'dev');
    mkdirSync(devDir);
    const temporalPort = await freePort();
    log(`starting the Temporal dev server on :${temporalPort} …`);
    dev = await startDevServer({
      binary: temporalCliPath(),
      port: temporalPort,
      dbFile: join(devDir, 'temporal.db'),
      stdio: 'ignore',
    });
    const { result, cpuSeconds, breakdownMs, env } = await burst(devDir, dev.address, () => [dev?.process.pid]);
    let floor: Awaited<ReturnType<typeof temporalFloor>> | undefined;
    if (process.env.BENCH_FLOOR !== '0') {
      if (dev) await dev.stop();
      dev = undefined;
      await stopChildren();
      log(`the floor: ${COUNT} empty workflows with one local activity, the same burst …`);
      floor = await temporalFloor(devDir, env);
    }
    const ratioToFloor = floor && {
      p50: round(result.firstProviderRequestMs.p50 / floor.firstLocalActivityMs.p50),
      p99: round(result.firstProviderRequestMs.p99 / floor.firstLocalActivityMs.p99),
    };
    printed = [
      '',
      `webhook answered             p50 ${result.acceptedMs.p50} ms   p99 ${result.acceptedMs.p99} ms`,
      `(a) status snapshot shows it p50 ${result.snapshotPublishedMs.p50} ms   p99 ${result.snapshotPublishedMs.p99} ms   (missing ${result.snapshotPublishedMs.missing})`,
      `(b) first provider request   p50 ${result.firstProviderRequestMs.p50} ms   p99 ${result.firstProviderRequestMs.p99} ms   (missing ${result.firstProviderRequestMs.missing})`,
      ...(floor && ratioToFloor
        ? [
            `floor (empty workflow, one local activity) p50 ${floor.firstLocalActivityMs.p50} ms   p99 ${floor.firstLocalActivityMs.p99} ms   → (b) is ${ratioToFloor.p50}× / ${ratioToFloor.p99}× the floor`,
          ]
        : []),
      `CPU seconds during the burst: ${Object.entries(cpuSeconds)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}${
        floor
          ? `; floor: ${Object.entries(floor.cpuSeconds)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`
          : ''
      }`,
      `median step times (ms): ${Object.entries(breakdownMs)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      `targets: p50 ≤ 300 ms, p99 ≤ 1000 ms → ${result.pass ? 'met' : 'NOT met'} (load average ${result.machine.loadAverage1m} on ${result.machine.cpus} CPUs)`,
    ];
    const devJson = { ...result, ...(floor ? { floor, ratioToFloor } : {}) };
    if (!process.argv.includes('--cluster')) printed.push(JSON.stringify(devJson));
    else {
      // The same burst against the cluster of `npm run start:cluster` (same store kind, one worker, the API).
      if (dev) await dev.stop();
      dev = undefined;
      await stopChildren();
      const clusterDir = join(work, 'cluster-run');
      mkdirSync(clusterDir);
      log('starting the cluster of npm run start:cluster …');
      const onCluster = await withBenchCluster(work, (c) =>
        burst(clusterDir, c.address, () => Object.values(c.pids())).finally(stopChildren),
      );
      const r = onCluster.result;
      const ratio = {
        snapshotP50: round(r.snapshotPublishedMs.p50 / result.snapshotPublishedMs.p50),
        snapshotP99: round(r.snapshotPublishedMs.p99 / result.snapshotPublishedMs.p99),
        firstRequestP50: round(r.firstProviderRequestMs.p50 / result.firstProviderRequestMs.p50),
        firstRequestP99: round(r.firstProviderRequestMs.p99 / result.firstProviderRequestMs.p99),
      };
      printed.push(
        `cluster: (a) snapshot p50 ${r.snapshotPublishedMs.p50} ms p99 ${r.snapshotPublishedMs.p99} ms (missing ${r.snapshotPublishedMs.missing}); (b) first provider request p50 ${r.firstProviderRequestMs.p50} ms p99 ${r.firstProviderRequestMs.p99} ms (missing ${r.firstProviderRequestMs.missing})`,
        `cluster CPU seconds during the burst: ${Object.entries(onCluster.cpuSeconds)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
        `cluster/dev: (a) ${ratio.snapshotP50}× / ${ratio.snapshotP99}×, (b) ${ratio.firstRequestP50}× / ${ratio.firstRequestP99}× (p50 / p99)`,
        JSON.stringify({ dev: devJson, cluster: { ...r, breakdownMs: onCluster.breakdownMs }, ratioClusterToDev: ratio }),
      );
    }
  } finally {
    await stopChildren();
    if (dev) await dev.stop();
    rmSync(work, { recursive: true, force: true });
  }
  // After every child has stopped, so the JSON is the last line of the output.
  for (const line of printed) console.log(line);
}

async function stopChildren() {
  await Promise.all(children.splice(0).map((c) => stopProcess(c)));
  for (const k of Object.keys(procs)) delete procs[k];
}

/** The whole system (worker and API in their own processes, on `temporalAddress`), warmed up, then the burst. */
async function burst(dataDir: string, temporalAddress: string, temporalPids: () => (number | undefined)[]) {
  const apiPort = await freePort();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    HERALD_DATA_DIR: dataDir,
    // Each alert group its own incident (correlation by the group label), as this bench measures.
    HERALD_PLAN: planWithCorrelation(dataDir, { by: 'labels', labels: ['group'] }),
    HERALD_API_PORT: String(apiPort),
    HERALD_BIND: '127.0.0.1',
    HERALD_WEBHOOK_TOKEN: TOKEN,
    HERALD_OPERATOR_TOKEN: 'bench-operator-token-0123456789',
    HERALD_WEBHOOK_RATE_LIMIT: '10000/s,10000',
    HERALD_RATE_LIMIT_IP: '10000/s,10000',
    HERALD_LOG_LEVEL: 'warn',
    HERALD_WORKER_METRICS_PORT: '0',
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: 'herald',
  };
  const config = loadConfig(env);
  const plan = loadPlan(config.planFile);
  temporalProcesses = temporalPids;
  // Subscribers who hear about every component: one customer (email) and one member of staff.
  const store = await openConfiguredStore(config);
  const now = new Date().toISOString();
  await store.upsertSubscribers([
    {
      id: 'bench-customer',
      email: 'customer@example.com',
      locale: 'en',
      internal: false,
      components: '*',
      consent: 'confirmed',
      confirmedAt: now,
    },
    {
      id: 'bench-staff',
      email: 'staff@example.com',
      locale: 'en',
      internal: true,
      components: '*',
      consent: 'confirmed',
      confirmedAt: now,
    },
  ] as never);
  await store.close();
  await ensureInitialSnapshot(config, plan);
  mkdirSync(config.delivery.outboxDir, { recursive: true });

  log('starting the worker and the API …');
  // BENCH_WORKER_ENTRY: another worker entry point (for trying worker settings).
  spawnChild('worker', process.env.BENCH_WORKER_ENTRY ?? 'worker/main.ts', env);
  spawnChild('api', 'api/main.ts', env);
  const api = `http://127.0.0.1:${apiPort}`;
  await until(async () => (await fetch(`${api}/healthz`).catch(() => undefined))?.ok === true, 60_000, 'the API to be healthy');
  router = await routerLookup(temporalAddress, plan.page.id);

  const published = new Map<string, number>();
  const firstSend = new Map<string, number>();
  const watcher = watchOutbox(config.delivery.outboxDir, firstSend);
  const poller = pollSnapshot(join(config.publicDir, 'api', 'v2', 'incidents', 'unresolved.json'), published);

  // Warm up (bundle loaded, caches filled): a few groups not counted.
  const warm = await Promise.all([0, 1, 2].map((i) => send(api, `warmup-${i}`)));
  await until(
    async () => warm.every((w) => published.has(w.id) && firstSend.has(w.id)),
    60_000,
    'the warm-up incidents to be published and notified',
  );

  const loadAtStart = round(loadavg()[0]!);
  const cpuBefore = cpuTimes();
  log(`sending ${COUNT} webhooks (${CONCURRENCY} in flight; load average ${loadAtStart} on ${cpus().length} CPUs) …`);
  const accepted = new Map<string, number>();
  const acceptMs: number[] = [];
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < COUNT) {
        const i = next++;
        const t0 = performance.now();
        const r = await send(api, `group-${i}`);
        acceptMs.push(performance.now() - t0);
        accepted.set(r.id, r.at);
        // BENCH_SERIAL=1: one incident at a time (the latency with no queue in front of it). The
        // next one waits a second more: the publish that wrote unresolved.json is still writing the
        // rest of the snapshot and its history, and would otherwise sit in front of the next incident.
        if (process.env.BENCH_SERIAL === '1') {
          await until(async () => published.has(r.id) && firstSend.has(r.id), 30_000, r.id).catch(() => undefined);
          await new Promise((settle) => setTimeout(settle, 1000));
        }
      }
    }),
  );
  const sendSeconds = (Date.now() - started) / 1000;
  await until(
    async () => [...accepted.keys()].every((id) => published.has(id) && firstSend.has(id)),
    TIMEOUT_MS,
    'every incident to be published and notified',
  ).catch((err) => log((err as Error).message));
  const cpuSeconds = cpuTimes(cpuBefore);
  watcher.close();
  await router.close();
  clearInterval(poller);
  scanOutbox(config.delivery.outboxDir, firstSend);
  const breakdownMs = await breakdown(
    temporalAddress,
    [...accepted].filter((_, i) => i % Math.max(1, Math.floor(COUNT / 20)) === 0),
    firstSend,
    published,
  ).catch((err) => ({ error: (err as Error).message }));

  const snapshotMs = [...accepted].flatMap(([id, at]) => (published.has(id) ? [published.get(id)! - at] : []));
  const sendMs = [...accepted].flatMap(([id, at]) => (firstSend.has(id) ? [firstSend.get(id)! - at] : []));
  const result = {
    bench: 'first-notice',
    webhooks: COUNT,
    concurrency: CONCURRENCY,
    sendSeconds: round(sendSeconds),
    acceptedMs: stats(acceptMs),
    snapshotPublishedMs: { ...stats(snapshotMs), missing: COUNT - snapshotMs.length },
    firstProviderRequestMs: { ...stats(sendMs), missing: COUNT - sendMs.length },
    targets: { p50: 300, p99: 1000 },
    cpuSeconds,
    breakdownMs,
    // Other work on the machine shows here: the figures are only comparable at a similar load.
    machine: { cpus: cpus().length, loadAverage1m: round(loadavg()[0]!), loadAverageAtStart1m: loadAtStart },
    pass:
      snapshotMs.length === COUNT &&
      sendMs.length === COUNT &&
      stats(snapshotMs).p50 <= 300 &&
      stats(snapshotMs).p99 <= 1000 &&
      stats(sendMs).p50 <= 300 &&
      stats(sendMs).p99 <= 1000,
  };
  return { result, cpuSeconds, breakdownMs, env };
}

async function send(api: string, group: string): Promise<{ id: string; at: number }> {
  const body = {
    version: '4',
    groupKey: `{}:{alertname="HighLatency", group="${group}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'herald',
    groupLabels: { alertname: 'HighLatency', group },
    commonLabels: { alertname: 'HighLatency', group, component: 'api', severity: 'warning' },
    commonAnnotations: { summary: 'p99 latency above 2 s' },
    externalURL: 'http://alertmanager.local',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HighLatency', group, component: 'api', severity: 'warning' },
        annotations: { summary: 'p99 latency above 2 s' },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.local/graph',
        fingerprint: group,
      },
    ],
  };
  const res = await fetch(`${api}/v1/webhooks/alertmanager`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const at = Date.now();
  const json = (await res.json()) as { detail?: string };
  if (res.status !== 202) throw new Error(`webhook for ${group} answered ${res.status}: ${json.detail ?? ''}`);
  return { id: await router!.incidentOf('alertmanager', group), at };
}

/** Polls the published unresolved-incidents file and notes when each incident first appears. */
function pollSnapshot(file: string, seen: Map<string, number>): NodeJS.Timeout {
  let lastMtime = 0;
  return setInterval(() => {
    try {
      const mtime = statSync(file).mtimeMs;
      if (mtime === lastMtime) return;
      lastMtime = mtime;
      const { incidents } = JSON.parse(readFileSync(file, 'utf8')) as { incidents: { id: string }[] };
      const t = Date.now();
      for (const i of incidents) if (!seen.has(i.id)) seen.set(i.id, t);
    } catch {
      /* mid-swap; next tick */
    }
  }, 5);
}

const ROUND = /^notify-(incident-.+)-1-initial-/;

/** Notes when the first outbox file of each incident's initial round appears. */
function watchOutbox(dir: string, seen: Map<string, number>) {
  return watch(dir, (_event, name) => {
    const m = name ? ROUND.exec(String(name)) : null;
    if (m && !seen.has(m[1]!)) seen.set(m[1]!, Date.now());
  });
}

/** Anything the watcher missed, by file time. */
function scanOutbox(dir: string, seen: Map<string, number>) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const m = ROUND.exec(name);
    if (!m) continue;
    const t = statSync(join(dir, name)).mtimeMs;
    if (!seen.has(m[1]!) || seen.get(m[1]!)! > t) seen.set(m[1]!, Math.round(t));
  }
}

function spawnChild(name: string, entry: string, env: Record<string, string>) {
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', join(process.env.BENCH_CPU_PROF, name)] : [];
  const proc = spawn(process.execPath, [...prof, '--import', 'tsx', join(ROOT, entry)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs[name] = proc;
  // The SDK's INFO lines (worker state changes) are noise here; warnings and errors pass through.
  proc.stderr!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n'))
      if (line.trim() && !/\[INFO\]/.test(line)) process.stderr.write(`${name}: ${line}\n`);
  });
  proc.once('exit', (code, signal) => {
    if (code !== 0 && code !== null) log(`${name} exited with ${signal ?? code}`);
  });
  children.push(proc);
}

/** CPU seconds (user + system) of each process since `since`: the dev server, the worker, the API and this bench. */
function cpuTimes(since?: Record<string, number>): Record<string, number> {
  const ticks = (pid: number | undefined) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return NaN;
    }
  };
  const now: Record<string, number> = {
    temporal: temporalProcesses().reduce<number>((sum, pid) => sum + ticks(pid), 0),
    worker: ticks(procs.worker?.pid),
    api: ticks(procs.api?.pid),
    bench: ticks(process.pid),
  };
  return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, round(v - (since?.[k] ?? 0))]));
}

type HistoryEvent = Record<string, unknown> & { eventTime?: { seconds?: unknown; nanos?: number | null } | null };

/**
 * Medians, over sampled incidents, of each step from "webhook accepted" to the first provider
 * request and to the published snapshot, from the history event times of the incident, its
 * customers' initial round and the status page workflow.
 */
async function breakdown(
  address: string,
  sample: [string, number][],
  firstSend: Map<string, number>,
  published: Map<string, number>,
): Promise<Record<string, number>> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const ms = (e: HistoryEvent | undefined) =>
    e?.eventTime ? Number(e.eventTime.seconds) * 1000 + Math.round((e.eventTime.nanos ?? 0) / 1e6) : NaN;
  const has = (attr: string) => (e: HistoryEvent) => e[attr] != null;
  const activity = (events: HistoryEvent[], type: string) => {
    const scheduled = events.find(
      (e) =>
        (e.activityTaskScheduledEventAttributes as { activityType?: { name?: string } } | undefined)?.activityType?.name === type,
    );
    const id = scheduled ? Number((scheduled as { eventId?: unknown }).eventId) : NaN;
    const started = events.find(
      (e) =>
        Number((e.activityTaskStartedEventAttributes as { scheduledEventId?: unknown } | undefined)?.scheduledEventId) === id,
    );
    const completed = events.find(
      (e) =>
        Number((e.activityTaskCompletedEventAttributes as { scheduledEventId?: unknown } | undefined)?.scheduledEventId) === id,
    );
    return { scheduled: ms(scheduled), started: ms(started), completed: ms(completed) };
  };
  const steps: Record<string, number[]> = {};
  const add = (k: string, v: number) => void (Number.isFinite(v) && (steps[k] ??= []).push(v));
  let page: HistoryEvent[] = [];
  try {
    page = ((await client.workflow.getHandle('statuspage-acme-status').fetchHistory()).events ?? []) as HistoryEvent[];
  } catch {
    /* no page history: the (a) steps stay empty */
  }
  for (const [id, at] of sample) {
    const inc = ((await client.workflow.getHandle(id).fetchHistory()).events ?? []) as HistoryEvent[];
    add('events.incident', inc.length);
    const wftStarted = inc.find(has('workflowTaskStartedEventAttributes'));
    const wftCompleted = inc.find(has('workflowTaskCompletedEventAttributes'));
    add('incident.queue', ms(wftStarted) - at);
    add('incident.task', ms(wftCompleted) - ms(wftStarted));
    const change = activity(inc, 'sendPageChange');
    add('pageChange.queue', change.started - change.scheduled);
    add('pageChange.run', change.completed - change.started);
    // The status page: the signal carrying this incident, the task that took it, its publish.
    const signalAt = page.findIndex((e) =>
      (
        (
          e.workflowExecutionSignaledEventAttributes as
            { input?: { payloads?: { data?: Uint8Array | null }[] | null } } | undefined
        )?.input?.payloads ?? []
      ).some((p) => !!p.data && Buffer.from(p.data).toString('utf8').includes(`"id":"${id}"`)),
    );
    if (signalAt >= 0) {
      const rest = page.slice(signalAt);
      const took = rest.find(has('workflowTaskStartedEventAttributes'));
      const publishAt = rest.findIndex(
        (e) =>
          (e.activityTaskScheduledEventAttributes as { activityType?: { name?: string } } | undefined)?.activityType?.name ===
          'publishPage',
      );
      const pub = publishAt >= 0 ? activity(rest.slice(publishAt), 'publishPage') : undefined;
      add('page.signalToTask', ms(took) - ms(page[signalAt]));
      // With publish-local the publish runs inside that task: from the task to the file seen.
      if (publishAt < 0 && published.has(id)) add('page.taskToSnapshot', published.get(id)! - ms(took));
      if (pub) {
        add('page.taskToPublish', pub.scheduled - ms(took));
        add('publish.queue', pub.started - pub.scheduled);
        add('publish.run', pub.completed - pub.started);
        if (published.has(id)) add('publish.toPoll', published.get(id)! - pub.completed);
      }
    }
    // Inline rounds (inline-small-rounds): the first request leaves from inside the incident's first task.
    if (firstSend.has(id)) add('incident.taskToFirstRequest', firstSend.get(id)! - ms(wftStarted));
    const child = inc.find(has('startChildWorkflowExecutionInitiatedEventAttributes'));
    const childStarted = inc.find(has('childWorkflowExecutionStartedEventAttributes'));
    add('child.start', ms(childStarted) - ms(child));
    let round: HistoryEvent[] = [];
    try {
      round = ((await client.workflow.getHandle(`notify-${id}-1-initial-customers`).fetchHistory()).events ??
        []) as HistoryEvent[];
    } catch {
      continue;
    }
    add('events.round', round.length);
    const rStarted = round.find(has('workflowExecutionStartedEventAttributes'));
    const rTask = round.find(has('workflowTaskStartedEventAttributes'));
    add('round.queue', ms(rTask) - ms(rStarted));
    const prepare = activity(round, 'prepareRound');
    const plan = activity(round, 'planAudiencePage');
    const batch = activity(round, 'deliverBatch');
    // From the round's first task to its first batch scheduled (prepare and plan included, as
    // activities or, with the notify-local-prepare patch, as local activities inside that task).
    add('round.taskToBatch', batch.scheduled - ms(rTask));
    add('prepare.queue', prepare.started - prepare.scheduled);
    add('prepare.run', prepare.completed - prepare.started);
    add('prepare→plan', plan.scheduled - prepare.completed);
    add('plan.queue', plan.started - plan.scheduled);
    add('plan.run', plan.completed - plan.started);
    add('plan→batch', batch.scheduled - plan.completed);
    add('batch.queue', batch.started - batch.scheduled);
    if (firstSend.has(id)) add('batch.toFirstRequest', firstSend.get(id)! - batch.started);
  }
  add('events.page', page.length);
  await connection.close();
  return Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, stats(v).p50]));
}

/**
 * The floor: a fresh dev server, bench/floor/worker.ts in its own process, and the same burst of
 * starts (COUNT, CONCURRENCY in flight) of a workflow whose first task runs one local activity;
 * latency from each start accepted to its local activity running.
 */
async function temporalFloor(dataDir: string, env: Record<string, string>) {
  const port = await freePort();
  const server = await startDevServer({ binary: temporalCliPath(), port, dbFile: join(dataDir, 'floor.db'), stdio: 'ignore' });
  dev = server;
  const marksFile = join(dataDir, 'floor-marks.txt');
  const taskQueue = 'herald-floor';
  const worker = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'floor', 'worker.ts')], {
    cwd: ROOT,
    env: { ...env, TEMPORAL_ADDRESS: server.address, FLOOR_TASK_QUEUE: taskQueue, FLOOR_MARKS: marksFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(worker);
  procs.worker = worker;
  await new Promise<void>((resolve, reject) => {
    worker.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    worker.once('exit', (code) => reject(new Error(`the floor's worker exited with ${code}`)));
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const start = async (id: string) => {
    await client.workflow.start('floorIncident', { taskQueue, workflowId: id, args: [id] });
    return Date.now();
  };
  const marks = () =>
    new Map(
      existsSync(marksFile)
        ? readFileSync(marksFile, 'utf8')
            .trim()
            .split('\n')
            .map((l) => l.split(' '))
            .map(([id, t]) => [id!, Number(t)] as const)
        : [],
    );
  const warm = await Promise.all([0, 1, 2].map((i) => start(`floor-warmup-${i}`)));
  await until(async () => marks().size >= warm.length, 60_000, "the floor's warm-up");
  const before = cpuTimes();
  const accepted = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < COUNT) {
        const id = `floor-${next++}`;
        accepted.set(id, await start(id));
      }
    }),
  );
  await until(async () => marks().size >= COUNT + warm.length, TIMEOUT_MS, 'every floor workflow to run its local activity');
  const cpuSeconds = cpuTimes(before);
  const ran = marks();
  await connection.close();
  return {
    firstLocalActivityMs: stats([...accepted].map(([id, at]) => ran.get(id)! - at)),
    cpuSeconds: { temporal: cpuSeconds.temporal!, worker: cpuSeconds.worker! },
  };
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stats(values: number[]) {
  if (values.length === 0) return { p50: NaN, p99: NaN, max: NaN, n: 0 };
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { p50: round(q(0.5)), p99: round(q(0.99)), max: round(s[s.length - 1]!), n: s.length };
}

const round = (n: number) => Math.round(n * 10) / 10;
const log = (m: string) => console.error(`bench: ${m}`);

main().catch(async (err) => {
  console.error(`bench: ${(err as Error).message}`);
  await Promise.all(children.map((c) => stopProcess(c)));
  if (dev) await dev.stop();
  process.exit(1);
});
