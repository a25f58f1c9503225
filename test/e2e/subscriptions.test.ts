import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { verifyWebhookSignature } from '../../activities/providers/webhook';
import { API_DEFAULTS, configureServer, createApp, type ApiDeps } from '../../api/app';
import { confirmationWorkflowId } from '../../api/routes/subscriptions';
import type { SubscriptionConfig } from '../../core/config';
import { createLogger } from '../../core/logger';
import { openConfiguredStore, type AudienceFilter, type Store } from '../../core/store';
import { HeraldKind } from '../../core/searchAttributes';
import { subscriberIdFor, validateSubscriber } from '../../core/store/subscribers';
import { ensureSecret, unsubscribeToken } from '../../core/store/unsubscribe';
import {
  claimFromRequest,
  confirmationToken,
  SubscriptionRequest,
  verifyConfirmationToken,
  type SubscriptionClaim,
} from '../../core/subscriptions';
import { createHeraldWorker } from '../../worker/createWorker';
import { NOTIFY_WORKFLOW, type NotifyWorkflow } from '../../workflows/contracts/notify';
import { EXAMPLE_PLAN, examplePlan, testConfig } from '../support/config';
import { paymentsOutageRound } from '../support/notifyRequest';
import { freePort } from '../support/ports';
import { eventually, testTemporal, type TestTemporal } from '../support/temporal';

// Public subscriptions end to end: the real API on a real port starts each confirmation's workflow
// on the test Temporal; the real worker sends it through the real outbox provider (webhooks: a real
// HTTP receiver) and the real store (SQLite) takes the confirmation; a real notify round carries the
// unsubscribe link of a subscriber created through the form.

