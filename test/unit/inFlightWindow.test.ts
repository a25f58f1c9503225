import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDeliveryCore } from '../../activities/deliver';
import { InFlightWindow } from '../../activities/deliverBatch';
import { createProviders } from '../../activities/providers';
import { openConfiguredStore, type Store } from '../../core/store';
import { validateSubscriber, type SubscriberInput } from '../../core/store/subscribers';
import { examplePlan, testConfig } from '../support/config';
import { endpointsOf, FAKE_CREDENTIALS, fakeTotals, startFakeAws, type FakeAwsRegion } from '../support/fakeAws';
import { paymentsOutageRound } from '../support/notifyRequest';

// HERALD_IN_FLIGHT_RECIPIENTS: the recipients a worker has in provider requests at once, across all
// its batches — what one crash can repeat. Counted where the requests leave, through the real SDK
// clients against local AWS regions, with several batches of one round running at once.

const REGIONS = ['us-east-1', 'us-west-2'];
let fakes: Record<string, FakeAwsRegion>;
const stores: Store[] = [];

before(async () => {
  fakes = await startFakeAws(REGIONS, { record: true, latencyMs: 30 });
});
after(async () => {
  for (const s of stores) await s.close();
  for (const f of Object.values(fakes)) await f.stop();
});

test('the window serves waiters in order, never holds more than its size, and refuses a request larger than itself', async () => {
  const w = new InFlightWindow(100);
  const order: string[] = [];
  await w.take(60);
  const big = w.take(80).then(() => order.push('big'));
  const small = w.take(10).then(() => order.push('small'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], 'the small request waits behind the big one, although it would fit');
  w.give(60);
  await Promise.all([big, small]);
  assert.deepEqual(order, ['big', 'small']);
  await assert.rejects(w.take(101), /does not fit a window of 100/);
});

async function runRound(inFlight: string, tag: string): Promise<{ peak: number; unique: number; duplicates: number }> {
  for (const f of Object.values(fakes)) f.counts.clear();
  const config = testConfig('127.0.0.1:1', {
    HERALD_EMAIL_PROVIDER: 'ses',
    HERALD_SES_REGIONS: REGIONS.join(','),
    HERALD_SES_ENDPOINTS: endpointsOf(fakes),
    HERALD_SMS_PROVIDER: 'pinpoint',
    HERALD_PINPOINT_REGIONS: REGIONS.join(','),
    HERALD_PINPOINT_ENDPOINTS: endpointsOf(fakes),
    HERALD_PINPOINT_APP_IDS: 'window-app',
    HERALD_PROVIDER_CONCURRENCY: '16',
    HERALD_IN_FLIGHT_RECIPIENTS: inFlight,
  });
  const store = await openConfiguredStore(config);
  stores.push(store);
  const rows: SubscriberInput[] = [];
  for (let i = 0; i < 600; i++)
    rows.push({
      id: `w${tag}${String(i).padStart(4, '0')}`,
      ...(i % 2 === 0 ? { email: `window-${tag}-${i}@example.com` } : { phone: `+1555030${String(i).padStart(4, '0')}` }),
      components: ['payments'],
    });
  await store.upsertSubscribers(rows.map((r, i) => (validateSubscriber(r, i + 1) as { ok: true; value: never }).value));
  // Count the recipients inside provider requests at any moment.
  const providers = createProviders(config.delivery, {
    awsCredentials: FAKE_CREDENTIALS,
    webhookSecret: 'test-webhook-secret-0123',
  });
  let now = 0;
  let peak = 0;
  for (const p of new Set([providers.email, providers.sms])) {
    const send = p.send.bind(p);
    p.send = async (region, messages) => {
      now += messages.length;
      peak = Math.max(peak, now);
      try {
        return await send(region, messages);
      } finally {
        now -= messages.length;
      }
    };
  }
  const core = createDeliveryCore({
    plan: examplePlan(),
    store,
    providers,
    delivery: config.delivery,
    secret: 'unit-test-secret-0123456789abcdef',
    statusUrl: 'http://localhost:8080',
  });
  const request = paymentsOutageRound(`notify-window-${tag}-${Date.now()}`);
  await core.prepareRound(request);
  // Three batches of the round at once, as a worker runs them.
  const ranges = [
    [null, `w${tag}0199`],
    [`w${tag}0199`, `w${tag}0399`],
    [`w${tag}0399`, `w${tag}9999`],
  ] as const;
  await Promise.all(
    ranges.map(([afterId, throughId]) =>
      core.deliverRange(
        { request, afterId, throughId, count: 200 },
        { attempt: 1, resumeCursor: null, heartbeat: () => undefined },
      ),
    ),
  );
  const totals = fakeTotals(Object.values(fakes));
  return { peak, unique: totals.unique, duplicates: totals.duplicates };
}

test('three batches at once never have more recipients in provider requests than HERALD_IN_FLIGHT_RECIPIENTS; every message once', async () => {
  const bounded = await runRound('60', 'a');
  assert.deepEqual([bounded.unique, bounded.duplicates], [600, 0]);
  assert.ok(bounded.peak <= 60, `at most 60 recipients in flight (peak ${bounded.peak})`);
  assert.ok(bounded.peak >= 50, `the window is used (peak ${bounded.peak})`);

  // Without the bound the same round has far more in flight: what the window prevents.
  const unbounded = await runRound('0', 'b');
  assert.deepEqual([unbounded.unique, unbounded.duplicates], [600, 0]);
  assert.ok(unbounded.peak > 150, `unbounded peak ${unbounded.peak}`);
});
