import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../core/config';
import { createChatProvider } from '../../activities/providers/chat';
import { createOutboxProvider } from '../../activities/providers/outbox';
import { createPinpointProvider } from '../../activities/providers/pinpoint';
import { AllRegionsDown, RateLimiter, RegionHealth, sendThroughRegions } from '../../activities/providers/regions';
import { createSesProvider, SES_BULK_MAX_ENTRIES, sesTemplate } from '../../activities/providers/ses';
import { createSmsV2Provider } from '../../activities/providers/smsV2';
import { createSmtpProvider } from '../../activities/providers/smtp';
import { RegionUnavailable, Throttled, UNSUBSCRIBE_PLACEHOLDER, type OutgoingMessage } from '../../activities/providers/types';
import {
  createWebhookProvider,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from '../../activities/providers/webhook';
import { endpointsOf, FAKE_CREDENTIALS, FakeAwsRegion, startFakeAws } from '../support/fakeAws';
import { startSmtp, type TestSmtp } from '../support/smtp';

// Every provider against a real counterpart on 127.0.0.1: the AWS SDK v3 clients against endpoints
// speaking the AWS wire formats, nodemailer against a real SMTP server, webhooks against a receiver
// that checks the signature.

const REGIONS = ['us-east-1', 'us-west-2'];
const aws = { credentials: FAKE_CREDENTIALS, timeoutMs: 5000, maxSockets: 16 };

const message = (over: Partial<OutgoingMessage>): OutgoingMessage => ({
  roundId: 'notify-incident-x-1-initial-customers',
  recipientId: 'r1',
  channel: 'email',
  address: 'r1@example.com',
  locale: 'en',
  idempotencyKey: 'notify-incident-x-1-initial-customers:r1:email',
  statusUrl: 'http://localhost:8080',
  title: 'Investigating: Card payments failing',
  ...over,
});
const email = (address: string) =>
  message({
    recipientId: address,
    address,
    email: {
      subject: 'Investigating: Card payments failing',
      text: 'Card payments are failing.',
      html: '<p>Card payments are failing.</p>',
      unsubscribeUrl: 'http://localhost:3000/v1/unsubscribe?t=abc.def',
    },
  });
const sms = (address: string, channel: 'sms' | 'push' | 'voice' = 'sms') =>
  message({ recipientId: address, address, channel, text: 'Acme: card payments failing. Next update 14:30 UTC.' });

describe('AWS providers against local regions', () => {
  let fakes: Record<string, FakeAwsRegion>;
  let config: ReturnType<typeof loadConfig>['delivery'];
  before(async () => {
    fakes = await startFakeAws(REGIONS, { record: true });
    config = loadConfig({
      HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-prov-')),
      HERALD_SES_REGIONS: REGIONS.join(','),
      HERALD_SES_ENDPOINTS: endpointsOf(fakes),
      HERALD_SES_CONFIGURATION_SET: 'herald-events',
      HERALD_PINPOINT_REGIONS: REGIONS.join(','),
      HERALD_PINPOINT_ENDPOINTS: endpointsOf(fakes),
      HERALD_PINPOINT_APP_IDS: 'us-east-1=app-east,us-west-2=app-west',
      HERALD_SMS_V2_REGIONS: REGIONS.join(','),
      HERALD_SMS_V2_ENDPOINTS: endpointsOf(fakes),
      HERALD_SMS_ORIGINATION: '+12065550100',
    }).delivery;
  });
  after(async () => {
    for (const f of Object.values(fakes)) await f.stop();
  });
  const reset = () => {
    for (const f of Object.values(fakes)) {
      f.setMode('up');
      f.received.length = 0;
      f.counts.clear();
      f.rule = undefined;
    }
  };

  const single = () => ({ ...config, ses: { ...config.ses, api: 'single' as const } });

  test('SES SendEmail: one recipient, one-click unsubscribe headers, configuration set and round tag', async () => {
    reset();
    const ses = createSesProvider(single(), aws);
    assert.equal(ses.maxPerRequest, 1);
    const [outcome] = await ses.send('us-east-1', [email('ann@example.com')]);
    assert.equal(outcome!.kind, 'sent');
    assert.match((outcome as { messageId: string }).messageId, /^ses-/);
    const got = fakes['us-east-1']!.received[0]!;
    assert.equal(got.address, 'ann@example.com');
    assert.deepEqual(got.headers, {
      'List-Unsubscribe': '<http://localhost:3000/v1/unsubscribe?t=abc.def>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    const raw = got.raw as {
      ConfigurationSetName: string;
      EmailTags: { Name: string; Value: string }[];
      Content: { Simple: { Body: { Html: { Data: string } } } };
    };
    assert.equal(raw.ConfigurationSetName, 'herald-events');
    assert.deepEqual(raw.EmailTags, [{ Name: 'herald-round', Value: 'notify-incident-x-1-initial-customers' }]);
    assert.equal(raw.Content.Simple.Body.Html.Data, '<p>Card payments are failing.</p>');
    await ses.close?.();
  });

  test('SES: MessageRejected is permanent; 429 is throttling; 503 takes the region out and the next one sends', async () => {
    reset();
    const ses = createSesProvider(single(), aws);
    fakes['us-east-1']!.rule = (a) => (a.startsWith('bad') ? 'MessageRejected' : undefined);
    const [rejected] = await ses.send('us-east-1', [email('bad@example.com')]);
    assert.equal(rejected!.kind, 'failed');
    assert.match((rejected as { error: string }).error, /MessageRejected \(400\)/);

    fakes['us-east-1']!.setMode('throttle', 1);
    await assert.rejects(
      ses.send('us-east-1', [email('ann@example.com')]),
      (err: unknown) => err instanceof Throttled && /TooManyRequestsException \(429\)/.test(err.message),
    );

    fakes['us-east-1']!.setMode('down');
    const health = new RegionHealth(60_000);
    const downs: string[] = [];
    const first = await sendThroughRegions(ses, health, 1, [email('cy@example.com')], (r) => downs.push(r));
    assert.equal(first.region, 'us-west-2');
    assert.deepEqual(downs, ['us-east-1']);
    assert.equal(health.isDown('ses', 'us-east-1'), true);
    const requestsBefore = fakes['us-east-1']!.requests;
    const second = await sendThroughRegions(ses, health, 1, [email('di@example.com')]);
    assert.equal(second.region, 'us-west-2');
    assert.equal(fakes['us-east-1']!.requests, requestsBefore, 'a region cooling down is not asked');

    fakes['us-west-2']!.setMode('down');
    await assert.rejects(
      sendThroughRegions(ses, health, 1, [email('ed@example.com')]),
      (err: unknown) => err instanceof AllRegionsDown && err.retryAfterMs > 0,
    );
    await ses.close?.();
  });

  // A round's shared words: the recipient's token goes where the placeholder stands.
  const bulkEmail = (address: string, token = `tok-${address.split('@')[0]}`) =>
    message({
      recipientId: address,
      address,
      email: {
        subject: 'Investigating: Card payments failing',
        text: 'Card payments are failing.',
        html: `<p>Card payments are failing.</p><a href="http://localhost:3000/v1/unsubscribe?t=${UNSUBSCRIBE_PLACEHOLDER}">Unsubscribe</a>`,
        unsubscribeToken: token,
        unsubscribeUrl: `http://localhost:3000/v1/unsubscribe?t=${token}`,
      },
    });

  test('SES SendBulkEmail: one inline template, an entry per recipient with its own token and unsubscribe headers', async () => {
    reset();
    const ses = createSesProvider(config, aws);
    assert.equal(ses.maxPerRequest, SES_BULK_MAX_ENTRIES);
    const batch = Array.from({ length: 50 }, (_, i) => bulkEmail(`u${i}@example.com`));
    const requestsBefore = fakes['us-east-1']!.requests;
    const outcomes = await ses.send('us-east-1', batch);
    assert.deepEqual(new Set(outcomes.map((o) => o.kind)), new Set(['sent']));
    const region = fakes['us-east-1']!;
    assert.equal(region.requests - requestsBefore, 1, 'fifty recipients, one request');
    assert.equal(region.received.length, 50);
    const u7 = region.received.find((m) => m.address === 'u7@example.com')!;
    assert.equal(u7.text, 'Investigating: Card payments failing');
    assert.match(u7.html!, /href="http:\/\/localhost:3000\/v1\/unsubscribe\?t=tok-u7"/);
    assert.deepEqual(u7.headers, {
      'List-Unsubscribe': '<http://localhost:3000/v1/unsubscribe?t=tok-u7>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    const raw = u7.raw as {
      ConfigurationSetName: string;
      DefaultEmailTags: unknown;
      DefaultContent: { Template: { TemplateContent: { Html: string }; TemplateName?: string } };
    };
    assert.equal(raw.ConfigurationSetName, 'herald-events');
    assert.deepEqual(raw.DefaultEmailTags, [{ Name: 'herald-round', Value: 'notify-incident-x-1-initial-customers' }]);
    assert.equal(raw.DefaultContent.Template.TemplateName, undefined, 'inline content: no template to create');
    assert.match(raw.DefaultContent.Template.TemplateContent.Html, /\{\{\{unsubscribeToken\}\}\}/);
    await assert.rejects(ses.send('us-east-1', [...batch, bulkEmail('one-too-many@example.com')]), /at most 50/);
    await ses.close?.();
  });

  test('SES SendBulkEmail: every entry status read; a throttling or failing region; braces fall back to SendEmail', async () => {
    reset();
    const ses = createSesProvider(config, aws);
    fakes['us-east-1']!.rule = (a) =>
      ({
        'bad@example.com': 'MessageRejected',
        'slow@example.com': 'TooManyRequestsException',
        'wobbly@example.com': 'TRANSIENT_FAILURE',
      })[a];
    const outcomes = await ses.send(
      'us-east-1',
      ['ok@example.com', 'bad@example.com', 'slow@example.com', 'wobbly@example.com'].map((a) => bulkEmail(a)),
    );
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ['sent', 'failed', 'retry', 'retry'],
    );
    assert.match((outcomes[1] as { error: string }).error, /MESSAGE_REJECTED/);
    assert.equal((outcomes[2] as { retryAfterMs?: number }).retryAfterMs, 1000, 'ACCOUNT_THROTTLED backs off');
    assert.deepEqual(
      fakes['us-east-1']!.received.map((m) => m.address),
      ['ok@example.com'],
    );

    // Every entry ACCOUNT_THROTTLED: the account is over its rate, as a 429 would say.
    fakes['us-east-1']!.rule = (a) => (a.startsWith('slow') ? 'TooManyRequestsException' : undefined);
    await assert.rejects(
      ses.send('us-east-1', [bulkEmail('slow1@example.com'), bulkEmail('slow2@example.com')]),
      (err: unknown) => err instanceof Throttled && /ACCOUNT_THROTTLED/.test(err.message),
    );

    fakes['us-east-1']!.rule = undefined;
    fakes['us-east-1']!.setMode('throttle', 1);
    await assert.rejects(
      ses.send('us-east-1', [bulkEmail('t@example.com')]),
      (err: unknown) => err instanceof Throttled && /TooManyRequestsException \(429\)/.test(err.message),
    );

    fakes['us-east-1']!.setMode('down');
    const health = new RegionHealth(60_000);
    const sent = await sendThroughRegions(
      ses,
      health,
      1,
      ['x@example.com', 'y@example.com'].map((a) => bulkEmail(a)),
    );
    assert.equal(sent.region, 'us-west-2');
    assert.deepEqual(
      sent.outcomes.map((o) => o.kind),
      ['sent', 'sent'],
    );
    assert.equal(health.isDown('ses', 'us-east-1'), true);

    // Words Handlebars would read go one by one through SendEmail, token swapped in by Herald.
    const braces = bulkEmail('curly@example.com');
    braces.email!.text = 'Use {{code}} at checkout.';
    assert.equal(sesTemplate(braces.email!), undefined);
    const before = fakes['us-west-2']!.requests;
    const [curly] = await ses.send('us-west-2', [braces]);
    assert.equal(curly!.kind, 'sent');
    const got = fakes['us-west-2']!.received.at(-1)!;
    assert.equal(fakes['us-west-2']!.requests, before + 1);
    assert.match(
      (got.raw as { Content: { Simple: { Body: { Html: { Data: string } } } } }).Content.Simple.Body.Html.Data,
      /t=tok-curly"/,
    );
    await ses.close?.();
  });

  test('a request that times out after sending is ambiguous: no second region in the same attempt', async () => {
    const slow = await new FakeAwsRegion({ region: 'eu-west-1', record: true, latencyMs: 1500 }).start();
    try {
      const cfg = loadConfig({
        HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-slow-')),
        HERALD_SES_REGIONS: 'eu-west-1,us-west-2',
        HERALD_SES_ENDPOINTS: `eu-west-1=${slow.url},us-west-2=${fakes['us-west-2']!.url}`,
      }).delivery;
      const ses = createSesProvider({ ...cfg, ses: { ...cfg.ses, api: 'single' } }, { ...aws, timeoutMs: 300 });
      const health = new RegionHealth(60_000);
      const err = await sendThroughRegions(ses, health, 1, [email('slow@example.com')]).catch((e: unknown) => e);
      assert.ok(err instanceof RegionUnavailable && err.ambiguous, String(err));
      assert.equal(health.isDown('ses', 'eu-west-1'), true);
      assert.equal(
        fakes['us-west-2']!.received.filter((m) => m.address === 'slow@example.com').length,
        0,
        'not resent elsewhere in the same attempt',
      );
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(slow.accepted(), 1, 'the slow region did deliver it: a resend would be a duplicate');
      await ses.close?.();
    } finally {
      await slow.stop();
    }
  });

  test('Pinpoint SendMessages: Addresses map only, every per-address result read, at most 100 a request', async () => {
    reset();
    const pp = createPinpointProvider(config, aws);
    assert.equal(pp.maxPerRequest, 100);
    fakes['us-west-2']!.rule = (a) =>
      ({
        '+15555550001': 'PERMANENT_FAILURE',
        '+15555550002': 'OPT_OUT',
        '+15555550003': 'TEMPORARY_FAILURE',
        '+15555550004': 'THROTTLED',
      })[a];
    const batch = ['+15555550000', '+15555550001', '+15555550002', '+15555550003', '+15555550004'].map((a) => sms(a));
    const outcomes = await pp.send('us-west-2', batch);
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ['sent', 'failed', 'opted_out', 'retry', 'retry'],
    );
    const got = fakes['us-west-2']!.received[0]!;
    assert.deepEqual((got.raw as { config: unknown }).config, {
      SMSMessage: {
        Body: 'Acme: card payments failing. Next update 14:30 UTC.',
        MessageType: 'TRANSACTIONAL',
        OriginationNumber: '+12065550100',
      },
    });
    await assert.rejects(
      pp.send(
        'us-west-2',
        Array.from({ length: 101 }, (_, i) => sms(`+1555555${String(i).padStart(4, '0')}`)),
      ),
      /at most 100/,
    );

    const push = await pp.send('us-east-1', [sms('APNS:abcdef0123456789', 'push')]);
    assert.equal(push[0]!.kind, 'sent');
    const pushed = fakes['us-east-1']!.received.at(-1)!;
    assert.equal(pushed.address, 'abcdef0123456789');
    assert.equal((pushed.raw as { channelType: string }).channelType, 'APNS');

    fakes['us-east-1']!.setMode('throttle', 1);
    await assert.rejects(pp.send('us-east-1', [sms('+15555550009')]), Throttled);
    await pp.close?.();
  });

  test('SMS v2 SendTextMessage: awsJson target, throttling as a 400, opt-out as a conflict', async () => {
    reset();
    const v2 = createSmsV2Provider(config, aws);
    const [ok] = await v2.send('us-east-1', [sms('+15555550100')]);
    assert.equal(ok!.kind, 'sent');
    assert.equal((fakes['us-east-1']!.received[0]!.raw as { OriginationIdentity: string }).OriginationIdentity, '+12065550100');
    fakes['us-east-1']!.rule = (a) =>
      a === '+15555550101' ? 'OPTED_OUT' : a === '+15555550102' ? 'ValidationException' : undefined;
    const [opted] = await v2.send('us-east-1', [sms('+15555550101')]);
    assert.equal(opted!.kind, 'opted_out');
    const [invalid] = await v2.send('us-east-1', [sms('+15555550102')]);
    assert.equal(invalid!.kind, 'failed');
    fakes['us-east-1']!.setMode('throttle', 1);
    await assert.rejects(
      v2.send('us-east-1', [sms('+15555550103')]),
      (err: unknown) => err instanceof Throttled && /ThrottlingException \(400\)/.test(err.message),
    );
    await v2.close?.();
  });
});

describe('SMTP provider against a real SMTP server', () => {
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startSmtp();
  });
  after(() => smtp.stop());

  test('sends MIME with List-Unsubscribe; 550 is a permanent bounce, 451 is retried', async () => {
    const config = loadConfig({
      HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-smtp-')),
      HERALD_EMAIL_PROVIDER: 'smtp',
      HERALD_SMTP_URLS: smtp.url,
    }).delivery;
    const p = createSmtpProvider(config, { timeoutMs: 5000, maxConnections: 2 });
    const [ok] = await p.send(p.regions[0]!, [email('ann@example.com')]);
    assert.equal(ok!.kind, 'sent');
    const mail = smtp.mails.find((m) => m.to.includes('ann@example.com'))!;
    assert.match(mail.raw, /^List-Unsubscribe: <http:\/\/localhost:3000\/v1\/unsubscribe\?t=abc\.def>/m);
    assert.match(mail.raw, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click/m);
    assert.match(mail.raw, /^Subject: Investigating: Card payments failing/m);
    const [bounced] = await p.send(p.regions[0]!, [email('reject-me@example.com')]);
    assert.equal(bounced!.kind, 'failed');
    assert.equal((bounced as { bounce?: boolean }).bounce, true);
    const [later] = await p.send(p.regions[0]!, [email('later@example.com')]);
    assert.equal(later!.kind, 'retry');
    const [again] = await p.send(p.regions[0]!, [email('later@example.com')]);
    assert.equal(again!.kind, 'sent');
    await p.close?.();
  });
});

