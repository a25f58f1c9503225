import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../core/config';
import type { NotifyReport } from '../../core/notify';
import { openConfiguredStore } from '../../core/store';
import { NOTIFY_WORKFLOW, type NotifyWorkflow } from '../../workflows/contracts/notify';
import { clusterBasePort } from '../../bench/cluster';
import { benchRequest, seed, startFakeAwsProcess, type FakeAwsProcess } from '../../bench/fanout';
import { FAKE_CREDENTIALS } from '../support/fakeAws';
import { freePort } from '../support/ports';
import { eventually } from '../support/temporal';

// `npm run start:cluster` for real: PostgreSQL, Temporal's frontend, history, matching and worker as
// separate processes, two Herald workers, the API and the status server, all under the supervisor.
// One cluster is started for the whole file (it takes a while on two cores) and every test reuses
// it, in order: a lifecycle, a 10,000-recipient round with a worker SIGKILLed, a round with the
// history service SIGKILLed, and the frontend down and back.

const ROOT = join(__dirname, '..', '..');
const RECIPIENTS = 10_000;
const DELIVERY_CONCURRENCY = 8;
const PROVIDER_CONCURRENCY = '16';

interface Cluster {
  proc: ChildProcess;
  output: () => string;
  dataDir: string;
  env: Record<string, string>;
  api: string;
  status: string;
  temporal: string;
  operator: string;
  fake: FakeAwsProcess;
  pid(name: string): number;
}

async function startClusterProcess(): Promise<Cluster> {
  const fake = await startFakeAwsProcess(['us-east-1', 'us-west-2']);
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-cluster-'));
  const base = await clusterBasePort();
  const env = await clusterEnv(fake, dataDir, base);
  return { ...(await launch(env)), dataDir, env, fake };
}

async function clusterEnv(fake: FakeAwsProcess, dataDir: string, base: number): Promise<Record<string, string>> {
  const endpoints = Object.entries(fake.regions)
    .map(([r, url]) => `${r}=${url}`)
    .join(',');
  const regions = Object.keys(fake.regions).join(',');
  const env: Record<string, string> = {
    HERALD_DATA_DIR: dataDir,
    HERALD_API_PORT: String(await freePort()),
    HERALD_STATUS_PORT: String(await freePort()),
    HERALD_POSTGRES_PORT: String(await freePort()),
    TEMPORAL_PORT: String(base),
    TEMPORAL_UI_PORT: String(await freePort()),
    HERALD_WORKER_METRICS_PORT: '0',
    HERALD_STATUS_WORKERS: '1',
    HERALD_LOG_LEVEL: 'warn',
    // A test cluster need not wait for each commit to reach the disk.
    HERALD_POSTGRES_SYNC: 'off',
    HERALD_OPERATOR_TOKEN: 'cluster-operator-token-0123456789',
    HERALD_WEBHOOK_TOKEN: 'cluster-webhook-token-0123456789',
    HERALD_EMAIL_PROVIDER: 'ses',
    HERALD_SMS_PROVIDER: 'pinpoint',
    HERALD_SES_REGIONS: regions,
    HERALD_SES_ENDPOINTS: endpoints,
    HERALD_PINPOINT_REGIONS: regions,
    HERALD_PINPOINT_ENDPOINTS: endpoints,
    HERALD_PINPOINT_APP_IDS: 'cluster-app',
    HERALD_DELIVERY_BATCH_SIZE: '500',
    HERALD_DELIVERY_CONCURRENCY: String(DELIVERY_CONCURRENCY),
    HERALD_PROVIDER_CONCURRENCY: PROVIDER_CONCURRENCY,
    HERALD_REGION_COOLDOWN: '2s',
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    ...(process.env.HERALD_TEST_WORKFLOW_BUNDLE ? { HERALD_WORKFLOW_BUNDLE: process.env.HERALD_TEST_WORKFLOW_BUNDLE } : {}),
  };
  return env;
}

