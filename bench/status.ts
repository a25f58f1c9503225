import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { publishToDirectory } from '../activities/publish/directory';
import { snapshotVersion } from '../activities/publish/initial';
import { loadConfig } from '../core/config';
import { buildSnapshot } from '../core/statuspage/snapshot';
import type { PageChange, PageIncident } from '../core/statuspage/types';
import { startDevServer, temporalCliPath } from '../scripts/devServer';
import { EXAMPLE_PLAN, examplePlan } from '../test/support/config';
import { openIncident, pageState, pastIncident } from '../test/support/pageStates';
import { freePort } from '../test/support/ports';
import { bundleWorkflows, createHeraldWorker } from '../worker/createWorker';
import {
  pageChangeSignal,
  STATUS_PAGE_WORKFLOW,
  type StatusPageWorkflow,
  statusPageWorkflowId,
} from '../workflows/contracts/statusPage';

// npm run bench:status — two figures, measured in one run:
//  1. summary.json throughput of Herald's status server against nginx serving the same directory
//     (wrk, same threads, connections and duration, one after the other), each with a process per
//     CPU (HERALD_STATUS_WORKERS=auto, Herald's default, against nginx's worker_processes N, as
//     `worker_processes auto` gives), and one process each. Both read the same published directory;
//     nginx serves it with sendfile and open_file_cache, Herald from memory. wrk runs on the same
//     host, so it competes with both alike. Target: ≥ 0.5 × nginx.
//  2. Publish latency: from a change signalled to the statusPage workflow (real dev server, real
//     worker) to the new snapshot on disk, over N sequential changes. Target: p99 ≤ 1 s.
// The last line is JSON with every figure.

const ROOT = join(__dirname, '..');
const WRK = process.env.WRK ?? '/usr/bin/wrk';
const NGINX = process.env.NGINX ?? '/usr/sbin/nginx';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const THREADS = 2;
const CONNECTIONS = 50;
const CHANGES = Number(process.env.BENCH_CHANGES ?? 100);

const children: ChildProcess[] = [];
const cleanup = () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
};
process.once('exit', cleanup);
process.once('SIGINT', () => (cleanup(), process.exit(130)));

