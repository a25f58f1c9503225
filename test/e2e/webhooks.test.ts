import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { incidentForAlert } from '../../api/routes/webhooks/correlationClient';
import { signGeneric } from '../../api/routes/webhooks/index';
import { createLogger } from '../../core/logger';
import { HeraldComponents, HeraldKind, HeraldSeverity } from '../../core/searchAttributes';
import { incidentStateQuery, type IncidentState } from '../../workflows/contracts/incident';
import { examplePlan } from '../support/config';
import { freePort } from '../support/ports';
import { eventually } from '../support/temporal';
import { CERT_URL, makeSnsTestKeys, signSns, type SnsTestKeys } from '../unit/sns.keys';
import { startApi, TOKENS, type ApiHarness } from './api.harness';

// Every monitoring source against a real dev server and worker: authenticated, validated, routed,
// one incident per alert identity, duplicates acknowledged without a second signal.

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:herald-alarms';
const GRAFANA_SECRET = 'grafana-secret-0123456789';
const GENERIC_SECRET = 'generic-secret-0123456789';

describe('monitoring webhooks on a real dev server', () => {
  let h: ApiHarness;
  let keys: SnsTestKeys;
  const gets: string[] = [];
  const run = Math.random().toString(36).slice(2, 8);

  before(async () => {
    keys = makeSnsTestKeys();
    h = await startApi({
      api: { snsTopics: [TOPIC], grafanaSecret: GRAFANA_SECRET, genericWebhookSecret: GENERIC_SECRET },
      snsFetch: async (url) => {
        gets.push(url);
        if (url === CERT_URL) return keys.certPem;
        if (url.startsWith('https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription'))
          return '<ConfirmSubscriptionResponse/>';
        throw new Error(`unexpected GET ${url}`);
      },
    });
  });
  after(async () => {
    await h.stop();
  });

  const state = (id: string) => h.t.client.workflow.getHandle(id).query(incidentStateQuery) as Promise<IncidentState>;
  /** The incident the alert router put an alert in (decided after the webhook's answer). */
  const incidentOf = (source: string, fingerprint: string) =>
    eventually(
      async () => (await incidentForAlert(h.t.client, h.plan.page.id, source, fingerprint)) ?? undefined,
      10_000,
      `the incident of ${source} alert ${fingerprint}`,
    );
  const countIncidents = async () => Number((await h.t.client.workflow.count("HeraldKind = 'incident'")).count);
  const alarm = (name: string, state: 'ALARM' | 'OK', extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      AlarmName: name,
      AlarmDescription: 'Card payment errors. component=payments severity=critical',
      AWSAccountId: '123456789012',
      NewStateValue: state,
      NewStateReason: 'Threshold Crossed: 1 out of the last 1 datapoints [12.0] was greater than the threshold (5.0).',
      StateChangeTime: '2026-11-28T12:00:00.000+0000',
      Region: 'US East (N. Virginia)',
      AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
      OldStateValue: state === 'ALARM' ? 'OK' : 'ALARM',
      Trigger: {
        MetricName: '5XXError',
        Namespace: 'AWS/ApiGateway',
        Statistic: 'SUM',
        Unit: null,
        Dimensions: [{ name: 'ApiName', value: 'payments' }],
        Period: 60,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 5,
      },
      ...extra,
    });
  const sns = (body: object, type?: string) =>
    fetch(`${h.base}/v1/webhooks/sns`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain; charset=UTF-8',
        'x-amz-sns-message-type': type ?? (body as { Type: string }).Type,
        'user-agent': 'Amazon Simple Notification Service Agent',
      },
      body: JSON.stringify(body),
    });
  const notification = (messageId: string, message: string) =>
    signSns(
      {
        Type: 'Notification',
        MessageId: messageId,
        TopicArn: TOPIC,
        Subject: 'ALARM',
        Message: message,
        Timestamp: new Date().toISOString(),
        UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
      },
      keys.keyPem,
    );

  test('SNS: a subscription is confirmed only for an allowed topic with a valid signature', async () => {
    gets.length = 0;
    const confirmation = (topic: string) =>
      signSns(
        {
          Type: 'SubscriptionConfirmation',
          MessageId: `c-${run}-${topic.length}`,
          TopicArn: topic,
          Token: 'tok',
          Message: 'You have chosen to subscribe to the topic.',
          SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=tok`,
          Timestamp: new Date().toISOString(),
        },
        keys.keyPem,
        '1',
      );
    const ok = await sns(confirmation(TOPIC));
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.deepEqual(gets, [
      CERT_URL,
      `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=tok`,
    ]);

    gets.length = 0;
    const unknown = await sns(confirmation('arn:aws:sns:us-east-1:123456789012:someone-elses'));
    assert.equal(unknown.status, 403);
    assert.match(unknown.headers.get('content-type')!, /problem\+json/);
    const forged = {
      ...confirmation(TOPIC),
      SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=other',
    };
    assert.equal((await sns(forged)).status, 403);
    const offHost = signSns({ ...confirmation(TOPIC), SubscribeURL: 'https://evil.example/confirm' }, keys.keyPem);
    assert.equal((await sns(offHost)).status, 400);
    assert.deepEqual(gets, [], 'nothing fetched for refused messages');
  });

  test('SNS: forged, wrongly hosted, unknown-topic and malformed notifications are refused and start nothing', async () => {
    const before = await countIncidents();
    const good = notification(`f-${run}`, alarm(`forged-${run}`, 'ALARM'));
    const cases: [object, number, string?][] = [
      [{ ...good, Message: alarm(`forged-${run}`, 'ALARM', { AlarmDescription: 'component=website' }) }, 403],
      [
        signSns(
          {
            ...good,
            SigningCertURL:
              'https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem',
          },
          keys.keyPem,
        ),
        403,
      ],
      [
        signSns(
          { ...good, SigningCertURL: 'https://evil.example/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem' },
          keys.keyPem,
        ),
        403,
      ],
      [signSns({ ...good, TopicArn: 'arn:aws:sns:us-east-1:999999999999:other' }, keys.keyPem), 403],
      [signSns({ ...good, Signature: '' }, keys.otherKeyPem), 403],
      [{ ...good, SignatureVersion: '3' }, 403],
      [good, 400, 'SubscriptionConfirmation'],
      [{ Type: 'Notification' }, 400],
      [signSns({ ...good, MessageId: `nojson-${run}`, Message: 'not json' }, keys.keyPem), 422],
    ];
    for (const [body, status, type] of cases) {
      const res = await sns(body, type);
      assert.equal(res.status, status, `${JSON.stringify(body).slice(0, 120)} → ${await res.clone().text()}`);
      assert.match(res.headers.get('content-type')!, /problem\+json/);
    }
    assert.equal(await countIncidents(), before);
  });

  test('SNS: ALARM opens an incident routed through the plan; a re-sent MessageId is a duplicate; OK moves it to monitoring', async () => {
    const name = `payments-5xx-${run}`;
    const first = await sns(notification(`n1-${run}`, alarm(name, 'ALARM')));
    assert.equal(first.status, 202, await first.clone().text());
    const incidentId = await incidentOf('cloudwatch', `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`);
    assert.match(incidentId, /^incident-cloudwatch-[0-9a-f]{16}$/);
    const s = await eventually(() => state(incidentId), 10_000, 'the incident');
    assert.deepEqual(s.components, ['payments']);
    assert.equal(s.severity, 'sev1');
    assert.equal(s.scenario, 'outage');
    assert.equal(s.monitoring.state, 'firing');
    assert.doesNotMatch(s.title + s.impact, /5xx|arn:|123456789012/, 'customer words come from the plan, not the alarm');
    assert.match(s.technicalDetail ?? '', /arn:aws:cloudwatch/);
    const d = await h.t.client.workflow.getHandle(incidentId).describe();
    assert.equal(d.typedSearchAttributes.get(HeraldKind), 'incident');
    assert.equal(d.typedSearchAttributes.get(HeraldSeverity), 'sev1');
    assert.deepEqual(d.typedSearchAttributes.get(HeraldComponents), ['payments']);

    const dup = await sns(notification(`n1-${run}`, alarm(name, 'ALARM')));
    assert.equal(dup.status, 200);
    assert.equal(((await dup.json()) as { result: string }).result, 'duplicate');

    const ok = await sns(notification(`n2-${run}`, alarm(name, 'OK')));
    assert.equal(ok.status, 202);
    await eventually(async () => ((await state(incidentId)).status === 'monitoring' ? true : undefined), 10_000, 'monitoring');
    // OK for an alarm never seen firing is kept (a later ALARM of the same episode opens nothing), and opens nothing.
    const incidents = await countIncidents();
    const none = await sns(notification(`n3-${run}`, alarm(`never-fired-${run}`, 'OK')));
    assert.equal(none.status, 202);
    assert.equal(await countIncidents(), incidents);
    const unsub = signSns(
      {
        Type: 'UnsubscribeConfirmation',
        MessageId: `u-${run}`,
        TopicArn: TOPIC,
        Token: 't',
        Message: 'unsubscribed',
        SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t',
        Timestamp: new Date().toISOString(),
      },
      keys.keyPem,
    );
    assert.equal((await sns(unsub)).status, 200);
  });

  test('generic: HMAC over "t.body" with a 5-minute tolerance; firing opens, resolved reaches it, a replay is a duplicate', async () => {
    const body = JSON.stringify({
      key: `checkout-${run}`,
      status: 'firing',
      name: 'CheckoutErrors',
      labels: { component: 'website', severity: 'major' },
      summary: 'error rate 12%',
    });
    const post = (b: string, sig: string | undefined) =>
      fetch(`${h.base}/v1/webhooks/generic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(sig ? { 'x-herald-signature': sig } : {}) },
        body: b,
      });
    const before = await countIncidents();
    assert.equal((await post(body, undefined)).status, 401);
    assert.equal((await post(body, signGeneric('wrong-secret-0123456789', body))).status, 401);
    assert.equal((await post(body, signGeneric(GENERIC_SECRET, body, Math.floor(Date.now() / 1000) - 301))).status, 401);
    assert.equal((await post(body.replace('major', 'critical'), signGeneric(GENERIC_SECRET, body))).status, 401);
    const extra = JSON.stringify({ key: 'k', status: 'firing', labels: {}, surprise: 1 });
    assert.equal((await post(extra, signGeneric(GENERIC_SECRET, extra))).status, 400);
    assert.equal(await countIncidents(), before);

    const sig = signGeneric(GENERIC_SECRET, body);
    const res = await post(body, sig);
    assert.equal(res.status, 202, await res.clone().text());
    const { correlationId } = (await res.json()) as { correlationId: string };
    const incidentId = await incidentOf('generic', `checkout-${run}`);
    const replay = await post(body, sig);
    assert.equal(((await replay.json()) as { result: string }).result, 'duplicate');
    // The same signed request with its header written differently is still the same delivery.
    const [t, v1] = sig.split(',');
    for (const variant of [`${sig},v1=${'0'.repeat(64)}`, `${t},${v1!.toUpperCase().replace('V1=', 'v1=')}`, ` ${t} , ${v1} `]) {
      const again = (await (await post(body, variant)).json()) as { result: string; correlationId: string };
      assert.deepEqual([again.result, again.correlationId], ['duplicate', correlationId], variant);
    }
    const s = await eventually(() => state(incidentId), 10_000, 'the incident');
    assert.equal(s.severity, 'sev2');
    const resolved = JSON.stringify({ key: `checkout-${run}`, status: 'resolved', labels: { component: 'website' } });
    assert.equal((await post(resolved, signGeneric(GENERIC_SECRET, resolved))).status, 202);
    await eventually(async () => ((await state(incidentId)).status === 'monitoring' ? true : undefined), 10_000, 'monitoring');
  });

  test('grafana: the X-Grafana-Alerting-Signature HMAC is required when a secret is set', async () => {
    const payload = JSON.stringify({
      receiver: 'herald',
      status: 'firing',
      orgId: 1,
      version: '1',
      groupKey: `{}:{alertname="HighLatency",run="${run}"}`,
      truncatedAlerts: 0,
      state: 'alerting',
      title: '[FIRING:1] HighLatency',
      message: 'x',
      groupLabels: { alertname: 'HighLatency' },
      commonLabels: { alertname: 'HighLatency', component: 'api' },
      commonAnnotations: {},
      externalURL: 'http://grafana.local/',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'HighLatency', component: 'api' },
          annotations: { summary: 'p99 2.3s' },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://grafana.local/alerting/1',
          fingerprint: `fp-${run}`,
          values: { A: 2.3 },
        },
      ],
    });
    const post = (sig?: string) =>
      fetch(`${h.base}/v1/webhooks/grafana`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(sig ? { 'x-grafana-alerting-signature': sig } : {}) },
        body: payload,
      });
    assert.equal((await post()).status, 401);
    assert.equal((await post('00'.repeat(32))).status, 401);
    const res = await post(createHmac('sha256', GRAFANA_SECRET).update(payload).digest('hex'));
    assert.equal(res.status, 202, await res.clone().text());
    const incidentId = await incidentOf('grafana', `fp-${run}`);
    const s = await eventually(() => state(incidentId), 10_000, 'the incident');
    assert.equal(s.scenario, 'degradation');
    assert.deepEqual(s.components, ['api']);
  });

  test('alertmanager: a bad token is 401, a payload that does not route is 422 (not retried), both start nothing', async () => {
    const before = await countIncidents();
    const body = {
      version: '4',
      groupKey: `{}:{x="${run}"}`,
      status: 'firing',
      receiver: 'herald',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://am',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'Mystery' },
          annotations: {},
          startsAt: new Date().toISOString(),
          fingerprint: 'f1',
        },
      ],
    };
    assert.equal((await h.call('POST', '/v1/webhooks/alertmanager', body, TOKENS.operator)).status, 403);
    assert.equal((await h.call('POST', '/v1/webhooks/alertmanager', body, 'wrong-token-000000000000')).status, 401);
    const unroutable = await h.call('POST', '/v1/webhooks/alertmanager', body, TOKENS.webhook);
    assert.equal(unroutable.status, 422);
    assert.match(((await unroutable.json()) as { detail: string }).detail, /no "component" label/);
    assert.equal((await h.call('POST', '/v1/webhooks/alertmanager', { ...body, version: '3' }, TOKENS.webhook)).status, 400);
    assert.equal(await countIncidents(), before);
    const metrics = await (await h.call('GET', '/metrics', undefined, null)).text();
    assert.match(metrics, /herald_webhooks_total\{source="alertmanager",result="invalid"\} [1-9]/);
    assert.match(metrics, /herald_webhooks_total\{source="alertmanager",result="unroutable"\} [1-9]/);
    assert.match(metrics, /herald_webhooks_total\{source="sns",result="bad-signature"\} [1-9]/);
  });
});

