import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { z } from 'zod';
import { readdirSync } from 'node:fs';
import { DrillRequest } from '../../core/drill';
import { confirmationToken, SubscriptionRequest } from '../../core/subscriptions';
import { ensureSecret } from '../../core/store/unsubscribe';
import {
  ApproveIncidentMessage,
  ChangeIncidentImpact,
  DeclareIncident,
  PostIncidentUpdate,
  ResolveIncident,
} from '../../core/incident';
import {
  FinishMaintenanceBody,
  MaintenanceNoteBody,
  RescheduleMaintenanceBody,
  ScheduleMaintenance,
} from '../../core/maintenance';
import { incidentStateQuery } from '../../workflows/contracts/incident';
import { maintenanceStateQuery } from '../../workflows/contracts/maintenance';
import { inAnHour, startApi, TOKENS, type ApiHarness } from './api.harness';

// Property-based tests on every route: malformed JSON, wrong types, huge and deeply nested bodies,
// control characters, missing or wrong tokens. Never a 5xx, always problem+json, and nothing is
// started or changed (workflows on this API's task queue counted, states compared, before/after).

const RUNS = Number(process.env.HERALD_FUZZ_RUNS ?? 40);

describe('hostile input on every route', () => {
  let h: ApiHarness;
  let incidentId: string;
  let maintenanceId: string;
  let snapshot: () => Promise<string>;

  before(async () => {
    h = await startApi({
      api: { genericWebhookSecret: 'generic-secret-0123456789', snsTopics: ['arn:aws:sns:us-east-1:123456789012:t'] },
    });
    const i = await h.call('POST', '/v1/incidents', {
      title: 'Fuzz target',
      scenario: 'degradation',
      components: ['api'],
      message: 'Some API requests are slow.',
    });
    incidentId = ((await i.json()) as { id: string }).id;
    const m = await h.call('POST', '/v1/maintenances', {
      title: 'Fuzz window',
      scenario: 'maintenance',
      components: ['api'],
      scheduledFor: inAnHour(200),
      scheduledUntil: inAnHour(201),
      message: 'The API will be read-only.',
    });
    maintenanceId = ((await m.json()) as { id: string }).id;
    // Incidents and maintenances on this API's task queue (their notify rounds and the page are not counted).
    const count = async () =>
      Number(
        (
          await h.t.client.workflow.count(
            `TaskQueue = '${h.config.temporal.taskQueue}' AND HeraldKind IN ('incident', 'maintenance', 'drill')`,
          )
        ).count,
      );
    for (let i = 0; i < 100 && (await count()) < 2; i++) await new Promise((r) => setTimeout(r, 100));
    snapshot = async () => {
      const inc = await h.t.client.workflow.getHandle(incidentId).query(incidentStateQuery);
      const mnt = await h.t.client.workflow.getHandle(maintenanceId).query(maintenanceStateQuery);
      // Subscription confirmations written to the outbox (a 202 would send one; none may).
      const confirmations = (() => {
        try {
          return readdirSync(h.config.delivery.outboxDir).filter((f) => f.startsWith('subscribe-')).length;
        } catch {
          return 0;
        }
      })();
      return JSON.stringify({
        workflows: await count(),
        confirmations,
        incident: [inc.status, inc.seq, inc.timeline.length, inc.components, inc.severity],
        maintenance: [mnt.status, mnt.seq, mnt.scheduledFor, mnt.scheduledUntil],
      });
    };
  });
  after(async () => {
    await h.stop();
  });

  const routes = (): { path: string; schema?: z.ZodType; valid: unknown; public?: true }[] => [
    {
      path: '/v1/incidents',
      schema: DeclareIncident,
      valid: { title: 'Payments down', scenario: 'outage', components: ['payments'], message: 'Card payments fail.' },
    },
    {
      path: `/v1/incidents/${incidentId}/updates`,
      schema: PostIncidentUpdate,
      valid: { status: 'identified', message: 'Found it.' },
    },
    { path: `/v1/incidents/${incidentId}/approve`, schema: ApproveIncidentMessage, valid: { seq: 1 } },
    { path: `/v1/incidents/${incidentId}/impact`, schema: ChangeIncidentImpact, valid: { severity: 'sev1' } },
    { path: `/v1/incidents/${incidentId}/resolve`, schema: ResolveIncident, valid: { message: 'Fixed.' } },
    {
      path: '/v1/maintenances',
      schema: ScheduleMaintenance,
      valid: {
        title: 'Upgrade',
        scenario: 'maintenance',
        components: ['api'],
        scheduledFor: inAnHour(300),
        scheduledUntil: inAnHour(301),
        message: 'Read-only.',
      },
    },
    {
      path: `/v1/maintenances/${maintenanceId}/reschedule`,
      schema: RescheduleMaintenanceBody,
      valid: { scheduledFor: inAnHour(400), scheduledUntil: inAnHour(401) },
    },
    { path: `/v1/maintenances/${maintenanceId}/updates`, schema: MaintenanceNoteBody, valid: { message: 'On track.' } },
    { path: `/v1/maintenances/${maintenanceId}/cancel`, schema: FinishMaintenanceBody, valid: { message: 'Not needed.' } },
    { path: `/v1/maintenances/${maintenanceId}/complete`, schema: FinishMaintenanceBody, valid: {} },
    { path: '/v1/drills', schema: DrillRequest, valid: { scenario: 'outage' } },
    { path: '/v1/webhooks/alertmanager', valid: null },
    { path: '/v1/webhooks/grafana', valid: null },
    { path: '/v1/webhooks/generic', valid: null },
    { path: '/v1/webhooks/sns', valid: null },
    { path: '/v1/subscriptions', schema: SubscriptionRequest, valid: { email: 'fuzz@example.com' }, public: true },
  ];
  const tokenFor = (path: string) => (path.startsWith('/v1/webhooks/') ? TOKENS.webhook : TOKENS.operator);

  const expectProblem = async (res: Response, what: string, allowed: (s: number) => boolean = (s) => s >= 400 && s < 500) => {
    const text = await res.text();
    assert.ok(res.status < 500, `${what}: ${res.status} ${text.slice(0, 300)}`);
    assert.ok(allowed(res.status), `${what}: unexpected ${res.status} ${text.slice(0, 300)}`);
    if (res.status >= 400) {
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, what);
      const p = JSON.parse(text) as { status: number; title: string; type: string };
      assert.equal(p.status, res.status, what);
      assert.equal(typeof p.title, 'string');
      assert.equal(typeof p.type, 'string');
    }
  };

  const post = (path: string, body: string | Buffer, token: string | null, contentType = 'application/json') =>
    fetch(`${h.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });

  /** JSON values a route's schema refuses (a valid one would be a legitimate write). */
  const invalidFor = (schema: z.ZodType | undefined) => (v: unknown) => !schema || !schema.safeParse(v).success;

  test('malformed JSON, random JSON values and control characters are refused with 4xx problems', async () => {
    const before = await snapshot();
    const control = fc.string({
      unit: fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', 'a', '"', '\\', '{', '\u2028', '\ud800'),
      maxLength: 40,
    });
    const bodies = fc.oneof(
      fc.string({ maxLength: 200 }).map((s) => ({ raw: s })),
      control.map((s) => ({ raw: `{"title":"${s}"}` })),
      fc.jsonValue({ maxDepth: 4 }).map((v) => ({ json: v })),
      fc
        .record({ title: control, scenario: control, components: fc.array(control, { maxLength: 3 }), message: control })
        .map((v) => ({ json: v as unknown })),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes()), bodies, async (route, b) => {
        if ('json' in b) fc.pre(invalidFor(route.schema)(b.json));
        // An empty body means "no fields", which is a valid cancel or complete.
        else fc.pre(b.raw.trim() !== '' || invalidFor(route.schema)({}));
        const body = 'raw' in b ? b.raw : JSON.stringify(b.json);
        await expectProblem(await post(route.path, body, tokenFor(route.path)), `${route.path} ${body.slice(0, 80)}`);
      }),
      { numRuns: RUNS * 4 },
    );
    assert.equal(await snapshot(), before, 'nothing started or changed');
  });

  test('wrong types in otherwise valid bodies are 400 with the field named', async () => {
    const before = await snapshot();
    const wrong = fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 2 }),
      fc.object({ maxDepth: 1 }),
      fc.double(),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes().filter((r) => r.schema)), wrong, fc.nat(), async (route, value, n) => {
        const valid = route.valid as Record<string, unknown>;
        const keys = Object.keys(valid).length > 0 ? Object.keys(valid) : ['message'];
        const key = keys[n % keys.length]!;
        const body = { ...valid, [key]: value };
        fc.pre(invalidFor(route.schema)(body));
        const res = await post(route.path, JSON.stringify(body), TOKENS.operator);
        assert.equal(res.status, 400, `${route.path} ${JSON.stringify(body)}`);
        const p = (await res.json()) as { errors: { path: string }[] };
        assert.ok(
          p.errors.some((e) => e.path === key || e.path.startsWith(`${key}.`)),
          `${key} named in ${JSON.stringify(p.errors)}`,
        );
      }),
      { numRuns: RUNS * 2 },
    );
    assert.equal(await snapshot(), before);
  });

  test('missing, wrong and under-privileged tokens are 401/403 even with valid bodies', async () => {
    const before = await snapshot();
    const tokens = fc.oneof(
      fc.constant(null),
      fc.constant(TOKENS.viewer),
      fc.string({ unit: fc.constantFrom(...'abcdefXYZ0123456789-_.~+/='.split('')), minLength: 0, maxLength: 64 }),
      fc.constant(`${TOKENS.operator}x`),
      fc.constant(TOKENS.operator.slice(0, -1)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes().filter((r) => (r.schema || r.path.endsWith('alertmanager')) && !r.public)),
        tokens,
        async (route, token) => {
          const body = route.valid ?? {
            version: '4',
            groupKey: 'g',
            status: 'firing',
            receiver: 'r',
            alerts: [{ status: 'firing', labels: { alertname: 'A', component: 'api' } }],
          };
          const res = await post(route.path, JSON.stringify(body), token === null ? null : token);
          await expectProblem(res, `${route.path} with ${token}`, (s) => s === 401 || s === 403);
        },
      ),
      { numRuns: RUNS * 2 },
    );
    // Odd Authorization headers, too.
    for (const header of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer  ',
      `bearer ${TOKENS.viewer} extra`,
      'Token abc',
      `Bearer ${'a'.repeat(5000)}`,
    ]) {
      const res = await fetch(`${h.base}/v1/incidents`, {
        method: 'POST',
        headers: { authorization: header, 'content-type': 'application/json' },
        body: JSON.stringify(routes()[0]!.valid),
      });
      await expectProblem(res, header.slice(0, 30), (s) => s === 401 || s === 403);
    }
    assert.equal(await snapshot(), before);
  });

  test('huge bodies are 413 and deeply nested ones 400, on operator and webhook routes', async () => {
    const before = await snapshot();
    for (const route of routes()) {
      const huge = JSON.stringify({ message: 'x'.repeat(route.path.includes('webhooks') ? 300_000 : 70_000) });
      await expectProblem(
        await post(route.path, huge, tokenFor(route.path)),
        `${route.path} huge`,
        (s) => s === 413 || (route.path.endsWith('generic') && s === 404) || s === 401,
      );
      for (const depth of [1000, 20_000]) {
        const nested = `{"message":${'['.repeat(depth)}${']'.repeat(depth)}}`;
        await expectProblem(await post(route.path, nested, tokenFor(route.path)), `${route.path} nested ${depth}`);
        const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
        await expectProblem(await post(route.path, objects, tokenFor(route.path)), `${route.path} nested objects ${depth}`);
      }
    }
    // A declared length that lies, and a body that is not JSON at all.
    await expectProblem(await post('/v1/incidents', Buffer.from([0xff, 0xfe, 0x00, 0x01]), TOKENS.operator), 'binary');
    await expectProblem(
      await post('/v1/incidents', '{"title":"x"}', TOKENS.operator, 'text/plain'),
      'text/plain',
      (s) => s === 415,
    );
    await expectProblem(
      await post('/v1/incidents', '{}', TOKENS.operator, 'application/json; charset=utf-16'),
      'utf-16',
      (s) => s === 415 || s === 400,
    );
    assert.equal(await snapshot(), before);
  });

  test('subscription confirmations: any token, in the query, a form or JSON, is refused without a 5xx and changes nothing', async () => {
    const before = await snapshot();
    const secret = ensureSecret(h.config);
    const now = Math.floor(Date.now() / 1000);
    const expired = confirmationToken(secret, {
      channel: 'email',
      address: 'fuzz@example.com',
      components: '*',
      locale: 'en',
      issuedAt: now - 7200,
      expiresAt: now - 1,
    });
    const token = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.constant(expired),
      fc
        .tuple(fc.base64String({ maxLength: 120 }), fc.base64String({ minLength: 32, maxLength: 32 }))
        .map(([p, s]) => `${p.replace(/=/g, '')}.${s.replace(/[+/=]/g, '_')}`),
      fc
        .nat({ max: expired.length - 1 })
        .map((i) => `${expired.slice(0, i)}${expired[i] === 'A' ? 'B' : 'A'}${expired.slice(i + 1)}`),
    );
    await fc.assert(
      fc.asyncProperty(token, fc.constantFrom('query', 'form', 'json', 'get'), async (t, how) => {
        const url = `${h.base}/v1/subscriptions/confirm${how === 'query' || how === 'get' ? `?t=${encodeURIComponent(t)}` : ''}`;
        const res =
          how === 'get'
            ? await fetch(url)
            : await fetch(url, {
                method: 'POST',
                headers: { 'content-type': how === 'form' ? 'application/x-www-form-urlencoded' : 'application/json' },
                body: how === 'form' ? new URLSearchParams({ t }).toString() : how === 'json' ? JSON.stringify({ t }) : undefined,
              });
        const text = await res.text();
        assert.ok(res.status === 400 || res.status === 410, `${how} ${t.slice(0, 60)}: ${res.status} ${text.slice(0, 200)}`);
      }),
      { numRuns: RUNS * 2 },
    );
    assert.equal(await snapshot(), before);
  });

  test('GET routes take any query string and path without a 5xx', async () => {
    const before = await snapshot();
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom("investigating' OR 1=1 --", 'true', 'false', 'payments', '', '%00', 'é'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/v1/incidents',
          '/v1/maintenances',
          '/v1/preview',
          '/v1/plan',
          '/v1/incidents/',
          '/v1/maintenances/',
          '/v1/drills/',
          '/v1/outbox',
          '/v1/outbox/',
          '/metrics',
          '/openapi.json',
        ),
        fc.array(
          fc.tuple(fc.constantFrom('status', 'component', 'drill', 'scenario', 'phase', 'channel', 'locale', 'kind', 'x'), value),
          { maxLength: 4 },
        ),
        fc.string({ maxLength: 40 }),
        async (path, params, suffix) => {
          const qs = new URLSearchParams(params).toString();
          const url = `${h.base}${path}${path.endsWith('/') ? encodeURIComponent(suffix) : ''}${qs ? `?${qs}` : ''}`;
          const res = await fetch(url, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
          await expectProblem(res, url, (s) => s === 200 || (s >= 400 && s < 500));
        },
      ),
      { numRuns: RUNS * 2 },
    );
    assert.equal(await snapshot(), before);
  });
});