async function waitForHttp(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

function wrk(url: string, seconds: number): WrkResult {
  const r = spawnSync(WRK, ['-t', String(THREADS), '-c', String(CONNECTIONS), '-d', `${seconds}s`, '--latency', url], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr || r.stdout}`);
  const out = r.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const ms = (label: string) => {
    const m = new RegExp(`^\\s+${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const errors =
    Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors:.*?(\d+)/.exec(out)?.[1] ?? 0);
  if (!(rps > 0)) throw new Error(`could not read wrk's output:\n${out}`);
  return { rps, p50ms: ms('50'), p99ms: ms('99'), errors };
}

function nginxConfig(dir: string, publicDir: string, port: number, workers: string): string {
  const conf = join(dir, `nginx-${workers}.conf`);
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(
    conf,
    `daemon off;
worker_processes ${workers};
pid ${join(dir, `nginx-${workers}.pid`)};
error_log ${join(dir, 'nginx-error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  open_file_cache max=1000 inactive=20s;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  types { text/html html; application/json json; application/atom+xml atom; application/rss+xml rss; text/javascript js; }
  server {
    listen 127.0.0.1:${port};
    root ${publicDir};
    location / {
      add_header Cache-Control "public, max-age=10, stale-while-revalidate=30, stale-if-error=86400";
      add_header Access-Control-Allow-Origin *;
      try_files $uri $uri/index.html =404;
    }
  }
}
`,
  );
  return conf;
}

async function throughput(work: string) {
  // A realistic page: an open incident on a page with 90 days of history and 50 past incidents.
  const plan = examplePlan();
  const state = pageState(plan, 'incident');
  state.incidents.push(...Array.from({ length: 48 }, (_, i) => pastIncident(`inc-history-${i}`, 2 + i * 1.8, 20 + (i % 7) * 15)));
  const dataDir = join(work, 'data');
  const publicDir = join(dataDir, 'public');
  const snapshot = buildSnapshot(plan, state, join(ROOT, 'templates'));
  await publishToDirectory(publicDir, snapshot, snapshotVersion());
  const summaryBytes = readFileSync(join(publicDir, 'api', 'v2', 'summary.json')).length;

  const startHerald = async (workers: number) => {
    const port = await freePort();
    const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'api', 'statusMain.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        HERALD_DATA_DIR: dataDir,
        HERALD_STATUS_PORT: String(port),
        HERALD_STATUS_WORKERS: String(workers),
        HERALD_LOG_LEVEL: 'warn',
        HERALD_PLAN: EXAMPLE_PLAN,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(proc);
    const url = `http://127.0.0.1:${port}/api/v2/summary.json`;
    await waitForHttp(url, 60_000); // a process per CPU starts slowly on a busy machine
    return { url, stop: () => new Promise<void>((r) => (proc.once('exit', () => r()), proc.kill('SIGTERM'))) };
  };
  const startNginx = async (workers: number) => {
    const port = await freePort();
    const proc = spawn(NGINX, ['-c', nginxConfig(work, publicDir, port, String(workers)), '-p', work], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(proc);
    const url = `http://127.0.0.1:${port}/api/v2/summary.json`;
    await waitForHttp(url).catch((err: Error) => {
      const log = join(work, 'nginx-error.log');
      throw new Error(`nginx: ${err.message}${existsSync(log) ? `\n${readFileSync(log, 'utf8')}` : ''}`);
    });
    return { url, stop: () => new Promise<void>((r) => (proc.once('exit', () => r()), proc.kill('SIGQUIT'))) };
  };
  const measure = async (name: string, server: { url: string; stop: () => Promise<void> }) => {
    wrk(server.url, 2); // warm-up: JIT, caches, connections
    const r = wrk(server.url, DURATION_S);
    console.log(
      `  ${name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50ms} ms  p99 ${r.p99ms} ms  errors ${r.errors}`,
    );
    await server.stop();
    return r;
  };

  // Same body from both sides, or the comparison means nothing.
  const probeHerald = await startHerald(1);
  const probeNginx = await startNginx(1);
  const a = Buffer.from(await (await fetch(probeHerald.url)).arrayBuffer());
  const b = Buffer.from(await (await fetch(probeNginx.url)).arrayBuffer());
  if (!a.equals(b)) throw new Error('the status server and nginx serve different summary.json bodies');

  const cpus = Math.min(8, availableParallelism());
  console.log(
    `summary.json: ${summaryBytes} bytes; wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION_S}s each, one after the other, on ${availableParallelism()} CPUs (wrk included)`,
  );
  const herald = await measure(`herald status server (${cpus} processes)`, await startHerald(cpus));
  const nginx = await measure(`nginx (${cpus} workers)`, await startNginx(cpus));
  const heraldOne = await measure('herald status server (1 process)', probeHerald);
  const nginxOne = await measure('nginx (1 worker)', probeNginx);
  const ratio = herald.rps / nginx.rps;
  const ratioOne = heraldOne.rps / nginxOne.rps;
  console.log(
    `  ratio herald / nginx, ${cpus} processes each: ${ratio.toFixed(2)} (target ≥ 0.5); one process each: ${ratioOne.toFixed(2)}`,
  );
  return { summaryBytes, processes: cpus, herald, nginx, heraldOne, nginxOne, ratio, ratioOne };
}

async function publishLatency(work: string) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const temporal = await startDevServer({ binary: temporalCliPath(), port: await freePort(), stdio: 'ignore' });
  try {
    const config = loadConfig({
      HERALD_DATA_DIR: join(work, 'latency'),
      HERALD_PLAN: EXAMPLE_PLAN,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: `bench-${Date.now()}`,
      HERALD_LOG_LEVEL: 'silent',
    });
    const plan = examplePlan();
    const nativeConnection = await NativeConnection.connect({ address: temporal.address });
    const { worker } = await createHeraldWorker({
      config,
      plan,
      workflowBundle: await bundleWorkflows(),
      connection: nativeConnection,
    });
    const running = worker.run();
    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection });
    const summaryPath = join(config.publicDir, 'api', 'v2', 'summary.json');
    const incident: PageIncident = openIncident(new Date());
    const latencies: number[] = [];
    const send = async (i: number) => {
      const at = new Date().toISOString();
      incident.updates.push({
        id: `bench-u${i}`,
        status: 'identified',
        body: `Update ${i}: the fix is rolling out.`,
        createdAt: at,
        affectedComponents: null,
      });
      incident.updatedAt = at;
      const marker = `"bench-u${i}"`;
      const started = performance.now();
      await client.workflow.signalWithStart<StatusPageWorkflow, [PageChange]>(STATUS_PAGE_WORKFLOW, {
        workflowId: statusPageWorkflowId(plan.page.id, false),
        taskQueue: config.temporal.taskQueue,
        args: [{ pageId: plan.page.id, drill: false }],
        signal: pageChangeSignal,
        signalArgs: [{ kind: 'incident', incident: structuredClone(incident) }],
      });
      for (;;) {
        try {
          if (readFileSync(summaryPath, 'utf8').includes(marker)) break;
        } catch {
          // not published yet
        }
        if (performance.now() - started > 30_000) throw new Error(`change ${i} did not reach the disk within 30 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      return performance.now() - started;
    };
    // A realistic page first: 48 resolved incidents of history, so every publish renders ~125 files.
    const handle = client.workflow.getHandle(statusPageWorkflowId(plan.page.id, false));
    await send(0); // starts the workflow; not counted
    for (let i = 0; i < 48; i++)
      await handle.signal(pageChangeSignal, {
        kind: 'incident',
        incident: pastIncident(`inc-history-${i}`, 2 + i * 1.8, 20 + (i % 7) * 15, new Date()),
      });
    await send(0.5); // waits until the history is published too; not counted
    for (let i = 1; i <= CHANGES; i++) latencies.push(await send(i));
    await connection.close();
    worker.shutdown();
    await running;
    await nativeConnection.close();
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
    const result = {
      changes: latencies.length,
      p50ms: Math.round(pct(50)),
      p90ms: Math.round(pct(90)),
      p99ms: Math.round(pct(99)),
      maxMs: Math.round(latencies.at(-1)!),
    };
    const files = readdirSync(join(config.publicDir, 'incidents')).length;
    console.log(
      `publish latency, change signalled → snapshot on disk (${files} incident pages per locale), ${result.changes} changes: p50 ${result.p50ms} ms  p90 ${result.p90ms} ms  p99 ${result.p99ms} ms  max ${result.maxMs} ms (target p99 ≤ 1000 ms)`,
    );
    return result;
  } finally {
    await temporal.stop();
  }
}

async function main() {
  for (const [bin, pkg] of [
    [WRK, 'wrk'],
    [NGINX, 'nginx-light'],
  ] as const) {
    if (!existsSync(bin)) throw new Error(`${bin} not found: install Debian's ${pkg} (apt-get install ${pkg})`);
  }
  const work = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  chmodSync(work, 0o755); // nginx's workers run as an unprivileged user when started as root
  try {
    const serve = await throughput(work);
    const latency = await publishLatency(work);
    console.log(
      JSON.stringify({
        bench: 'status',
        summaryBytes: serve.summaryBytes,
        wrk: { threads: THREADS, connections: CONNECTIONS, seconds: DURATION_S },
        processes: serve.processes,
        heraldRps: Math.round(serve.herald.rps),
        nginxRps: Math.round(serve.nginx.rps),
        ratio: Number(serve.ratio.toFixed(3)),
        heraldOneProcessRps: Math.round(serve.heraldOne.rps),
        nginxOneWorkerRps: Math.round(serve.nginxOne.rps),
        ratioOneProcess: Number(serve.ratioOne.toFixed(3)),
        ratioTarget: 0.5,
        publishLatency: latency,
        publishP99TargetMs: 1000,
        met: { ratio: serve.ratio >= 0.5, publishP99: latency.p99ms <= 1000 },
      }),
    );
  } finally {
    cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  cleanup();
  console.error(`bench:status: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
