import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDeliveryCore } from '../../activities/deliver';
import { createProviders } from '../../activities/providers';
import { ConfigError, loadConfig } from '../../core/config';
import { openConfiguredStore, type Store } from '../../core/store';
import { validateSubscriber, type SubscriberInput } from '../../core/store/subscribers';
import { examplePlan, testConfig } from '../support/config';
import { endpointsOf, FAKE_CREDENTIALS, fakeTotals, startFakeAws, type FakeAwsRegion } from '../support/fakeAws';
import { paymentsOutageRound } from '../support/notifyRequest';

// HERALD_PROVIDER_CONCURRENCY=<total>,<channel>=<cap>: a batch keeps at most <total> provider
// requests in flight, and never more than a channel's cap for that channel — so 50-recipient bulk
// e-mails can narrow the window a crash can repeat while single-recipient channels keep the width.
// Counted where the requests arrive: the local AWS regions, through the real SDK clients.

const REGIONS = ['us-east-1', 'us-west-2'];
let fakes: Record<string, FakeAwsRegion>;
let store: Store;

before(async () => {
  fakes = await startFakeAws(REGIONS, { record: true, latencyMs: 40 });
});
after(async () => {
  await store?.close();
  for (const f of Object.values(fakes)) await f.stop();
});

test('per-channel caps: e-mail one request at a time while SMS uses the rest of the window; every message once', async () => {
  const config = testConfig('127.0.0.1:1', {
    HERALD_EMAIL_PROVIDER: 'ses',
    HERALD_SES_API: 'single',
    HERALD_SES_REGIONS: REGIONS.join(','),
    HERALD_SES_ENDPOINTS: endpointsOf(fakes),
    HERALD_SMS_PROVIDER: 'sms-v2',
    HERALD_SMS_V2_REGIONS: REGIONS.join(','),
    HERALD_SMS_V2_ENDPOINTS: endpointsOf(fakes),
    HERALD_SMS_ORIGINATION: '+12065550100',
    HERALD_PROVIDER_CONCURRENCY: '6,email=1',
  });
  store = await openConfiguredStore(config);
  const rows: SubscriberInput[] = [];
  for (let i = 0; i < 24; i++)
    rows.push({
      id: `c${String(i).padStart(3, '0')}`,
      email: `cap-${i}@example.com`,
      phone: `+1555020${String(i).padStart(4, '0')}`,
      components: ['payments'],
    });
  await store.upsertSubscribers(rows.map((r, i) => (validateSubscriber(r, i + 1) as { ok: true; value: never }).value));
  const core = createDeliveryCore({
    plan: examplePlan(),
    store,
    providers: createProviders(config.delivery, { awsCredentials: FAKE_CREDENTIALS, webhookSecret: 'test-webhook-secret-0123' }),
    delivery: config.delivery,
    secret: 'unit-test-secret-0123456789abcdef',
    statusUrl: 'http://localhost:8080',
  });
  const request = paymentsOutageRound(`notify-cap-${Date.now()}`);
  await core.prepareRound(request);
  const result = await core.deliverRange(
    { request, afterId: null, throughId: 'c999', count: rows.length },
    { attempt: 1, resumeCursor: null, heartbeat: () => undefined },
  );

  assert.equal(result.byChannel.email?.sent, 24);
  assert.equal(result.byChannel.sms?.sent, 24);
  const east = fakes['us-east-1']!;
  assert.equal(east.maxInFlight.get('ses'), 1, 'e-mail never more than its cap');
  const sms = east.maxInFlight.get('sms-v2') ?? 0;
  assert.ok(sms >= 3 && sms <= 5, `SMS used the rest of the window (${sms} at once, of 6 less e-mail's 1)`);
  const totals = fakeTotals(Object.values(fakes));
  assert.deepEqual([totals.unique, totals.duplicates], [48, 0]);
});

test('the setting: a total with optional channel caps; anything else is a clear configuration error', () => {
  const delivery = (v: string) => testConfig('127.0.0.1:1', { HERALD_PROVIDER_CONCURRENCY: v }).delivery;
  assert.deepEqual([delivery('16').providerConcurrency, delivery('16').providerConcurrencyByChannel], [16, {}]);
  assert.deepEqual(delivery(' 16, email=4 ,webhook=16').providerConcurrencyByChannel, { email: 4, webhook: 16 });
  for (const bad of ['email=4', '16,fax=2', '4,email=8', '0', '16,email=0', 'sixteen']) {
    assert.throws(
      () => loadConfig({ HERALD_DATA_DIR: '/tmp', HERALD_PROVIDER_CONCURRENCY: bad }),
      (err: Error) => err instanceof ConfigError && /HERALD_PROVIDER_CONCURRENCY/.test(err.message),
      bad,
    );
  }
});
