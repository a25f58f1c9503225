import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { createProviders } from '../../activities/providers';
import { RegionUnavailable, type Provider } from '../../activities/providers/types';
import type { NotifyRequest } from '../../core/notify';
import { openConfiguredStore, type Store } from '../../core/store';
import { validateSubscriber, type SubscriberInput } from '../../core/store/subscribers';
import { createHeraldWorker } from '../../worker/createWorker';
import { createWorkerMetrics, serveWorkerMetrics, workerMetricsAddress, workerMetricsUrl } from '../../worker/metrics';
import { NOTIFY_WORKFLOW, type NotifyWorkflow } from '../../workflows/contracts/notify';
import { examplePlan, testConfig } from '../support/config';
import { paymentsOutageRound } from '../support/notifyRequest';
import { testTemporal, type TestTemporal } from '../support/temporal';

// The worker's own /metrics: real rounds through the outbox provider on a real dev server and
// worker, then a scrape of the worker's listener. E-mail goes through an outbox wrapped in two
// regions whose first is down, so the failover is counted; a round the guard refuses is counted too.

describe('worker metrics: messages, provider latency, failovers and guard refusals from real rounds', () => {
  let t: TestTemporal;
  let worker: Worker;
  let running: Promise<void>;
  let store: Store;
  let listener: Awaited<ReturnType<typeof serveWorkerMetrics>>;
  let config: ReturnType<typeof testConfig>;
  const plan = examplePlan();
  let seq = 0;

  before(async () => {
    t = await testTemporal();
    config = testConfig(t.address, { HERALD_REGION_COOLDOWN: '1m' });
    store = await openConfiguredStore(config);
    const built = createProviders(config.delivery, { webhookSecret: 'test-webhook-secret-0123' });
    const outbox = built.email;
    // Two regions: the first is down (a clear refusal, so the next region is tried at once).
    const email: Provider = {
      name: 'outbox-2r',
      regions: ['down-1', 'up-1'],
      maxPerRequest: 1,
      async send(region, messages) {
        if (region === 'down-1') throw new RegionUnavailable('down-1 refuses connections');
        return outbox.send('local', messages);
      },
    };
    const metrics = createWorkerMetrics({ defaultMetrics: false });
    listener = await serveWorkerMetrics(metrics.registry, { host: '127.0.0.1', port: 0 });
    ({ worker } = await createHeraldWorker({
      config,
      plan,
      workflowBundle: t.workflowBundle,
      connection: t.nativeConnection,
      store,
      providers: { ...built, email },
      metrics,
    }));
    running = worker.run();

    const rows: SubscriberInput[] = [
      { id: 'm1', email: 'm1@example.com', phone: '+15550100001', components: ['payments'] },
      { id: 'm2', email: 'm2@example.com', components: ['payments'], locale: 'zh-TW' },
      { id: 'm3', email: 'm3@example.com', phone: '+15550100003', components: '*' },
      { id: 'm4', email: 'gone@example.com', components: ['payments'], consent: 'unsubscribed' },
    ];
    await store.upsertSubscribers(rows.map((r, i) => (validateSubscriber(r, i + 1) as { ok: true; value: never }).value));
  });

  after(async () => {
    worker?.shutdown();
    await running;
    await listener?.close();
    await store?.close();
    await t?.teardown();
  });

  const request = (over: Partial<NotifyRequest> = {}): NotifyRequest =>
    paymentsOutageRound(`notify-metrics-${Date.now()}-${++seq}`, over);
  const run = (r: NotifyRequest) =>
    t.client.workflow.execute<NotifyWorkflow>(NOTIFY_WORKFLOW, {
      workflowId: r.roundId,
      taskQueue: config.temporal.taskQueue,
      args: [r],
    });

  /** The scrape as {"name{labels}": value}. */
  async function scrape(): Promise<Map<string, number>> {
    const res = await fetch(listener.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const out = new Map<string, number>();
    for (const line of (await res.text()).split('\n')) {
      const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
      if (m) out.set(m[1]!, Number(m[2]));
    }
    return out;
  }

  test('a round through the outbox: messages by channel, provider, region and result; latency; failovers', async () => {
    const report = await run(request());
    // m1, m2, m3 by e-mail; m1 and m3 by SMS; m4 unsubscribed (opted out, on e-mail only: no phone).
    assert.equal(report.sent, 5);
    assert.equal(report.optedOut, 1);
    const files = readdirSync(config.delivery.outboxDir).filter((f) => f.startsWith(report.roundId));
    assert.equal(files.length, 5, 'five messages in the outbox');

    const m = await scrape();
    assert.equal(m.get('herald_messages_total{channel="email",provider="outbox-2r",region="up-1",result="sent"}'), 3);
    assert.equal(m.get('herald_messages_total{channel="sms",provider="outbox",region="local",result="sent"}'), 2);
    assert.equal(m.get('herald_messages_total{channel="email",provider="-",region="-",result="opted_out"}'), 1);
    // Every e-mail request tried down-1 first, until its cool-down marked it down: at least one failover.
    assert.ok((m.get('herald_provider_failovers_total{provider="outbox-2r",region="down-1"}') ?? 0) >= 1);
    assert.equal(
      m.get('herald_provider_request_duration_seconds_count{provider="outbox-2r",region="up-1",channel="email",outcome="ok"}'),
      3,
    );
    assert.equal(
      m.get('herald_provider_request_duration_seconds_count{provider="outbox",region="local",channel="sms",outcome="ok"}'),
      2,
    );
    assert.ok(
      m.get('herald_provider_request_duration_seconds_sum{provider="outbox",region="local",channel="sms",outcome="ok"}')! > 0,
    );
    assert.equal(m.get('herald_round_guard_refusals_total{phase="initial",audience="customers"}'), undefined);
  });

  test('a round the content guard refuses is counted, and nothing is sent', async () => {
    const before = await scrape();
    const r = request({ templateId: 'incident/update', phase: 'update' });
    r.facts = { ...r.facts, message: 'We are failing over db01.acme.internal to the standby.' };
    await assert.rejects(run(r));
    const m = await scrape();
    assert.equal(m.get('herald_round_guard_refusals_total{phase="update",audience="customers"}'), 1);
    const sent = (x: Map<string, number>) =>
      [...x].filter(([k]) => k.startsWith('herald_messages_total')).reduce((n, [, v]) => n + v, 0);
    assert.equal(sent(m), sent(before), 'no message counted');
  });

  test('the listener serves GET /metrics only, and the port setting is checked', async () => {
    assert.equal((await fetch(listener.url.replace('/metrics', '/'))).status, 404);
    assert.equal((await fetch(listener.url, { method: 'POST' })).status, 404);
    assert.deepEqual(workerMetricsAddress({}), { host: '127.0.0.1', port: 9464 });
    assert.equal(workerMetricsUrl({ HERALD_WORKER_METRICS_PORT: '0' }), null);
    assert.equal(workerMetricsUrl({ HERALD_WORKER_METRICS_PORT: '9500' }), 'http://127.0.0.1:9500/metrics');
    assert.throws(() => workerMetricsAddress({ HERALD_WORKER_METRICS_PORT: 'nine' }), /not a port/);
  });
});
