import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { API_DEFAULTS, createApp } from '../../api/app';
import { createLogger } from '../../core/logger';
import type { Plan } from '../../core/plan/schema';
import { openWebhookLedger } from '../../core/webhookLedger';
import { correlationSink } from '../../api/routes/webhooks/correlationClient';
import { correlationSummaryQuery, correlationWorkflowId, type CorrelationSummary } from '../../workflows/contracts/correlation';
import { incidentStateQuery, type IncidentState } from '../../workflows/contracts/incident';
import { examplePlan } from '../support/config';
import { eventually } from '../support/temporal';
import { startApi, TOKENS, type ApiHarness } from './api.harness';

// Alert storms through the real API, router and incidents on a dev server: hundreds of alert groups
// that belong together open one incident, whichever API process receives them; an operator's
// incident takes the alerts that match it; the plan decides what belongs together.

type Alert = { fp: string; status?: 'firing' | 'resolved'; startsAt?: string; endsAt?: string };
function groupBody(group: string, component: string, alerts: Alert[] = [{ fp: group }], alertname = 'ServiceDown') {
  const status = alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved';
  return {
    version: '4',
    groupKey: `{}:{alertname="${alertname}", group="${group}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'herald',
    groupLabels: { alertname, group },
    commonLabels: { alertname, group, component, severity: 'major' },
    commonAnnotations: { summary: `${alertname} on ${component}` },
    externalURL: 'http://alertmanager.local',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: { alertname, group, component, severity: 'major', instance: a.fp },
      annotations: {},
      startsAt: a.startsAt ?? new Date(Date.now() - 60_000).toISOString(),
      endsAt: a.endsAt ?? '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.local/graph',
      fingerprint: a.fp,
    })),
  };
}

function router(h: ApiHarness) {
  return h.t.client.workflow.getHandle(correlationWorkflowId(h.plan.page.id));
}
/** The router's book once it has decided `deliveries` deliveries and has nothing queued. */
function settled(h: ApiHarness, deliveries: number, timeoutMs = 60_000): Promise<CorrelationSummary> {
  return eventually(
    async () => {
      const s = await router(h).query(correlationSummaryQuery);
      return s.counts.deliveries >= deliveries && s.queued === 0 && s.sending === 0 ? s : undefined;
    },
    timeoutMs,
    `the router to decide ${deliveries} deliveries`,
  );
}
const state = (h: ApiHarness, id: string) =>
  h.t.client.workflow.getHandle(id).query(incidentStateQuery) as Promise<IncidentState>;
const post = (h: ApiHarness, body: unknown) => h.call('POST', '/v1/webhooks/alertmanager', body, TOKENS.webhook);
const run = Math.random().toString(36).slice(2, 8);

/** A second API process: its own Temporal client (so its own hand-off queue and ledger), the same plan, task queue and Temporal. */
async function secondApi(h: ApiHarness) {
  const client = new Client({ connection: h.t.client.connection });
  const ledger = openWebhookLedger(':memory:');
  const server = createApp({
    client,
    plan: h.plan,
    taskQueue: h.config.temporal.taskQueue,
    tokens: [{ token: TOKENS.webhook, role: 'webhook', name: 'alertmanager-2' }],
    log: createLogger('test', 'silent'),
    publicUrl: 'http://localhost:8080',
    api: { ...API_DEFAULTS, webhookRateLimit: { perSecond: 5000, burst: 5000 }, rateLimitIp: { perSecond: 5000, burst: 5000 } },
    ledger,
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    client,
    post: (body: unknown) =>
      fetch(`${base}/v1/webhooks/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.webhook}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      ledger.close();
    },
  };
}