/** `npm run start:cluster` with this environment, resolved once it printed "Herald is running". */
async function launch(env: Record<string, string>): Promise<Omit<Cluster, 'dataDir' | 'env' | 'fake'>> {
  const dataDir = env.HERALD_DATA_DIR!;
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_') && !k.startsWith('TEMPORAL_')),
  ) as Record<string, string>;
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'start.ts'), '--cluster'], {
    cwd: ROOT,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 240_000;
  while (!/Herald is running\./.test(out)) {
    if (proc.exitCode !== null) throw new Error(`start:cluster exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`start:cluster did not come up within 240 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    proc,
    output: () => out,
    api: `http://127.0.0.1:${env.HERALD_API_PORT}`,
    status: `http://127.0.0.1:${env.HERALD_STATUS_PORT}`,
    temporal: `127.0.0.1:${env.TEMPORAL_PORT}`,
    operator: env.HERALD_OPERATOR_TOKEN!,
    pid: (name) => {
      const pid = (JSON.parse(readFileSync(join(dataDir, 'logs', 'processes.json'), 'utf8')) as Record<string, number>)[name];
      if (!pid) throw new Error(`no running ${name}`);
      return pid;
    },
  };
}

/** Herald's store on the cluster's PostgreSQL, as start:cluster configured it. */
function storeUrl(c: Cluster): string {
  const secrets = JSON.parse(readFileSync(join(c.dataDir, 'cluster', 'secrets.json'), 'utf8')) as { herald: string };
  return `postgres://herald:${encodeURIComponent(secrets.herald)}@127.0.0.1:${c.env.HERALD_POSTGRES_PORT}/herald`;
}

/** Running (a zombie not yet reaped by a held supervisor counts as gone). */
const alive = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
  } catch {
    return false;
  }
};