const plan = examplePlan();
const audience = (components: string[]): AudienceFilter => ({ components, internal: false, attributes: {} });
/** Decodes a quoted-printable MIME body (nodemailer folds long lines with "=" and escapes "=" as "=3D"). */
const qp = (s: string) =>
  Buffer.from(
    s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');

describe('public subscriptions with double opt-in', () => {
  let t: TestTemporal;
  let config: ReturnType<typeof testConfig>;
  let store: Store;
  let worker: Worker;
  let running: Promise<void>;
  let secret: string;
  const servers: Server[] = [];
  let main: { base: string };

  /** The API on a free port; its public URL (confirmation links) is its own address. */
  const startApi = async (subscriptions: Partial<SubscriptionConfig> = {}, extra: Partial<ApiDeps> = {}) => {
    const server = configureServer(createServer());
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const app = createApp({
      client: t.client,
      plan,
      taskQueue: config.temporal.taskQueue,
      tokens: [],
      log: createLogger('test', 'silent'),
      publicUrl: plan.page.url,
      outboxDir: config.delivery.outboxDir,
      store,
      secret,
      unsubscribeUrl: `${base}/unsubscribe`,
      api: {
        ...API_DEFAULTS,
        rateLimitIp: { perSecond: 1000, burst: 5000 },
        subscriptions: {
          ...API_DEFAULTS.subscriptions,
          apiPublicUrl: base,
          rateLimitIp: { perSecond: 1000, burst: 5000 },
          ...subscriptions,
        },
      },
      ...extra,
    });
    server.on('request', app);
    servers.push(server);
    return { base };
  };

  const postJson = (base: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const postForm = (base: string, fields: [string, string][], path = '/v1/subscriptions') =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams(fields).toString(),
    });

  const outboxFiles = () => {
    try {
      return readdirSync(config.delivery.outboxDir).filter((f) => f.startsWith('subscribe-'));
    } catch {
      return [];
    }
  };
  /** The newest confirmation the outbox holds for an address (waits for it), decoded. */
  const confirmationFor = async (fields: { email?: string; phone?: string; webhook?: string }, seen = new Set<string>()) => {
    const id = subscriberIdFor(fields);
    const file = await eventually(
      async () => outboxFiles().find((f) => f.includes(`--${id}--`) && !seen.has(f)),
      10_000,
      `a confirmation for ${JSON.stringify(fields)}`,
    );
    seen.add(file);
    const raw = readFileSync(join(config.delivery.outboxDir, file), 'utf8');
    const text = file.endsWith('.eml') ? qp(raw) : raw;
    const link = /http:\/\/127\.0\.0\.1:\d+\/v1\/subscriptions\/confirm\?t=[\w-]+\.[\w-]+/.exec(text)?.[0];
    assert.ok(link, `a confirmation link in ${file}`);
    return { file, raw, text, link, token: new URL(link).searchParams.get('t')! };
  };
  const everyone = async () => JSON.stringify(await store.subscribersPage(null, 1000));

  before(async () => {
    t = await testTemporal();
    // The worker's providers: the outbox, and real HTTP POSTs for webhooks (to a local receiver).
    config = testConfig(t.address, { HERALD_WEBHOOK_PROVIDER: 'http', HERALD_SUBSCRIBE_PRIVATE_WEBHOOKS: 'true' });
    secret = ensureSecret(config);
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
      { id: 'pat', email: 'pat@example.com', components: ['api'], consent: 'pending' },
      { id: 'cora', email: 'cora@example.com', components: ['api'], consent: 'confirmed', attributes: { tier: 'enterprise' } },
      {
        id: 'uma',
        email: 'uma@example.com',
        components: ['api'],
        consent: 'unsubscribed',
        unsubscribedAt: new Date().toISOString(),
      },
    ];
    await store.upsertSubscribers(rows.map((r, i) => (validateSubscriber(r, i + 1) as { ok: true; value: never }).value));
    main = await startApi();
  });

  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    worker.shutdown();
    await running;
    await store.close();
    await t.teardown();
  });

  test('JSON and form posts are accepted (202); a form gets a page in its language; the status page may call it (CORS)', async () => {
    const json = await postJson(
      main.base,
      { email: 'jo@example.com', components: ['payments'], locale: 'en' },
      { origin: 'http://localhost:8080' },
    );
    assert.equal(json.status, 202);
    assert.equal(json.headers.get('access-control-allow-origin'), 'http://localhost:8080');
    assert.match(((await json.json()) as { detail: string }).detail, /link to confirm/);
    assert.equal(
      (await postJson(main.base, { email: 'jo2@example.com' }, { origin: 'https://evil.example' })).headers.get(
        'access-control-allow-origin',
      ),
      null,
    );
    const preflight = await fetch(`${main.base}/v1/subscriptions`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:8080',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-type/);

    const form = await postForm(main.base, [
      ['email', ''],
      ['phone', '+886912345678'],
      ['webhook', ''],
      ['locale', 'zh-TW'],
      ['components', 'api'],
      ['components', 'website'],
    ]);
    assert.equal(form.status, 202);
    assert.match(form.headers.get('content-type') ?? '', /^text\/html/);
    const page = await form.text();
    assert.match(page, /<html lang="zh-TW">/);
    assert.match(page, /請查看您的收件匣/);
    const sms = await confirmationFor({ phone: '+886912345678' });
    const body = JSON.parse(sms.raw) as { channel: string; to: string; locale: string; body: string };
    assert.deepEqual([body.channel, body.to, body.locale], ['sms', '+886912345678', 'zh-TW']);
    assert.match(body.body, /請確認訂閱/);
  });

  test('the answer is the same for new, pending, confirmed and unsubscribed addresses, and nothing is stored before confirmation', async () => {
    const before = await everyone();
    const seen = new Set(outboxFiles());
    const answers: string[] = [];
    for (const email of ['nobody-yet@example.com', 'pat@example.com', 'cora@example.com', 'uma@example.com']) {
      const res = await postJson(main.base, { email, components: ['invoicing'] });
      answers.push(
        JSON.stringify([res.status, res.headers.get('content-type'), res.headers.get('cache-control'), await res.text()]),
      );
    }
    assert.equal(new Set(answers).size, 1, answers.join('\n'));
    // Every address gets its confirmation (after the answer), and the store is untouched.
    for (const email of ['nobody-yet@example.com', 'pat@example.com', 'cora@example.com', 'uma@example.com'])
      await confirmationFor({ email }, seen);
    assert.equal(await everyone(), before);
  });

  test('the link confirms: GET shows a button and changes nothing, POST subscribes to the chosen components only', async () => {
    const payments = await store.countAudience(audience(['payments']));
    const website = await store.countAudience(audience(['website']));
    const res = await postForm(main.base, [
      ['email', 'Neo@Example.com'],
      ['locale', 'zh-TW'],
      ['components', 'payments'],
    ]);
    assert.equal(res.status, 202);
    const mail = await confirmationFor({ email: 'neo@example.com' });
    assert.match(mail.raw, /^To: neo@example\.com$/m);
    assert.match(mail.text, /請確認您訂閱|確認訂閱/);
    assert.match(mail.text, /付款/, 'names the chosen component in zh-TW');
    const body = mail.text.slice(mail.text.indexOf('\n\n'));
    assert.doesNotMatch(
      body,
      /sub_|herald|secret|127\.0\.0\.1:\d+\/(?!v1\/subscriptions\/confirm)/i,
      'no internal detail in the message itself',
    );

    const page = await fetch(mail.link);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    const html = await page.text();
    assert.match(html, /<form method="post" action="\/v1\/subscriptions\/confirm">/);
    assert.ok(html.includes(`name="t" value="${mail.token}"`));
    assert.equal(
      await store.getSubscriber(subscriberIdFor({ email: 'neo@example.com' })),
      undefined,
      'a GET (a mail scanner) changes nothing',
    );

    const confirmed = await postForm(main.base, [['t', mail.token]], '/v1/subscriptions/confirm');
    assert.equal(confirmed.status, 200);
    assert.match(await confirmed.text(), /訂閱成功/);
    const neo = (await store.getSubscriber(subscriberIdFor({ email: 'neo@example.com' })))!;
    assert.deepEqual(
      [neo.email, neo.consent.state, neo.components, neo.locale, neo.internal],
      ['neo@example.com', 'confirmed', ['payments'], 'zh-TW', false],
    );
    assert.equal(await store.countAudience(audience(['payments'])), payments + 1);
    assert.equal(await store.countAudience(audience(['website'])), website, 'not in the audience of components not chosen');
    // Confirming twice is harmless.
    assert.equal(
      (
        await fetch(`${main.base}/v1/subscriptions/confirm`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ t: mail.token }),
        })
      ).status,
      200,
    );
  });

  test('a request for an existing subscriber changes nothing until that address confirms; then its choices, not its attributes, change', async () => {
    const seen = new Set(outboxFiles());
    assert.equal(
      (await postJson(main.base, { email: 'CORA@example.com', components: ['website'], locale: 'zh-TW' })).status,
      202,
    );
    const mail = await confirmationFor({ email: 'cora@example.com' }, seen);
    const cora = (await store.getSubscriber('cora'))!;
    assert.deepEqual([cora.components, cora.locale], [['api'], null], 'unchanged before confirmation');
    const res = await fetch(`${main.base}/v1/subscriptions/confirm?t=${mail.token}`, { method: 'POST' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      subscribed: true,
      channel: 'email',
      components: ['website'],
      locale: 'zh-TW',
      unsubscribeUrl: `${main.base}/unsubscribe?t=${unsubscribeToken(secret, 'cora', 'email')}`,
    });
    const after = (await store.getSubscriber('cora'))!;
    assert.deepEqual(
      [after.components, after.locale, after.consent.state, after.attributes],
      [['website'], 'zh-TW', 'confirmed', { tier: 'enterprise' }],
    );
  });

  test('expired, forged and superseded links change nothing', async () => {
    const before = await everyone();
    const now = Math.floor(Date.now() / 1000);
    const claim: SubscriptionClaim = {
      channel: 'email',
      address: 'mallory@example.com',
      components: '*',
      locale: 'en',
      issuedAt: now - 7200,
      expiresAt: now - 60,
    };
    const expired = confirmationToken(secret, claim);
    const fresh = confirmationToken(secret, { ...claim, expiresAt: now + 3600 });
    const [payload, sig] = fresh.split('.') as [string, string];
    const otherPayload = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('mallory@', 'victim@')).toString(
      'base64url',
    );
    const confirm = (token: string) =>
      fetch(`${main.base}/v1/subscriptions/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ t: token }),
      });

    const gone = await confirm(expired);
    assert.equal(gone.status, 410);
    assert.match(gone.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.match(((await gone.json()) as { title: string }).title, /expired/);
    const expiredPage = await fetch(`${main.base}/v1/subscriptions/confirm?t=${expired}`);
    assert.equal(expiredPage.status, 410);
    assert.match(await expiredPage.text(), /This link has expired/);
    for (const forged of [
      `${payload}.${sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`,
      `${otherPayload}.${sig}`,
      confirmationToken('another-secret-0123456789', { ...claim, expiresAt: now + 3600 }),
      unsubscribeToken(secret, 'cora', 'email'),
      '',
      'x'.repeat(5000),
    ]) {
      const res = await confirm(forged);
      assert.equal(res.status, 400, forged.slice(0, 40));
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const page = await postForm(main.base, [['t', forged]], '/v1/subscriptions/confirm');
      assert.equal(page.status, 400);
      assert.match(await page.text(), /This link does not work/);
    }
    // uma unsubscribed after this link was issued: her unsubscribe wins over the older link.
    const stale = await confirm(confirmationToken(secret, { ...claim, address: 'uma@example.com', expiresAt: now + 3600 }));
    assert.equal(stale.status, 409);
    assert.equal(await everyone(), before, 'nothing changed');
  });

  test('rate limits: a few confirmations per address per hour and a few requests per client; 429 problem+json with Retry-After', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await postJson(main.base, { email: 'often@example.com' })).status, 202);
    const limited = await postJson(main.base, { email: 'OFTEN@example.com', locale: 'zh-TW' });
    assert.equal(limited.status, 429);
    assert.match(limited.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal(((await limited.json()) as { status: number }).status, 429);
    const page = await postForm(main.base, [
      ['email', 'often@example.com'],
      ['locale', 'zh-TW'],
    ]);
    assert.equal(page.status, 429);
    assert.ok(Number(page.headers.get('retry-after')) > 0);
    assert.match(await page.text(), /請求過多/);
    assert.equal(
      (await postJson(main.base, { email: 'someone-else@example.com' })).status,
      202,
      'other addresses are not held back',
    );

    const tight = await startApi({ rateLimitIp: { perSecond: 0.01, burst: 2 } });
    assert.equal((await postJson(tight.base, { email: 'a1@example.com' })).status, 202);
    assert.equal((await postJson(tight.base, { email: 'a2@example.com' })).status, 202);
    const third = await postJson(tight.base, { email: 'a3@example.com' });
    assert.equal(third.status, 429);
    assert.ok(Number(third.headers.get('retry-after')) > 0);
  });

  test('bad requests are 400 with the fields named (or 415), JSON or form, and send nothing', async () => {
    const cases: [unknown, string][] = [
      [{ email: 'a@example.com', sneaky: true }, '(body)'],
      [{}, 'email'],
      [{ email: 'a@example.com', phone: '+15555550100' }, 'phone'],
      [{ email: 'not-an-address' }, 'email'],
      [{ phone: '555-0100' }, 'phone'],
      [{ webhook: 'ftp://example.com/x' }, 'webhook'],
      [{ email: 'a@example.com', components: ['payments', 'no-such-thing'] }, 'components.1'],
      [{ email: 'a@example.com', components: [1] }, 'components.0'],
      [{ email: 'a@example.com', locale: 'fr' }, 'locale'],
    ];
    for (const [body, path] of cases) {
      const res = await postJson(main.base, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const p = (await res.json()) as { errors: { path: string }[] };
      assert.ok(
        p.errors.some((e) => e.path === path),
        `${JSON.stringify(body)}: ${JSON.stringify(p.errors)}`,
      );
    }
    const form = await postForm(main.base, [
      ['email', 'x@example.com'],
      ['components', 'nope'],
      ['locale', 'zh-TW'],
    ]);
    assert.equal(form.status, 400);
    const page = await form.text();
    assert.match(page, /請檢查表單[\s\S]*元件[\s\S]*請從清單中選擇元件/, 'the field and what to do, in the form’s language');
    assert.doesNotMatch(page, /components\.0|E\.164|must be/, 'never the validator’s words');
    const phone = await postForm(main.base, [
      ['phone', '0912345678'],
      ['locale', 'zh-TW'],
    ]);
    assert.match(await phone.text(), /手機號碼[\s\S]*請輸入含國碼的手機號碼/);
    const text = await fetch(`${main.base}/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'email=a@example.com',
    });
    assert.equal(text.status, 415);
    assert.equal(
      (
        await fetch(`${main.base}/v1/subscriptions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'x'.repeat(10_000) }),
        })
      ).status,
      413,
    );
    await new Promise((r) => setTimeout(r, 200));
    for (const email of ['a@example.com', 'x@example.com'])
      assert.ok(!outboxFiles().some((f) => f.includes(`--${subscriberIdFor({ email })}--`)), `nothing sent to ${email}`);
  });

  test('webhooks: private targets refused by default; when allowed, the confirmation is a signed JSON POST whose link confirms', async () => {
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://10.1.2.3/hook',
      'http://[::1]/hook',
      'http://169.254.169.254/latest',
      'http://localhost/hook',
      'http://[::ffff:192.168.1.1]/x',
    ]) {
      const res = await postJson(main.base, { webhook: url });
      assert.equal(res.status, 400, url);
      assert.deepEqual(
        ((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path),
        ['webhook'],
      );
    }
    const received: { headers: IncomingMessage['headers']; body: string }[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(204).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await new Promise((r) => receiver.once('listening', r));
    servers.push(receiver);
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/status-hook`;
    const open = await startApi({ allowPrivateWebhooks: true });
    assert.equal((await postJson(open.base, { webhook: hook, components: ['api'] })).status, 202);
    const got = await eventually(async () => received[0], 10_000, 'the webhook confirmation');
    assert.ok(
      verifyWebhookSignature(
        secret,
        { timestamp: got.headers['x-herald-timestamp'] as string, signature: got.headers['x-herald-signature'] as string },
        got.body,
      ),
      'signed like every Herald webhook',
    );
    const doc = JSON.parse(got.body) as { meta: { type: string }; confirm_url: string; subscription: { components: string[] } };
    assert.equal(doc.meta.type, 'subscription.confirmation');
    assert.deepEqual(doc.subscription.components, ['api']);
    const res = await fetch(doc.confirm_url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ t: new URL(doc.confirm_url).searchParams.get('t') }),
    });
    assert.equal(res.status, 200);
    const sub = (await store.getSubscriber(subscriberIdFor({ webhook: hook })))!;
    assert.deepEqual([sub.webhook, sub.consent.state, sub.components], [hook, 'confirmed', ['api']]);
  });

  test('a double click sends one confirmation (one workflow, its id an HMAC); the same request after the window sends another', async () => {
    const quick = await startApi({}, { subscriptionDuplicateWindowMs: 1500 });
    const body = { email: 'twice@example.com', components: ['api'] };
    const seen = new Set(outboxFiles());
    const answers = await Promise.all([postJson(quick.base, body), postJson(quick.base, body)]);
    assert.deepEqual(
      answers.map((r) => r.status),
      [202, 202],
    );
    await confirmationFor({ email: 'twice@example.com' }, seen);
    const claim = claimFromRequest(
      SubscriptionRequest.parse(body),
      Date.now(),
      API_DEFAULTS.subscriptions.confirmTtlMs,
      plan.page.defaultLocale,
    );
    const handle = t.client.workflow.getHandle(confirmationWorkflowId(secret, claim));
    assert.doesNotMatch(handle.workflowId, /twice|example/, 'no address in the workflow id');
    // Every payload the history holds (the workflow's input, the activity's input and result), decoded.
    const payloads = (await handle.fetchHistory())
      .events!.flatMap((e) => [
        e.workflowExecutionStartedEventAttributes?.input,
        e.activityTaskScheduledEventAttributes?.input,
        e.activityTaskCompletedEventAttributes?.result,
      ])
      .flatMap((p) => p?.payloads ?? [])
      .map((p) => Buffer.from(p.data!).toString('utf8'))
      .join('\n');
    assert.match(payloads, /"sealed":"v1\./);
    assert.doesNotMatch(payloads, /twice|example\.com/, "no address in the workflow's history: the claim travels sealed");
    assert.equal((await handle.describe()).typedSearchAttributes.get(HeraldKind), 'subscription');
    assert.equal((await handle.result()).result.outcome, 'sent');
    const mine = () => outboxFiles().filter((f) => f.includes(`--${subscriberIdFor({ email: 'twice@example.com' })}--`));
    assert.equal(mine().length, 1, 'one message for two clicks');
    assert.equal((await postJson(quick.base, body)).status, 202);
    await confirmationFor({ email: 'twice@example.com' }, seen);
    assert.equal(mine().length, 2, 'a new message once the window is over');
  });

  test(
    'a request answered 202 is sent even when the API process is killed right after answering: the workflow carries it',
    { timeout: 120_000 },
    async () => {
      // The real API process on a task queue no worker polls yet: when it dies, the request is in Temporal only.
      const queue = `subscribe-survives-${Math.random().toString(36).slice(2, 10)}`;
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const env = {
        ...process.env,
        HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-api-')),
        HERALD_PLAN: EXAMPLE_PLAN,
        TEMPORAL_ADDRESS: t.address,
        TEMPORAL_TASK_QUEUE: queue,
        HERALD_BIND: '127.0.0.1',
        HERALD_API_PORT: String(port),
        HERALD_API_PUBLIC_URL: base,
        HERALD_SECRET: secret,
        HERALD_LOG_LEVEL: 'warn',
      };
      const api = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'api', 'main.ts')], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      api.stdout!.on('data', (d) => (output += d));
      api.stderr!.on('data', (d) => (output += d));
      const exited = new Promise((r) => api.once('exit', r));
      let late: { worker: Worker; running: Promise<void>; close(): Promise<void> } | undefined;
      try {
        await eventually(
          async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined),
          60_000,
          `the API process (${output})`,
        );
        const res = await postJson(base, { email: 'survivor@example.com', components: ['payments'], locale: 'zh-TW' });
        assert.equal(res.status, 202);
        api.kill('SIGKILL');
        await exited;

        const lateConfig = testConfig(t.address, { TEMPORAL_TASK_QUEUE: queue, HERALD_SECRET: secret });
        const w = await createHeraldWorker({
          config: lateConfig,
          plan,
          workflowBundle: t.workflowBundle,
          connection: t.nativeConnection,
          store,
        });
        late = { worker: w.worker, running: w.worker.run(), close: () => w.client.connection.close() };
        const id = subscriberIdFor({ email: 'survivor@example.com' });
        const file = await eventually(
          async () => readdirSync(lateConfig.delivery.outboxDir).find((f) => f.includes(`--${id}--`)),
          20_000,
          'the confirmation',
        );
        const link = /http:\/\/127\.0\.0\.1:\d+\/v1\/subscriptions\/confirm\?t=[\w-]+\.[\w-]+/.exec(
          qp(readFileSync(join(lateConfig.delivery.outboxDir, file), 'utf8')),
        )?.[0];
        assert.ok(link, 'a confirmation link');
        assert.ok(link.startsWith(`${base}/`), 'the link points at the API that accepted the request');
        const token = new URL(link).searchParams.get('t')!;
        const check = verifyConfirmationToken(secret, token);
        assert.ok(check.ok && check.claim.address === 'survivor@example.com' && check.claim.locale === 'zh-TW');
        // Any API with the same secret and store confirms it (this one is gone).
        const confirmed = await fetch(`${main.base}/v1/subscriptions/confirm`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ t: token }),
        });
        assert.equal(confirmed.status, 200);
        assert.deepEqual((await store.getSubscriber(id))?.components, ['payments']);
      } finally {
        if (api.exitCode === null && api.signalCode === null) api.kill('SIGKILL');
        if (late) {
          late.worker.shutdown();
          await late.running;
          await late.close();
        }
      }
    },
  );

  test('with Temporal unreachable a request is refused (503 with Retry-After, JSON or a page), not counted against its limits, and nothing is sent later', async () => {
    const down = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
    try {
      const api = await startApi({}, { client: down, api: { ...API_DEFAULTS, temporalTimeoutMs: 1500 } });
      const json = await postJson(api.base, { email: 'unlucky@example.com' });
      assert.equal(json.status, 503);
      assert.match(json.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.ok(Number(json.headers.get('retry-after')) > 0);
      const p = (await json.json()) as { status: number; detail: string };
      assert.equal(p.status, 503);
      assert.doesNotMatch(JSON.stringify(p), /temporal|worker/i, 'no internals in a public answer');
      const page = await postForm(api.base, [
        ['email', 'unlucky@example.com'],
        ['locale', 'zh-TW'],
      ]);
      assert.equal(page.status, 503);
      assert.ok(Number(page.headers.get('retry-after')) > 0);
      assert.match(await page.text(), /目前無法使用/);
      // Refusals for our outage do not use up the address's hourly confirmations (3 by default).
      for (let i = 0; i < 3; i++) assert.equal((await postJson(api.base, { email: 'unlucky@example.com' })).status, 503);
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(!outboxFiles().some((f) => f.includes(`--${subscriberIdFor({ email: 'unlucky@example.com' })}--`)));
    } finally {
      // Answers leave at the deadline; the client's last retry timers run out a moment later.
      await new Promise((r) => setTimeout(r, 2000));
      await down.connection.close();
    }
  });

  test('a subscriber confirmed through the form gets messages whose one-click unsubscribe link works', async () => {
    const id = subscriberIdFor({ email: 'neo@example.com' });
    assert.equal((await store.getSubscriber(id))?.consent.state, 'confirmed');
    const request = paymentsOutageRound(`notify-subscribed-${Date.now()}`, { channels: ['email'] });
    const report = await t.client.workflow.execute<NotifyWorkflow>(NOTIFY_WORKFLOW, {
      workflowId: request.roundId,
      taskQueue: config.temporal.taskQueue,
      args: [request],
    });
    assert.ok(report.sent >= 1);
    const file = readdirSync(config.delivery.outboxDir).find((f) => f.startsWith(request.roundId) && f.includes(`--${id}--`))!;
    assert.ok(file, 'neo got the round');
    const mime = readFileSync(join(config.delivery.outboxDir, file), 'utf8');
    assert.match(qp(mime), /付款/, 'in the locale chosen when subscribing');
    const link = /^List-Unsubscribe:\s+<(http:\/\/localhost:3000\/unsubscribe\?t=[\w-]+\.[\w-]+)>$/m.exec(mime);
    assert.ok(link, 'a signed one-click unsubscribe header');
    const oneClick = await fetch(`${main.base}/unsubscribe${new URL(link[1]!).search}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    assert.equal(oneClick.status, 200);
    assert.equal((await store.getSubscriber(id))!.consent.state, 'unsubscribed');
  });
});
