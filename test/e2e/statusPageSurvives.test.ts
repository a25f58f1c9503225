import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { pageChangeSignal, statusPage, statusPageWorkflowId } from '../../workflows/statusPage';
import { startDevServer, temporalCliPath, type DevServer } from '../../scripts/devServer';
import { EXAMPLE_PLAN, examplePlan } from '../support/config';
import { openIncident } from '../support/pageStates';
import { freePort } from '../support/ports';
import { eventually } from '../support/temporal';

// Herald's own failure domain: with Temporal, the worker and the API all stopped, the status server
// (its own process) keeps serving the last published snapshot.

const ROOT = join(__dirname, '..', '..');

function spawnHerald(script: string, env: Record<string, string>): { proc: ChildProcess; output: () => string; exited: Promise<void> } {
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

  test('with Temporal, the worker and the API stopped, the status server still serves the last snapshot', { timeout: 150_000 }, async () => {
    const plan = examplePlan();
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
    await eventually(async () => ((await fetch(`http://127.0.0.1:${env.HERALD_API_PORT}/healthz`)).status === 200 ? true : undefined), 60_000, `the API (${api.output()})`);
    await eventually(async () => ((await fetch(`${statusBase}/api/v2/status.json`)).ok ? true : undefined), 60_000, `the initial snapshot (${worker.output()})`);

    // An incident reaches the page through the statusPage workflow, as the lifecycle sends it.
    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection });
    await client.workflow.signalWithStart(statusPage, {
      workflowId: statusPageWorkflowId(plan.page.id, false),
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      args: [{ pageId: plan.page.id, drill: false }],
      signal: pageChangeSignal,
      signalArgs: [{ kind: 'incident', incident: openIncident(new Date()) }],
    });
    await connection.close();
    await eventually(
      async () => {
        const s = (await (await fetch(`${statusBase}/api/v2/summary.json`)).json()) as { incidents: { id: string }[] };
        return s.incidents.some((i) => i.id === 'inc-api-errors') ? true : undefined;
      },
      30_000,
      'the incident on the status server',
    );
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
    const doc = (await summary.json()) as { status: { indicator: string }; incidents: { id: string; eta: string | null }[] };
    assert.equal(doc.status.indicator, 'major');
    assert.deepEqual(doc.incidents.map((i) => i.id), ['inc-api-errors']);
    assert.ok(doc.incidents[0]!.eta);
    const page = await fetch(`${statusBase}/`);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), before);
    for (const path of ['/zh-TW/', '/incidents/inc-api-errors.html', '/history.atom', '/embed/banner.js', '/embed/banner.json', '/503.html', '/api/v2/components.json']) {
      assert.equal((await fetch(`${statusBase}${path}`)).status, 200, path);
    }
    const etag = summary.headers.get('etag')!;
    assert.equal((await fetch(`${statusBase}/api/v2/summary.json`, { headers: { 'if-none-match': etag } })).status, 304);
    assert.equal(status.proc.exitCode, null, 'the status server is still running');
  });
});
