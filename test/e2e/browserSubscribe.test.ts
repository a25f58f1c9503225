import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import type { Browser } from 'playwright-core';
import { publishToDirectory } from '../../activities/publish/directory';
import { snapshotVersion } from '../../activities/publish/initial';
import { API_DEFAULTS, configureServer, createApp } from '../../api/app';
import { createStatusServer, type StatusServer } from '../../api/statusServer';
import { createLogger } from '../../core/logger';
import { buildSnapshot } from '../../core/statuspage/snapshot';
import { openStore, type Store } from '../../core/store';
import { subscriberIdFor } from '../../core/store/subscribers';
import { launchChromium, screenshot, watchForErrors } from '../support/browser';
import { createHeraldWorker } from '../../worker/createWorker';
import { examplePlan, testConfig } from '../support/config';
import { pageState } from '../support/pageStates';
import { eventually, testTemporal, type TestTemporal } from '../support/temporal';

// The published status page's subscribe form in real Chromium, with JavaScript off: served by the
// real status server (its CSP must let the form post to the API), posted cross-origin to the real
// API (whose workflow the real worker runs to send the confirmation), and the confirmation link
// from the outbox opened and confirmed in the browser too.

const plan = examplePlan();
const TEMPLATES = join(__dirname, '..', '..', 'templates');
const qp = (s: string) =>
  Buffer.from(
    s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');

describe('subscribing from the status page in Chromium', () => {
  let t: TestTemporal;
  let browser: Browser;
  let status: StatusServer;
  let api: Server;
  let store: Store;
  let worker: Worker;
  let running: Promise<void>;
  let closeWorker: () => Promise<void>;
  let statusBase: string;
  let apiBase: string;
  let outboxDir: string;
  const dir = mkdtempSync(join(tmpdir(), 'herald-subscribe-'));
  const secret = 'browser-subscribe-secret-0123456789';

  before(async () => {
    t = await testTemporal();
    store = await openStore({ sqliteFile: join(dir, 'herald.db') });
    const config = testConfig(t.address, { HERALD_SECRET: secret });
    outboxDir = config.delivery.outboxDir;
    const w = await createHeraldWorker({ config, plan, workflowBundle: t.workflowBundle, connection: t.nativeConnection, store });
    worker = w.worker;
    running = worker.run();
    closeWorker = () => w.client.connection.close();
    api = configureServer(createServer());
    api.listen(0, '127.0.0.1');
    await new Promise((r) => api.once('listening', r));
    apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    api.on(
      'request',
      createApp({
        client: t.client,
        plan,
        taskQueue: config.temporal.taskQueue,
        tokens: [],
        log: createLogger('test', 'silent'),
        publicUrl: plan.page.url,
        store,
        secret,
        unsubscribeUrl: `${apiBase}/unsubscribe`,
        api: { ...API_DEFAULTS, subscriptions: { ...API_DEFAULTS.subscriptions, apiPublicUrl: apiBase } },
      }),
    );
    const publicDir = join(dir, 'public');
    await publishToDirectory(
      publicDir,
      buildSnapshot(plan, pageState(plan, 'incident'), TEMPLATES, { subscribeUrl: `${apiBase}/v1/subscriptions` }),
      snapshotVersion(),
    );
    status = createStatusServer(publicDir, { pollMs: 20, formAction: [apiBase] });
    await status.ready;
    status.server.listen(0, '127.0.0.1');
    await new Promise((r) => status.server.once('listening', r));
    statusBase = `http://127.0.0.1:${(status.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await status.close();
    api.closeAllConnections();
    await new Promise((r) => api.close(r));
    worker.shutdown();
    await running;
    await closeWorker();
    await store.close();
    await t.teardown();
  });

  test('the form works without JavaScript: labelled fields, component checkboxes, the page language, a confirmation that confirms', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1000, height: 900 } });
    const page = await context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`${statusBase}/zh-TW/`, { waitUntil: 'load' });
    const form = page.locator('form.subscribe');
    assert.equal(await form.getAttribute('action'), `${apiBase}/v1/subscriptions`);
    assert.equal(await form.locator('input[name="locale"]').inputValue(), 'zh-TW', 'the locale comes from the page');
    // Every field has an accessible name from its label.
    await page.getByLabel('電子郵件地址').fill('mei@example.com');
    assert.equal(await page.getByRole('checkbox').count(), plan.components.length);
    await page.getByRole('checkbox', { name: '付款' }).check();
    await page.getByRole('checkbox', { name: '帳單' }).check();
    await screenshot(page, 'subscribe-form-zh-TW');
    await Promise.all([page.waitForURL(`${apiBase}/v1/subscriptions`), page.getByRole('button', { name: '訂閱' }).click()]);
    assert.match(await page.locator('h1').innerText(), /請查看您的收件匣/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-TW');
    assert.equal(await store.getSubscriber(subscriberIdFor({ email: 'mei@example.com' })), undefined, 'nothing until confirmed');

    const file = await eventually(
      async () => {
        try {
          return readdirSync(outboxDir).find((f) => f.includes(subscriberIdFor({ email: 'mei@example.com' })));
        } catch {
          return undefined;
        }
      },
      10_000,
      'the confirmation e-mail',
    );
    const link = /http:\/\/127\.0\.0\.1:\d+\/v1\/subscriptions\/confirm\?t=[\w-]+\.[\w-]+/.exec(
      qp(readFileSync(join(outboxDir, file), 'utf8')),
    )?.[0];
    assert.ok(link);
    await page.goto(link, { waitUntil: 'load' });
    assert.match(await page.locator('h1').innerText(), /確認您的訂閱/);
    await Promise.all([
      page.waitForURL(`${apiBase}/v1/subscriptions/confirm`),
      page.getByRole('button', { name: '確認訂閱' }).click(),
    ]);
    assert.match(await page.locator('h1').innerText(), /訂閱成功/);
    await screenshot(page, 'subscribe-confirmed-zh-TW');
    const mei = (await store.getSubscriber(subscriberIdFor({ email: 'mei@example.com' })))!;
    assert.deepEqual([mei.consent.state, mei.components, mei.locale], ['confirmed', ['invoicing', 'payments'], 'zh-TW']);
    assert.deepEqual(errors(), []);
    await context.close();
  });

  test('an invalid entry comes back as a page naming the field, in English on the English page', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${statusBase}/`, { waitUntil: 'load' });
    assert.equal(await page.locator('form.subscribe input[name="locale"]').inputValue(), 'en');
    await page.getByLabel(/Mobile number/).fill('12345');
    await Promise.all([page.waitForURL(`${apiBase}/v1/subscriptions`), page.getByRole('button', { name: 'Subscribe' }).click()]);
    assert.match(await page.locator('h1').innerText(), /Please check the form/);
    assert.match(await page.locator('ul.errors').innerText(), /Mobile number .*: Enter your mobile number with its country code/);
    await context.close();
  });
});