describe('big Alertmanager groups still open their incident', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi();
  });
  after(async () => {
    await h.stop();
  });

  test('a long runbook annotation and 1000 alerts (one on another component) are accepted, routed and bounded', async () => {
    const run = Math.random().toString(36).slice(2, 8);
    const alerts = Array.from({ length: 1000 }, (_, i) => ({
      status: 'firing',
      labels: { alertname: 'ApiErrors', component: i === 999 ? 'website' : 'api', instance: `i-${i}` },
      annotations: { runbook: 'r'.repeat(i === 0 ? 20_000 : 10) },
      startsAt: new Date().toISOString(),
      fingerprint: `${run}-${i}`,
    }));
    const res = await h.call(
      'POST',
      '/v1/webhooks/alertmanager',
      {
        version: '4',
        groupKey: `{}:{big="${run}"}`,
        status: 'firing',
        receiver: 'herald',
        groupLabels: {},
        commonLabels: { alertname: 'ApiErrors' },
        commonAnnotations: {},
        alerts,
      },
      TOKENS.webhook,
    );
    assert.equal(res.status, 202, await res.clone().text());
    const incidentId = await eventually(
      async () => (await incidentForAlert(h.t.client, h.plan.page.id, 'alertmanager', `${run}-0`)) ?? undefined,
      15_000,
      'the incident the group opened',
    );
    const s = await eventually(
      async () => {
        const st = await h.t.client.workflow.getHandle(incidentId).query(incidentStateQuery);
        return st.monitoring.alerts.length >= 20 ? st : undefined;
      },
      15_000,
      'the alerts to be signalled',
    );
    assert.deepEqual(s.components.sort(), ['api', 'website']);
    assert.equal(s.monitoring.alerts.length, 20, 'at most 20 alerts kept per incident');
  });
});

