import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { PageChange } from '../../core/statuspage/types';
import {
  pageChangeSignal,
  STATUS_PAGE_WORKFLOW,
  type StatusPageWorkflow,
  statusPageWorkflowId,
} from '../../workflows/contracts/statusPage';
import { startDevServer, temporalCliPath, type DevServer } from '../../scripts/devServer';
import { loadPlan } from '../../core/plan/load';
import { EXAMPLE_PLAN } from '../support/config';
import { activeMaintenance } from '../support/pageStates';
import { freePort } from '../support/ports';
import { eventually } from '../support/temporal';

// Herald's own failure domain: with Temporal, the worker and the API all stopped, the status server
// (its own process) keeps serving the last published snapshot.

const ROOT = join(__dirname, '..', '..');

function spawnHerald(
  script: string,
  env: Record<string, string>,
): { proc: ChildProcess; output: () => string; exited: Promise<void> } {
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { proc, output: () => out, exited };
}

const stop = async (p: { proc: ChildProcess; exited: Promise<void> }) => {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill('SIGTERM');
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), 10_000);
  await p.exited;
  clearTimeout(timer);
};

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });

describe('the status page outlives Herald', () => {
  const started: { proc: ChildProcess; exited: Promise<void> }[] = [];
  let temporal: DevServer | undefined;
  after(async () => {
    for (const p of started.reverse()) await stop(p);
    await temporal?.stop();
  });

  test(
    'with Temporal, the worker and the API stopped, the status server still serves the last snapshot',
    { timeout: 150_000 },
    async () => {
      // The plan exactly as the worker and the API processes load it (examplePlan() gives each test a page id of its own).
      const plan = loadPlan(EXAMPLE_PLAN);
      const temporalPort = await freePort();
      temporal = await startDevServer({ binary: temporalCliPath(), port: temporalPort, stdio: 'ignore' });
      const env = {
        HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-survive-')),
        HERALD_PLAN: EXAMPLE_PLAN,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_TASK_QUEUE: `survive-${Date.now()}`,
        HERALD_API_PORT: String(await freePort()),
        HERALD_STATUS_PORT: String(await freePort()),
        HERALD_OPERATOR_TOKEN: 'survive-operator-token-0123456789',
        HERALD_WEBHOOK_TOKEN: 'survive-webhook-token-0123456789',
        HERALD_LOG_LEVEL: 'warn',
        // The harness's prebuilt workflow bundle, when there is one, saves the worker bundling at start.
        ...(process.env.HERALD_TEST_WORKFLOW_BUNDLE ? { HERALD_WORKFLOW_BUNDLE: process.env.HERALD_TEST_WORKFLOW_BUNDLE } : {}),
      };
      const statusBase = `http://127.0.0.1:${env.HERALD_STATUS_PORT}`;
      const worker = spawnHerald('worker/main.ts', env);
      const api = spawnHerald('api/main.ts', env);
      const status = spawnHerald('api/statusMain.ts', env);
      started.push(worker, api, status);

      // Everything is up: the API answers, and the worker has published the initial snapshot.
      await eventually(
        async () => ((await fetch(`http://127.0.0.1:${env.HERALD_API_PORT}/healthz`)).status === 200 ? true : undefined),
        60_000,
        `the API (${api.output()})`,
      );
      await eventually(
        async () => ((await fetch(`${statusBase}/api/v2/status.json`)).ok ? true : undefined),
        60_000,
        `the initial snapshot (${worker.output()})`,
      );

      // An operator declares an incident through the API; the incident workflow hands it to the
      // statusPage workflow, which publishes it. A maintenance goes straight to the page workflow.
      const declared = await fetch(`http://127.0.0.1:${env.HERALD_API_PORT}/v1/incidents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.HERALD_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          title: 'Website slow',
          scenario: 'degradation',
          components: ['website'],
          message: 'Pages load slowly for some customers.',
        }),
      });
      assert.equal(declared.status, 201, await declared.clone().text());
      const connection = await Connection.connect({ address: temporal.address });
      const client = new Client({ connection });
      await client.workflow.signalWithStart<StatusPageWorkflow, [PageChange]>(STATUS_PAGE_WORKFLOW, {
        workflowId: statusPageWorkflowId(plan.page.id, false),
        taskQueue: env.TEMPORAL_TASK_QUEUE,
        args: [{ pageId: plan.page.id, drill: false }],
        signal: pageChangeSignal,
        signalArgs: [{ kind: 'maintenance', maintenance: activeMaintenance(new Date()) }],
      });
      let last = '';
      await eventually(
        async () => {
          last = await (await fetch(`${statusBase}/api/v2/summary.json`)).text();
          const s = JSON.parse(last) as { incidents: { name: string }[]; scheduled_maintenances: { id: string }[] };
          return s.incidents.some((i) => i.name === 'Website slow') &&
            s.scheduled_maintenances.some((m) => m.id === 'mnt-db-upgrade')
            ? true
            : undefined;
        },
        60_000,
        'the incident and the maintenance on the status server',
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nlast summary: ${last.slice(0, 2000)}\nworker: ${worker.output().slice(-2000)}`);
      });
      await connection.close();
      const before = await (await fetch(`${statusBase}/`)).text();

      // Stop the API, the worker and Temporal.
      await stop(api);
      await stop(worker);
      await temporal.stop();
      temporal = undefined;
      assert.ok(await refused(Number(env.HERALD_API_PORT)), 'the API is down');
      assert.ok(await refused(temporalPort), 'Temporal is down');

      // The status server still answers everything, from the last snapshot.
      const summary = await fetch(`${statusBase}/api/v2/summary.json`);
      assert.equal(summary.status, 200);
      const doc = (await summary.json()) as {
        status: { indicator: string };
        incidents: { id: string; name: string; next_update_at: string | null }[];
        components: { id: string; status: string }[];
      };
      assert.equal(doc.status.indicator, 'minor');
      assert.deepEqual(
        doc.incidents.map((i) => i.name),
        ['Website slow'],
      );
      assert.ok(doc.incidents[0]!.next_update_at, 'the next update time is published');
      assert.equal(doc.components.find((c) => c.id === 'website')!.status, 'degraded_performance');
      assert.equal(doc.components.find((c) => c.id === 'invoicing')!.status, 'under_maintenance');
      const page = await fetch(`${statusBase}/`);
      assert.equal(page.status, 200);
      assert.equal(await page.text(), before);
      for (const path of [
        '/zh-TW/',
        `/incidents/${doc.incidents[0]!.id}.html`,
        '/incidents/mnt-db-upgrade.html',
        '/history.atom',
        '/embed/banner.js',
        '/embed/banner.json',
        '/503.html',
        '/api/v2/components.json',
      ]) {
        assert.equal((await fetch(`${statusBase}${path}`)).status, 200, path);
      }
      const etag = summary.headers.get('etag')!;
      assert.equal((await fetch(`${statusBase}/api/v2/summary.json`, { headers: { 'if-none-match': etag } })).status, 304);
      assert.equal(status.proc.exitCode, null, 'the status server is still running');
    },
  );

  test(
    'npm start: with the API and the Temporal dev server SIGKILLed the page is still served, both are back within seconds and the incident goes on',
    { timeout: 240_000 },
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'herald-survive-start-'));
      const env = {
        HERALD_DATA_DIR: dataDir,
        HERALD_API_PORT: String(await freePort()),
        HERALD_STATUS_PORT: String(await freePort()),
        TEMPORAL_PORT: String(await freePort()),
        TEMPORAL_UI_PORT: String(await freePort()),
        HERALD_WORKER_METRICS_PORT: '0',
        HERALD_STATUS_WORKERS: '1',
        HERALD_OPERATOR_TOKEN: 'survive-operator-token-0123456789',
        HERALD_WEBHOOK_TOKEN: 'survive-webhook-token-0123456789',
        HERALD_LOG_LEVEL: 'warn',
        ...(process.env.HERALD_TEST_WORKFLOW_BUNDLE ? { HERALD_WORKFLOW_BUNDLE: process.env.HERALD_TEST_WORKFLOW_BUNDLE } : {}),
      };
      const herald = spawnHerald('scripts/start.ts', env);
      started.push(herald);
      await eventually(
        async () => (/Herald is running\./.test(herald.output()) ? true : undefined),
        120_000,
        `npm start (${herald.output()})`,
      );
      const apiBase = `http://127.0.0.1:${env.HERALD_API_PORT}`;
      const statusBase = `http://127.0.0.1:${env.HERALD_STATUS_PORT}`;
      const post = (path: string, body: unknown) =>
        fetch(`${apiBase}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${env.HERALD_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const incidentOnPage = async () =>
        (
          (await (await fetch(`${statusBase}/api/v2/summary.json`)).json()) as { incidents: { name: string; status: string }[] }
        ).incidents.find((i) => i.name === 'Checkout slow');
      const declared = await post('/v1/incidents', {
        title: 'Checkout slow',
        scenario: 'degradation',
        components: ['website'],
        message: 'Checkout pages load slowly.',
      });
      assert.equal(declared.status, 201, await declared.clone().text());
      const { id } = (await declared.json()) as { id: string };
      await eventually(async () => ((await incidentOnPage()) ? true : undefined), 60_000, 'the incident on the page');

      const pids = () => JSON.parse(readFileSync(join(dataDir, 'logs', 'processes.json'), 'utf8')) as Record<string, number>;
      const before = pids();
      const killedAt = Date.now();
      process.kill(before.api!, 'SIGKILL');
      process.kill(before.temporal!, 'SIGKILL');
      // The page answers throughout, from the last snapshot.
      await eventually(async () => ((await refused(Number(env.HERALD_API_PORT))) ? true : undefined), 5_000, 'the API down');
      assert.equal((await fetch(`${statusBase}/`)).status, 200);
      assert.equal((await incidentOnPage())?.status, 'investigating');

      await eventually(
        async () => ((await fetch(`${apiBase}/healthz`).catch(() => undefined))?.status === 200 ? true : undefined),
        60_000,
        'the API and Temporal back',
      );
      const backAfterMs = Date.now() - killedAt;
      const after = pids();
      assert.notEqual(after.api, before.api);
      assert.notEqual(after.temporal, before.temporal);
      assert.equal(after.status, before.status, 'the status server was never stopped');
      assert.match(herald.output(), /the api process stopped \(SIGKILL\); starting it again/);
      assert.match(herald.output(), /the temporal process stopped \(SIGKILL\); starting it again/);
      assert.ok(backAfterMs < 30_000, `back within seconds (${backAfterMs} ms)`);

      // The incident, kept in the dev server's file, goes on.
      const update = await eventually(
        async () => {
          const r = await post(`/v1/incidents/${id}/updates`, { status: 'identified', message: 'We found the cause.' });
          return r.status === 503 ? undefined : r;
        },
        30_000,
        'the update accepted',
      );
      assert.equal(update.status, 200, await update.clone().text());
      await eventually(
        async () => ((await incidentOnPage())?.status === 'identified' ? true : undefined),
        60_000,
        'the update on the page',
      );
      console.log(`# API and Temporal back ${backAfterMs} ms after SIGKILL`);
      await stop(herald);
      assert.equal(herald.proc.exitCode, 0);
    },
  );
});
