import assert from 'node:assert/strict';
import { smsSegmentBudget } from '../../core/messageContent';
import { smsSize } from '../../core/sms';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { createProviders } from '../../activities/providers';
import type { NotifyReport, NotifyRequest } from '../../core/notify';
import { openConfiguredStore, type Store } from '../../core/store';
import { validateSubscriber, type SubscriberInput } from '../../core/store/subscribers';
import { createHeraldWorker } from '../../worker/createWorker';
import { NOTIFY_WORKFLOW, type NotifyWorkflow, notifyProgressQuery } from '../../workflows/contracts/notify';
import { examplePlan, testConfig } from '../support/config';
import { paymentsOutageRound } from '../support/notifyRequest';
import { endpointsOf, FAKE_CREDENTIALS, fakeTotals, startFakeAws, type FakeAwsRegion } from '../support/fakeAws';
import { eventually, testTemporal, type TestTemporal } from '../support/temporal';

// Message rounds on a real dev server and worker, through the real AWS SDK clients to local
// regions that speak the AWS wire formats: e-mail through SES v2, SMS through Pinpoint.

const REGIONS = ['us-east-1', 'us-west-2'];

describe('notify: one message round through providers across regions', () => {
  let t: TestTemporal;
  let worker: Worker;
  let running: Promise<void>;
  let store: Store;
  let fakes: Record<string, FakeAwsRegion>;
  let config: ReturnType<typeof testConfig>;
  let seq = 0;
  const plan = examplePlan();

  before(async () => {
    t = await testTemporal();
    fakes = await startFakeAws(REGIONS, { record: true });
    config = testConfig(t.address, {
      HERALD_EMAIL_PROVIDER: 'ses',
      HERALD_SMS_PROVIDER: 'pinpoint',
      HERALD_SES_REGIONS: REGIONS.join(','),
      HERALD_SES_ENDPOINTS: endpointsOf(fakes),
      HERALD_PINPOINT_REGIONS: REGIONS.join(','),
      HERALD_PINPOINT_ENDPOINTS: endpointsOf(fakes),
      HERALD_PINPOINT_APP_IDS: 'app-1',
      HERALD_DELIVERY_BATCH_SIZE: '25',
      HERALD_DELIVERY_PAGE_SIZE: '50',
      HERALD_DELIVERY_CONCURRENCY: '3',
      HERALD_PROVIDER_CONCURRENCY: '8',
      HERALD_REGION_COOLDOWN: '1s',
      HERALD_PUBLIC_URL: 'http://localhost:8080',
    });
    store = await openConfiguredStore(config);
    const providers = createProviders(config.delivery, {
      awsCredentials: FAKE_CREDENTIALS,
      webhookSecret: 'test-webhook-secret-0123',
    });
    ({ worker } = await createHeraldWorker({
      config,
      plan,
      workflowBundle: t.workflowBundle,
      connection: t.nativeConnection,
      store,
      providers,
    }));
    running = worker.run();

    // 120 customers following payments (every third also by SMS, every fifth in zh-TW), one who
    // unsubscribed, one whose address bounced before, a subscriber of another component, and staff.
    const rows: SubscriberInput[] = [];
    for (let i = 0; i < 120; i++) {
      rows.push({
        id: `c${String(i).padStart(4, '0')}`,
        email: `c${i}@example.com`,
        ...(i % 3 === 0 ? { phone: `+1555010${String(i).padStart(4, '0')}` } : {}),
        locale: i % 5 === 0 ? 'zh-TW' : 'en',
        components: i % 2 === 0 ? ['payments'] : '*',
      });
    }
    rows.push({ id: 'u-unsubscribed', email: 'gone@example.com', components: ['payments'], consent: 'unsubscribed' });
    rows.push({ id: 'u-bounced', email: 'bounced@example.com', components: ['payments'] });
    rows.push({ id: 'u-website', email: 'web@example.com', components: ['website'] });
    rows.push({ id: 'u-staff', email: 'staff@example.com', components: '*', internal: true });
    await store.upsertSubscribers(rows.map((r, i) => (validateSubscriber(r, i + 1) as { ok: true; value: never }).value));
    await store.addSuppressions([{ channel: 'email', address: 'bounced@example.com', reason: 'bounce' }]);
  });

  after(async () => {
    worker.shutdown();
    await running;
    await store.close();
    for (const f of Object.values(fakes)) await f.stop();
    await t.teardown();
  });

  const reset = () => {
    for (const f of Object.values(fakes)) {
      f.setMode('up');
      f.received.length = 0;
      f.counts.clear();
      f.rule = undefined;
    }
  };

  const request = (over: Partial<NotifyRequest> = {}): NotifyRequest =>
    paymentsOutageRound(`notify-test-${Date.now()}-${++seq}`, over);

  const start = (r: NotifyRequest) =>
    t.client.workflow.start<NotifyWorkflow>(NOTIFY_WORKFLOW, {
      workflowId: r.roundId,
      taskQueue: config.temporal.taskQueue,
      args: [r],
    });

  // 120 customers: 120 e-mails + 40 SMS; plus u-unsubscribed (opted out) and u-bounced (suppressed).
  const EMAILS = 120;
  const SMS = 40;
  // After the first test, one phone opted out at the provider and is suppressed from then on.
  const LATER = EMAILS + SMS - 1;

  test('every customer is told once on each channel; opt-outs and suppressions are counted, not sent', async () => {
    reset();
    fakes['us-east-1']!.rule = (a, service) => (service === 'pinpoint' && a === '+15550100003' ? 'OPT_OUT' : undefined);
    const r = request();
    const handle = await start(r);
    const report: NotifyReport = await handle.result();
    assert.equal(report.recipients, 122);
    assert.equal(report.sent, EMAILS + SMS - 1);
    assert.equal(report.optedOut, 2, 'the unsubscribed customer and the SMS opt-out');
    assert.equal(report.suppressed, 1);
    assert.equal(report.failedPermanently, 0);
    assert.equal(report.possibleDuplicates, 0);
    assert.deepEqual(report.byChannel, { email: { sent: EMAILS, failed: 0 }, sms: { sent: SMS - 1, failed: 0 } });
    assert.ok(report.firstSentAt);
    const totals = fakeTotals(Object.values(fakes));
    assert.equal(totals.unique, EMAILS + SMS - 1);
    assert.equal(totals.duplicates, 0);
    const received = Object.values(fakes).flatMap((f) => f.received);
    assert.ok(
      !received.some((m) =>
        ['gone@example.com', 'bounced@example.com', 'web@example.com', 'staff@example.com'].includes(m.address),
      ),
    );
    // Rendered once per locale: the zh-TW customers got the zh-TW words; e-mail carries a signed unsubscribe link.
    const zh = received.find((m) => m.address === 'c5@example.com')!;
    const en = received.find((m) => m.address === 'c1@example.com')!;
    assert.notEqual(zh.text, en.text);
    assert.match(en.headers!['List-Unsubscribe']!, /^<http:\/\/localhost:3000\/unsubscribe\?t=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+>$/);
    assert.notEqual(
      en.headers!['List-Unsubscribe'],
      received.find((m) => m.address === 'c2@example.com')!.headers!['List-Unsubscribe'],
    );
    // E-mail went through SES SendBulkEmail: one template per request, each recipient's own link rendered into the HTML.
    const token = /t=([^>]+)>$/.exec(en.headers!['List-Unsubscribe']!)![1]!;
    assert.ok(en.html?.includes(`t=${token}`), "the HTML part carries the recipient's own unsubscribe link");
    assert.ok(!en.html?.includes('HERALDUNSUBSCRIBETOKEN') && !en.html?.includes('{{'));
    // SMS in one Pinpoint request per locale and page, never more than 100 addresses.
    const sms = received.filter((m) => m.service === 'pinpoint');
    assert.ok(
      sms.every((m) => smsSize(m.text).segments <= smsSegmentBudget(plan, /\p{Script=Han}/u.test(m.text) ? 'zh-TW' : 'en')),
    );
    // Continued as new by page (50 recipients a page).
    const firstRun = await t.client.workflow.getHandle(r.roundId, handle.firstExecutionRunId).describe();
    assert.equal(firstRun.status.name, 'CONTINUED_AS_NEW');
    const history = await t.client.workflow.getHandle(r.roundId).fetchHistory();
    assert.ok(history.events!.length < 200, 'the last run holds one page, not the whole round');
    // The same round again (a retry of the whole round) sends nothing new.
    const again = await t.client.workflow.execute<NotifyWorkflow>(NOTIFY_WORKFLOW, {
      workflowId: `${r.roundId}`,
      taskQueue: config.temporal.taskQueue,
      args: [r],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    assert.equal(again.sent, report.sent);
    assert.equal(fakeTotals(Object.values(fakes)).accepted, EMAILS + SMS - 1, 'nothing was sent twice');
  });

  test('the progress query reports the round while it runs', async () => {
    reset();
    for (const f of Object.values(fakes)) f.setMode('down');
    const r = request();
    const handle = await start(r);
    const progress = await eventually(
      async () => {
        const p = await handle.query(notifyProgressQuery);
        return p.phase === 'sending' ? p : undefined;
      },
      15_000,
      'the round to be sending',
    );
    assert.equal(progress.expected, 122);
    assert.equal(progress.sent, 0);
    for (const f of Object.values(fakes)) f.setMode('up');
    const report = await handle.result();
    assert.equal(report.sent, LATER);
  });

  test('primary region down: everything goes through the second region, nothing lost', async () => {
    reset();
    fakes['us-east-1']!.setMode('down');
    const report = await (await start(request())).result();
    assert.equal(report.sent, LATER);
    assert.equal(fakes['us-east-1']!.accepted(), 0);
    assert.equal(fakes['us-west-2']!.accepted(), LATER);
    const totals = fakeTotals(Object.values(fakes));
    assert.deepEqual([totals.unique, totals.duplicates], [LATER, 0]);
  });

  test('both regions down: the round waits and retries, and completes when one returns', async () => {
    reset();
    for (const f of Object.values(fakes)) f.setMode('down');
    const r = request();
    const handle = await start(r);
    await eventually(
      async () => (fakes['us-east-1']!.requests > 0 && fakes['us-west-2']!.requests > 0 ? true : undefined),
      15_000,
      'both regions to be tried',
    );
    await new Promise((res) => setTimeout(res, 2500));
    const described = await handle.describe();
    assert.equal(described.status.name, 'RUNNING', 'the round waits');
    assert.equal(fakeTotals(Object.values(fakes)).accepted, 0);
    fakes['us-west-2']!.setMode('up');
    const report = await handle.result();
    assert.equal(report.sent, LATER);
    assert.ok(report.retried > 0);
    const totals = fakeTotals(Object.values(fakes));
    assert.deepEqual([totals.unique, totals.duplicates], [LATER, 0]);
  });

  test('a throttling region is honoured with back-off and the round completes', async () => {
    reset();
    fakes['us-east-1']!.setMode('throttle', 3);
    const report = await (await start(request())).result();
    assert.equal(report.sent, LATER);
    assert.ok(report.retried >= 1, `retried ${report.retried}`);
    assert.equal(fakeTotals(Object.values(fakes)).duplicates, 0);
  });

  test('permanent failures are recorded, not retried', async () => {
    reset();
    fakes['us-east-1']!.rule = (a, service) =>
      service === 'ses' && a === 'c7@example.com'
        ? 'MessageRejected'
        : service === 'pinpoint' && a === '+15550100006'
          ? 'PERMANENT_FAILURE'
          : undefined;
    const r = request();
    const report = await (await start(r)).result();
    assert.equal(report.failedPermanently, 2);
    assert.equal(report.sent, LATER - 2);
    const failed = (await store.deliveriesOf(r.roundId)).filter((d) => d.state === 'failed');
    assert.deepEqual(
      failed.map((d) => [d.recipientId, d.channel, d.attempts]),
      [
        ['c0006', 'sms', 1],
        ['c0007', 'email', 1],
      ],
    );
    assert.match(failed[1]!.error!, /MessageRejected/);
  });

  test('an external message that would leak fails the round permanently with the reason', async () => {
    reset();
    const r = request({ templateId: 'incident/update', phase: 'update' });
    r.facts = { ...r.facts, message: 'We are failing over db01.acme.internal to the standby.' };
    const err = await (await start(r)).result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    const cause =
      (err.cause as { cause?: { message?: string; type?: string } }).cause ?? (err.cause as { message?: string; type?: string });
    assert.equal(cause.type, 'GuardRefused');
    assert.match(cause.message ?? '', /db01\.acme\.internal/);
    assert.equal(fakeTotals(Object.values(fakes)).accepted, 0);
  });

  test('a drill sends to the sandbox recipients only, never to subscribers', async () => {
    reset();
    const r = request({ audienceId: 'drill', standsFor: 'customers', channels: ['email', 'sms', 'webhook'], drill: true });
    const report = await (await start(r)).result();
    assert.equal(report.recipients, 3);
    assert.equal(report.sent, 5);
    const addresses = Object.values(fakes)
      .flatMap((f) => f.received.map((m) => m.address))
      .sort();
    assert.deepEqual(addresses, ['+15555550100', '+15555550101', 'drill-en@example.com', 'drill-zh@example.com']);
    // The sandbox webhook goes to the outbox (the embedded default for webhooks).
    const outbox = readdirSync(join(config.dataDir, 'outbox'));
    assert.ok(outbox.some((f) => f.endsWith('--webhook.json') && f.startsWith(r.roundId)));
  });

  test('the ledger counts every resend of a delivery left "sending" as a possible duplicate', async () => {
    const roundId = `ledger-repeats-${++seq}`;
    const start = (possibleDuplicate: boolean) =>
      store.markSending(roundId, [{ recipientId: 'c0001', channel: 'email', address: 'c1@example.com', possibleDuplicate }]);
    await start(false);
    // Caught in flight by two crashes: resent twice, each resend a repeat the provider may have seen.
    await start(true);
    await start(true);
    await store.recordResults(roundId, [
      { recipientId: 'c0001', channel: 'email', address: 'c1@example.com', state: 'sent', provider: 'ses' },
    ]);
    const [count] = await store.ledgerCounts(roundId);
    assert.deepEqual(count, { channel: 'email', state: 'sent', deliveries: 1, retries: 2, possibleDuplicates: 2 });
    const [entry] = await store.deliveriesOf(roundId);
    assert.equal(entry!.possibleDuplicate, true);
    // Settled: a later attempt skips it, and marking a settled delivery again adds no repeat.
    await start(false);
    assert.equal((await store.ledgerCounts(roundId))[0]!.possibleDuplicates, 2);
  });
});