describe('webhooks while Temporal is unreachable', () => {
  test('answer 503 with Retry-After (Alertmanager retries 5xx), as problem+json', async () => {
    const dead = await freePort();
    const client = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${dead}` }) });
    const app = createApp({
      client,
      plan: examplePlan(),
      taskQueue: 'nowhere',
      tokens: [{ token: TOKENS.webhook, role: 'webhook', name: 'am' }],
      log: createLogger('test', 'silent'),
      publicUrl: 'http://localhost:8080',
      api: { temporalTimeoutMs: 1500 },
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const body = {
        version: '4',
        groupKey: '{}:{a="b"}',
        status: 'firing',
        receiver: 'herald',
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        alerts: [{ status: 'firing', labels: { alertname: 'Down', component: 'api' }, annotations: {} }],
      };
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.webhook}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 503, await res.clone().text());
      assert.match(res.headers.get('content-type')!, /problem\+json/);
      assert.ok(Number(res.headers.get('retry-after')) > 0);
      assert.ok(Date.now() - started < 1500 + 500, `answered within the 1.5 s deadline (${Date.now() - started} ms)`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      // The answer leaves at the deadline; the client's retry timers of the abandoned calls run out after it.
      await new Promise((r) => setTimeout(r, 3000));
      await client.connection.close().catch(() => undefined);
    }
  });
});