describe('chat and signed webhooks against a local receiver', () => {
  let server: Server;
  let base: string;
  const got: { path: string; headers: Record<string, string | string[] | undefined>; body: string; verified?: boolean }[] = [];
  const SECRET = 'webhook-signing-secret-0123';
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const verified = verifyWebhookSignature(
          SECRET,
          { timestamp: req.headers[TIMESTAMP_HEADER] as string, signature: req.headers[SIGNATURE_HEADER] as string },
          body,
        );
        got.push({ path: req.url!, headers: req.headers, body, verified });
        if (req.url === '/gone') return void res.writeHead(410).end('gone');
        if (req.url === '/busy') return void res.writeHead(429, { 'retry-after': '7' }).end();
        if (req.url?.startsWith('/hook') && !verified) return void res.writeHead(401).end('bad signature');
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  test('the generic webhook is signed over timestamp and body; a tampered body fails verification', async () => {
    const config = loadConfig({ HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-wh-')) }).delivery;
    const p = createWebhookProvider(config, SECRET);
    const doc = JSON.stringify({
      meta: { unsubscribe: 'x' },
      page: { id: 'acme' },
      incident: { id: 'i1', status: 'investigating', incident_updates: [] },
    });
    const [ok] = await p.send('direct', [message({ channel: 'webhook', address: `${base}/hook`, json: doc })]);
    assert.equal(ok!.kind, 'sent');
    const hit = got.find((g) => g.path === '/hook')!;
    assert.equal(hit.verified, true);
    assert.equal(hit.body, doc);
    assert.equal(hit.headers['idempotency-key'], 'notify-incident-x-1-initial-customers:r1:email');
    const ts = hit.headers[TIMESTAMP_HEADER] as string;
    assert.equal(
      verifyWebhookSignature(
        SECRET,
        { timestamp: ts, signature: hit.headers[SIGNATURE_HEADER] as string },
        doc.replace('i1', 'i2'),
      ),
      false,
    );
    assert.equal(
      verifyWebhookSignature(
        'another-secret-entirely',
        { timestamp: ts, signature: hit.headers[SIGNATURE_HEADER] as string },
        doc,
      ),
      false,
    );
    assert.equal(
      verifyWebhookSignature(
        SECRET,
        { timestamp: ts, signature: hit.headers[SIGNATURE_HEADER] as string },
        doc,
        Number(ts) + 3600,
      ),
      false,
      'too old',
    );

    const [gone] = await p.send('direct', [message({ channel: 'webhook', address: `${base}/gone`, json: doc })]);
    assert.equal(gone!.kind, 'failed');
    const [busy] = await p.send('direct', [message({ channel: 'webhook', address: `${base}/busy`, json: doc })]);
    assert.deepEqual([busy!.kind, (busy as { retryAfterMs?: number }).retryAfterMs], ['retry', 7000]);
  });

  test('Slack gets text and blocks; Teams gets an Adaptive Card', async () => {
    const config = loadConfig({ HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-chat-')) }).delivery;
    const p = createChatProvider(config);
    const chat = (address: string) =>
      message({ channel: 'chat', address, text: 'Card payments are failing. <b>', title: 'Investigating' });
    await p.send('direct', [chat(`${base}/slack`), chat(`teams+${base}/teams`)]);
    const slack = JSON.parse(got.find((g) => g.path === '/slack')!.body);
    assert.equal(slack.blocks[0].type, 'header');
    assert.match(slack.blocks[1].text.text, /&lt;b&gt;/);
    const teams = JSON.parse(got.find((g) => g.path === '/teams')!.body);
    assert.equal(teams.attachments[0].contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(teams.attachments[0].content.actions[0].url, 'http://localhost:8080');
  });
});

describe('local outbox', () => {
  test('e-mail becomes a complete .eml, other channels .json; a repeat rewrites the same file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-outbox-'));
    const p = createOutboxProvider(dir, 'Acme Status <status@example.com>');
    await p.send('local', [email('ann@example.com'), sms('+15555550100')]);
    await p.send('local', [email('ann@example.com')]);
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 2);
    assert.match(files[0]!, /^notify-incident-x-1-initial-customers--_15555550100~[0-9a-f]{6}--sms\.json$/);
    assert.match(files[1]!, /^notify-incident-x-1-initial-customers--ann_example\.com~[0-9a-f]{6}--email\.eml$/);
    const eml = readFileSync(join(dir, files[1]!), 'utf8');
    assert.match(eml, /^To: ann@example\.com$/m);
    assert.match(eml, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    assert.match(eml, /Content-Type: text\/html/);
    const json = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8'));
    assert.equal(json.body, 'Acme: card payments failing. Next update 14:30 UTC.');
  });
});

describe('region health and rate limits', () => {
  test('the attempt number picks the starting region; a region cooling down is skipped until its time is up', () => {
    let now = 1_000_000;
    const health = new RegionHealth(30_000, () => now);
    const regions = ['us-east-1', 'us-west-2', 'eu-west-1'];
    assert.deepEqual(health.order('ses', regions, 1), ['us-east-1', 'us-west-2', 'eu-west-1']);
    assert.deepEqual(health.order('ses', regions, 2), ['us-west-2', 'eu-west-1', 'us-east-1']);
    health.markDown('ses', 'us-west-2');
    assert.deepEqual(health.order('ses', regions, 2), ['eu-west-1', 'us-east-1']);
    assert.deepEqual(health.order('pinpoint', regions, 2), ['us-west-2', 'eu-west-1', 'us-east-1'], 'health is per provider');
    health.markDown('ses', 'us-east-1');
    now += 10_000;
    health.markDown('ses', 'eu-west-1');
    assert.deepEqual(health.order('ses', regions, 1), []);
    assert.equal(health.nextUpIn('ses', regions), 20_000, 'the first cool-down to end');
    now += 20_001;
    assert.deepEqual(health.order('ses', regions, 1), ['us-east-1', 'us-west-2']);
  });

  test('a channel rate limit spaces messages out', async () => {
    const limiter = new RateLimiter(20);
    const started = Date.now();
    await limiter.take(20);
    await limiter.take(10);
    await limiter.take(10);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 3000, `40 messages at 20/s took ${elapsed} ms`);
  });
});