describe('npm run start:cluster', { timeout: 900_000 }, () => {
  let c: Cluster;
  let connection: Connection;
  let client: Client;
  before(async () => {
    c = await startClusterProcess();
    connection = await Connection.connect({ address: c.temporal });
    client = new Client({ connection });
  });
  after(async () => {
    await connection?.close();
    if (c) {
      if (c.proc.exitCode === null) {
        c.proc.kill('SIGTERM');
        await new Promise((r) => c.proc.once('exit', r));
      }
      c.fake.proc.kill('SIGTERM');
      rmSync(c.dataDir, { recursive: true, force: true });
    }
  });

  const api = (path: string, body?: unknown) =>
    fetch(`${c.api}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${c.operator}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const summary = async () =>
    (await (await fetch(`${c.status}/api/v2/summary.json`)).json()) as {
      status: { indicator: string };
      incidents: { name: string; status: string }[];
    };

  test('an incident goes through its whole lifecycle on the cluster, every service its own process', async () => {
    for (const name of [
      'postgres',
      'temporal-frontend',
      'temporal-history',
      'temporal-matching',
      'temporal-worker',
      'worker-1',
      'worker-2',
      'api',
      'status',
    ])
      assert.ok(alive(c.pid(name)), `${name} runs`);
    const declared = await api('/v1/incidents', {
      title: 'Invoices delayed',
      scenario: 'degradation',
      components: ['invoicing'],
      message: 'Invoices are sent late.',
    });
    assert.equal(declared.status, 201, await declared.clone().text());
    const { id } = (await declared.json()) as { id: string };
    await eventually(
      async () => ((await summary()).incidents.some((i) => i.name === 'Invoices delayed') ? true : undefined),
      60_000,
      'the incident on the page',
    );
    assert.equal(
      (await api(`/v1/incidents/${id}/updates`, { status: 'identified', message: 'We found the cause.' })).status,
      200,
    );
    assert.equal((await api(`/v1/incidents/${id}/resolve`, { message: 'Invoices go out on time again.' })).status, 200);
    await eventually(
      async () => {
        const s = await summary();
        return s.status.indicator === 'none' && !s.incidents.some((i) => i.name === 'Invoices delayed') ? true : undefined;
      },
      60_000,
      'the page back to operational',
    );
    const state = (await (await api(`/v1/incidents/${id}`)).json()) as { status: string; timeline: unknown[] };
    assert.equal(state.status, 'resolved');
    // The incident is in Temporal's visibility on PostgreSQL with Herald's search attributes.
    const found = await eventually(
      async () =>
        (await client.workflow.count(`WorkflowId = '${id}' AND HeraldStatus = 'resolved'`)).count === 1 ? true : undefined,
      30_000,
      'the incident by its search attributes',
    );
    assert.ok(found);
  });

  test('a 10,000-recipient round with one of the two workers SIGKILLed loses nothing and repeats at most what was in flight', async () => {
    const store = await openConfiguredStore(loadConfig({ HERALD_DATA_DIR: c.dataDir, HERALD_DATABASE_URL: storeUrl(c) }));
    await seed(store, RECIPIENTS);
    await store.close();
    await c.fake.reset();
    const roundId = `cluster-kill-worker-${Date.now()}`;
    const handle = await client.workflow.start<NotifyWorkflow>(NOTIFY_WORKFLOW, {
      workflowId: roundId,
      taskQueue: 'herald',
      args: [benchRequest(roundId)],
    });
    let done = false;
    const result = handle.result().finally(() => (done = true));
    // The victim is a worker that is running one of the round's batches right then.
    let killedAt = 0;
    let victim = 0;
    let victimName = '';
    while (!done && !victim) {
      const { accepted } = await c.fake.stats();
      if (accepted >= RECIPIENTS / 5) {
        const running = ((await handle.describe()).raw.pendingActivities ?? []).map((a) => a.lastWorkerIdentity ?? '');
        for (const name of ['worker-1', 'worker-2']) {
          const pid = c.pid(name);
          if (!victim && running.some((identity) => identity.startsWith(`${pid}@`))) {
            process.kill(pid, 'SIGKILL');
            [victim, victimName, killedAt] = [pid, name, accepted];
          }
        }
      }
      if (!victim) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(killedAt > 0 && killedAt < RECIPIENTS, `killed mid-round (at ${killedAt} accepted)`);
    const report: NotifyReport = await result;
    const stats = await c.fake.stats();
    assert.equal(stats.unique, RECIPIENTS, 'every recipient got the message: 0 lost');
    assert.ok(
      stats.duplicates <= report.possibleDuplicates,
      `every repeat is counted (${stats.duplicates} ≤ ${report.possibleDuplicates})`,
    );
    // The stated bound: the recipients one worker has in provider requests at once (HERALD_IN_FLIGHT_RECIPIENTS).
    const bound = loadConfig({ HERALD_DATA_DIR: c.dataDir }).delivery.inFlightRecipients;
    assert.ok(stats.duplicates <= bound, `repeats ${stats.duplicates} within the bound ${bound}`);
    assert.match(c.output(), new RegExp(`the ${victimName} process stopped \\(SIGKILL\\); starting it again`));
    await eventually(
      async () => (alive(c.pid(victimName)) && c.pid(victimName) !== victim ? true : undefined),
      30_000,
      'the worker back',
    );
    console.log(
      `# ${victimName} SIGKILLed at ${killedAt}/${RECIPIENTS} accepted: repeats ${stats.duplicates}, counted ${report.possibleDuplicates}`,
    );
  });

  test('the history service SIGKILLed mid-round is started again and the round loses nothing', async () => {
    await c.fake.reset();
    const victim = c.pid('temporal-history');
    const roundId = `cluster-kill-history-${Date.now()}`;
    const handle = await client.workflow.start<NotifyWorkflow>(NOTIFY_WORKFLOW, {
      workflowId: roundId,
      taskQueue: 'herald',
      args: [benchRequest(roundId)],
    });
    let done = false;
    const result = handle.result().finally(() => (done = true));
    let killedAt = 0;
    while (!done) {
      const { accepted } = await c.fake.stats();
      if (accepted >= RECIPIENTS / 5) {
        process.kill(victim, 'SIGKILL');
        killedAt = accepted;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(killedAt > 0 && killedAt < RECIPIENTS, `killed mid-round (at ${killedAt} accepted)`);
    const report: NotifyReport = await result;
    const stats = await c.fake.stats();
    assert.equal(stats.unique, RECIPIENTS, '0 lost');
    assert.equal(report.sent, RECIPIENTS);
    assert.ok(
      stats.duplicates <= report.possibleDuplicates,
      `every repeat is counted (${stats.duplicates} ≤ ${report.possibleDuplicates})`,
    );
    assert.match(c.output(), /the temporal-history process stopped \(SIGKILL\); starting it again/);
    assert.notEqual(c.pid('temporal-history'), victim);
    console.log(
      `# history SIGKILLed at ${killedAt}/${RECIPIENTS} accepted: repeats ${stats.duplicates}, counted ${report.possibleDuplicates}`,
    );
  });

  test('with the frontend down the API answers 503 with Retry-After and the page is served; started again, the incident goes on', async () => {
    const declared = await api('/v1/incidents', {
      title: 'Website slow',
      scenario: 'degradation',
      components: ['website'],
      message: 'Pages load slowly.',
    });
    assert.equal(declared.status, 201);
    const { id } = (await declared.json()) as { id: string };
    await eventually(
      async () => ((await summary()).incidents.some((i) => i.name === 'Website slow') ? true : undefined),
      60_000,
      'the incident on the page',
    );

    // Hold the supervisor so that the frontend stays down, then kill the frontend.
    const frontend = c.pid('temporal-frontend');
    process.kill(c.proc.pid!, 'SIGSTOP');
    try {
      process.kill(frontend, 'SIGKILL');
      await eventually(async () => (alive(frontend) ? undefined : true), 10_000, 'the frontend gone');
      const refused = await api(`/v1/incidents/${id}/updates`, { status: 'identified', message: 'We found the cause.' });
      assert.equal(refused.status, 503, await refused.clone().text());
      assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
      assert.equal(refused.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal((await fetch(`${c.api}/healthz`)).status, 503);
      const page = await fetch(`${c.status}/`);
      assert.equal(page.status, 200);
      assert.ok(
        (await summary()).incidents.some((i) => i.name === 'Website slow'),
        'the page still shows the incident',
      );
    } finally {
      process.kill(c.proc.pid!, 'SIGCONT');
    }
    await eventually(
      async () => ((await fetch(`${c.api}/healthz`)).status === 200 ? true : undefined),
      60_000,
      'the API healthy again',
    );
    const update = await eventually(
      async () => {
        const r = await api(`/v1/incidents/${id}/updates`, { status: 'identified', message: 'We found the cause.' });
        return r.status === 503 ? undefined : r;
      },
      30_000,
      'the update accepted',
    );
    assert.equal(update.status, 200, await update.clone().text());
    await eventually(
      async () =>
        (await summary()).incidents.find((i) => i.name === 'Website slow')?.status === 'identified' ? true : undefined,
      60_000,
      'the update on the page',
    );
    assert.match(c.output(), /the temporal-frontend process stopped \(SIGKILL\); starting it again/);
  });

  test('SIGTERM stops every process; a second start changes no schema and the incident is still there', async () => {
    const before = JSON.parse(readFileSync(join(c.dataDir, 'logs', 'processes.json'), 'utf8')) as Record<string, number>;
    const schemaLog = join(c.dataDir, 'logs', 'temporal-schema.log');
    const schemaBefore = readFileSync(schemaLog, 'utf8').length;
    await connection.close();
    c.proc.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => c.proc.once('exit', (code) => r(code)));
    assert.equal(code, 0);
    for (const [name, pid] of Object.entries(before)) assert.equal(alive(pid), false, `${name} stopped`);

    Object.assign(c, await launch(c.env));
    connection = await Connection.connect({ address: c.temporal });
    client = new Client({ connection });
    const second = readFileSync(schemaLog, 'utf8').slice(schemaBefore);
    assert.doesNotMatch(second, /create-database|setup-schema/, 'the databases are not created again');
    assert.equal(second.match(/found zero updates from current version/g)?.length, 2, 'both schemas were current');
    assert.doesNotMatch(c.output(), /Operator token/, 'tokens are kept');
    const list = await eventually(
      async () => {
        const r = await api('/v1/incidents');
        return r.ok
          ? ((await r.json()) as { incidents: { title: string | null; status: string | null }[] }).incidents
          : undefined;
      },
      30_000,
      'the incident list',
    );
    assert.equal(list.find((i) => i.title === 'Website slow')?.status, 'identified');
  });
});