describe('alert storms on a real dev server', () => {
  let h: ApiHarness;
  let other: Awaited<ReturnType<typeof secondApi>>;
  before(async () => {
    h = await startApi({ api: { webhookRateLimit: { perSecond: 5000, burst: 5000 } } });
    other = await secondApi(h);
  });
  after(async () => {
    await other?.stop();
    await h?.stop();
  });

  test('300 simultaneous alert groups for one component, on two API processes, open exactly one incident', async () => {
    const before =
      (
        await router(h)
          .query(correlationSummaryQuery)
          .catch(() => undefined)
      )?.counts.deliveries ?? 0;
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        i % 2 ? post(h, groupBody(`storm-${run}-${i}`, 'payments')) : other.post(groupBody(`storm-${run}-${i}`, 'payments')),
      ),
    );
    assert.deepEqual([...new Set(answers.map((r) => r.status))], [202]);
    const body = (await answers[0]!.json()) as { result: string; correlationId: string };
    assert.equal(body.result, 'signalled');
    assert.equal(body.correlationId, correlationWorkflowId(h.plan.page.id));

    const s = await settled(h, before + 300);
    const payments = s.incidents.filter((i) => i.components.includes('payments'));
    assert.equal(payments.length, 1, JSON.stringify(payments.map((i) => i.id)));
    assert.equal(payments[0]!.alerts, 300);
    assert.equal(s.counts.opened, 1);
    const incident = await eventually(() => state(h, payments[0]!.id), 20_000, 'the incident');
    assert.deepEqual(incident.components, ['payments']);
    assert.equal(incident.monitoring.state, 'firing');
    const handOffs = [h.t.client, other.client].map(
      (client) =>
        correlationSink({ client, plan: h.plan, taskQueue: h.config.temporal.taskQueue, temporalTimeoutMs: 10_000 }).stats,
    );
    assert.deepEqual(
      handOffs.map((x) => x.deliveries),
      [150, 150],
      'each process handed over what it received',
    );
  });

  test('an operator-declared incident absorbs the alerts that match it', async () => {
    const declared = await h.call('POST', '/v1/incidents', {
      title: 'Public API errors',
      scenario: 'outage',
      severity: 'sev1',
      components: ['api'],
      message: 'Some API requests fail.',
    });
    assert.equal(declared.status, 201);
    const { id } = (await declared.json()) as { id: string };
    const before = (await router(h).query(correlationSummaryQuery)).counts.deliveries;
    // Latency alerts route to the degradation scenario: they join the outage rather than open a second incident.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2
          ? post(h, groupBody(`api-${run}-${i}`, 'api', undefined, 'HighLatency'))
          : other.post(groupBody(`api-${run}-${i}`, 'api', undefined, 'HighLatency')),
      ),
    );
    assert.deepEqual([...new Set(answers.map((r) => r.status))], [202]);
    const s = await settled(h, before + 40);
    const api = s.incidents.filter((i) => i.components.includes('api') && i.closedAtMs === null);
    assert.deepEqual(
      api.map((i) => [i.id, i.origin, i.alerts]),
      [[id, 'declared', 40]],
    );
    const incident = await eventually(
      async () => {
        const st = await state(h, id);
        return st.monitoring.state === 'firing' ? st : undefined;
      },
      20_000,
      'the alerts to reach the declared incident',
    );
    assert.equal(incident.scenario, 'outage');
    assert.equal(incident.severity, 'sev1', 'the less severe alerts do not lower it');
  });
});

describe('what belongs together is the plan’s choice', () => {
  for (const [by, expected] of [
    ['component', 2],
    ['group', 1],
  ] as const) {
    test(`by ${by}: alerts on payments and invoicing (both in the commerce group) open ${expected} incident(s)`, async () => {
      const base = examplePlan();
      const plan: Plan = { ...base, correlation: { ...base.correlation, by } };
      const h = await startApi({ plan });
      try {
        const answers = await Promise.all(
          Array.from({ length: 60 }, (_, i) => post(h, groupBody(`${by}-${run}-${i}`, i % 2 ? 'payments' : 'invoicing'))),
        );
        assert.deepEqual([...new Set(answers.map((r) => r.status))], [202]);
        const s = await settled(h, 60);
        assert.equal(s.incidents.length, expected, JSON.stringify(s.incidents.map((i) => [i.id, i.components])));
        assert.deepEqual(s.incidents.flatMap((i) => i.components).sort(), ['invoicing', 'payments']);
        for (const i of s.incidents) await eventually(() => state(h, i.id), 20_000, `incident ${i.id}`);
      } finally {
        await h.stop();
      }
    });
  }
});
