import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { createLogger } from '../../core/logger';
import type { NotifyRequest } from '../../core/notify';
import { openConfiguredStore, openStore, type Store } from '../../core/store';
import { validateSubscriber } from '../../core/store/subscribers';
import { ensureSecret } from '../../core/store/unsubscribe';
import { createHeraldWorker } from '../../worker/createWorker';
import { NOTIFY_WORKFLOW, type NotifyWorkflow } from '../../workflows/contracts/notify';
import { EXAMPLE_PLAN, examplePlan, testConfig } from '../support/config';
import { paymentsOutageRound } from '../support/notifyRequest';
import { freshDatabase, testPostgres, type TestPostgres } from '../support/postgres';
import { testTemporal, type TestTemporal } from '../support/temporal';

// The embedded default end to end: with no provider account, a round writes real .eml and .json
// files to the outbox, and the operator API lists and serves them. And the subscribers CLI.

const ROOT = join(__dirname, '..', '..');
const VIEWER = 'test-viewer-token-0123456789';

describe('the local outbox on the embedded default', () => {
  let t: TestTemporal;
  let worker: Worker;
  let running: Promise<void>;
  let store: Store;
  let server: Server;
  let base: string;
  let config: ReturnType<typeof testConfig>;
  const plan = examplePlan();

  before(async () => {
    t = await testTemporal();
    config = testConfig(t.address);
    store = await openConfiguredStore(config);
    ({ worker } = await createHeraldWorker({
      config,
      plan,
      workflowBundle: t.workflowBundle,
      connection: t.nativeConnection,
      store,
    }));
    running = worker.run();
    const rows = [
      { id: 'ann', email: 'ann@example.com', phone: '+15555550100', components: ['payments'] },
      { id: 'bo', email: 'bo@example.com', webhook: 'http://127.0.0.1:9/hook', locale: 'zh-TW', components: '*' as const },
    ];
    await store.upsertSubscribers(rows.map((r, i) => (validateSubscriber(r, i + 1) as { ok: true; value: never }).value));
    const app = createApp({
      client: t.client,
      plan,
      taskQueue: config.temporal.taskQueue,
      tokens: [{ token: VIEWER, role: 'viewer', name: 'viewer' }],
      log: createLogger('test', 'silent'),
      publicUrl: config.publicUrl,
      outboxDir: config.delivery.outboxDir,
      store,
      secret: ensureSecret(config),
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((r) => server.close(r));
    worker.shutdown();
    await running;
    await store.close();
    await t.teardown();
  });

  const roundRequest = (roundId: string): NotifyRequest =>
    paymentsOutageRound(roundId, { channels: ['email', 'sms', 'webhook'] });
  let annUnsubscribe = '';

  test('a round writes one file per message, and GET /v1/outbox lists and serves them', async () => {
    const request = roundRequest(`notify-outbox-${Date.now()}`);
    const report = await t.client.workflow.execute<NotifyWorkflow>(NOTIFY_WORKFLOW, {
      workflowId: request.roundId,
      taskQueue: config.temporal.taskQueue,
      args: [request],
    });
    assert.equal(report.sent, 4);

    assert.equal((await fetch(`${base}/v1/outbox`)).status, 401);
    const res = await fetch(`${base}/v1/outbox?round=${request.roundId}`, { headers: { authorization: `Bearer ${VIEWER}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const list = (await res.json()) as {
      total: number;
      files: { name: string; channel: string; recipientId: string; url: string }[];
    };
    assert.equal(list.total, 4);
    assert.deepEqual(list.files.map((f) => `${f.recipientId} ${f.channel}`).sort(), [
      'ann email',
      'ann sms',
      'bo email',
      'bo webhook',
    ]);

    const emlEntry = list.files.find((f) => f.recipientId === 'ann' && f.channel === 'email')!;
    const eml = await fetch(`${base}${emlEntry.url}`, { headers: { authorization: `Bearer ${VIEWER}` } });
    assert.match(eml.headers.get('content-type') ?? '', /^message\/rfc822/);
    const mime = await eml.text();
    assert.match(mime, /^To: ann@example\.com$/m);
    const link = /^List-Unsubscribe:\s+<(http:\/\/localhost:3000\/unsubscribe\?t=[\w-]+\.[\w-]+)>$/m.exec(mime);
    assert.ok(link, 'a signed one-click unsubscribe header (folded or not)');
    annUnsubscribe = new URL(link[1]!).search;
    const hookEntry = list.files.find((f) => f.channel === 'webhook')!;
    const hook = (await (await fetch(`${base}${hookEntry.url}?access_token=${VIEWER}`)).json()) as {
      body: {
        page: { id: string };
        incident: { status: string; incident_updates: { body: string }[] };
        meta: { unsubscribe: string };
      };
    };
    assert.equal(hook.body.page.id, plan.page.id);
    assert.equal(hook.body.incident.status, 'investigating');
    assert.match(hook.body.incident.incident_updates[0]!.body, /付款|信用卡/, 'bo reads zh-TW');
    assert.doesNotMatch(hook.body.meta.unsubscribe, /HERALDUNSUBSCRIBETOKEN/);

    const html = await fetch(`${base}/v1/outbox?access_token=${VIEWER}`, { headers: { accept: 'text/html' } });
    const page = await html.text();
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page, /<table>/);
    assert.ok(page.includes(`access_token=${VIEWER}`), 'links keep the token');
    assert.equal((await fetch(`${base}/v1/outbox/..%2Fsecret`, { headers: { authorization: `Bearer ${VIEWER}` } })).status, 404);
    assert.equal((await fetch(`${base}/v1/outbox/.hidden.json`, { headers: { authorization: `Bearer ${VIEWER}` } })).status, 404);
  });

  test('the signed link unsubscribes with one click (RFC 8058), and the next round counts the opt-out', async () => {
    assert.ok(annUnsubscribe);
    const confirm = await fetch(`${base}/unsubscribe${annUnsubscribe}`);
    assert.equal(confirm.status, 200);
    assert.match(await confirm.text(), /<form method="post"/);
    assert.equal((await store.getSubscriber('ann'))!.consent.state, 'confirmed', 'a GET (a link scanner) changes nothing');
    const tampered = await fetch(`${base}/unsubscribe${annUnsubscribe.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    assert.equal(tampered.status, 400);
    const oneClick = await fetch(`${base}/unsubscribe${annUnsubscribe}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    assert.equal(oneClick.status, 200);
    assert.equal((await store.getSubscriber('ann'))!.consent.state, 'unsubscribed');
    const request = roundRequest(`notify-after-unsubscribe-${Date.now()}`);
    const report = await t.client.workflow.execute<NotifyWorkflow>(NOTIFY_WORKFLOW, {
      workflowId: request.roundId,
      taskQueue: config.temporal.taskQueue,
      args: [request],
    });
    assert.deepEqual([report.sent, report.optedOut], [2, 2]);
  });
});

describe('npx herald subscribers import | export', () => {
  let pg: TestPostgres;
  before(async () => {
    pg = await testPostgres();
  });
  after(() => pg.stop());

  const herald = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [join(ROOT, 'cli', 'bin.js'), 'subscribers', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HERALD_PLAN: EXAMPLE_PLAN, ...env },
    });

  test('imports valid rows, reports each rejected row, and exports what imports back unchanged (SQLite and PostgreSQL)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
    const csv = join(dir, 'subscribers.csv');
    writeFileSync(
      csv,
      [
        'id,email,phone,locale,components,consent,tier,region',
        'ann,ann@example.com,+15555550100,en,payments,confirmed,enterprise,eu',
        'bad,not-an-email,,en,payments,,,',
        'cy,"cy@example.com",,zh-TW,payments;api,unsubscribed,free,"us, west"',
        ',dora@example.com,,en,billing-db,,,',
        'eve,eve@example.com,555,en,*,,,',
      ].join('\r\n') + '\r\n',
    );
    const db = await freshDatabase(pg.url);
    try {
      const envs: Record<string, string>[] = [
        { HERALD_DATA_DIR: join(dir, 'sqlite') },
        { HERALD_DATA_DIR: join(dir, 'pg'), HERALD_DATABASE_URL: db.url },
      ];
      for (const env of envs) {
        const imported = herald(['import', csv], env);
        assert.equal(imported.status, 1, imported.stderr);
        assert.match(imported.stdout, /5 rows, 2 imported \(2 new, 0 updated\), 3 rejected/);
        assert.match(imported.stderr, /row 3: email: Invalid email address/);
        assert.match(imported.stderr, /row 5: components: unknown component "billing-db"/);
        assert.match(imported.stderr, /row 6: phone: use E\.164/);

        const out = join(dir, `export-${env.HERALD_DATABASE_URL ? 'pg' : 'sqlite'}.json`);
        const exported = herald(['export', out], env);
        assert.equal(exported.status, 0, exported.stderr);
        const rows = JSON.parse(readFileSync(out, 'utf8')) as {
          id: string;
          attributes: Record<string, string>;
          consent: string;
          components: string[];
        }[];
        assert.deepEqual(
          rows.map((r) => r.id),
          ['ann', 'cy'],
        );
        assert.deepEqual(rows[1]!.attributes, { region: 'us, west', tier: 'free' });
        assert.equal(rows[1]!.consent, 'unsubscribed');

        const again = herald(['import', out], env);
        assert.equal(again.status, 0, again.stderr);
        assert.match(again.stdout, /2 rows, 2 imported \(0 new, 2 updated\), 0 rejected/);
        const csvOut = herald(['export', '--format', 'csv'], env);
        assert.equal(
          csvOut.stdout.split('\n')[0],
          'id,email,phone,push,webhook,chat,locale,internal,components,consent,consentRequestedAt,confirmedAt,unsubscribedAt,attr.region,attr.tier',
        );
        assert.match(csvOut.stdout, /^cy,cy@example\.com,,,,,zh-TW,false,api;payments,unsubscribed,/m);
      }
      const store = await openStore({ databaseUrl: db.url });
      assert.equal(await store.countSubscribers(), 2);
      await store.close();
    } finally {
      await db.drop();
    }
  });
});
