import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../support/temporal';
import { inAnHour, startApi, TOKENS, type ApiHarness } from './api.harness';

// The operator API end to end: every write goes through the workflow's update (and its validator),
// is recorded with the token's name, and every refusal is a problem document saying what to change.

describe('operator API: incidents and maintenances on a real dev server', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi();
  });
  after(async () => {
    await h.stop();
  });

  const problem = async (res: Response, status: number) => {
    assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${await res.clone().text()}`);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    return (await res.json()) as { status: number; title: string; detail?: string; errors?: { path: string; message: string }[] };
  };
  const declare = async (body: Record<string, unknown> = {}) => {
    const res = await h.call('POST', '/v1/incidents', {
      title: 'Card payments failing',
      scenario: 'outage',
      severity: 'sev1',
      components: ['payments'],
      message: 'Card payments are failing for some customers.',
      ...body,
    });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  };
  const state = async (id: string) =>
    (await (await h.call('GET', `/v1/incidents/${id}`, undefined, TOKENS.viewer)).json()) as {
      status: string;
      severity: string;
      components: string[];
      impact: string;
      timeline: { kind: string; by: string; status: string; message: string | null }[];
      approvals: { seq: number; decision: string; by: string | null }[];
    };

  test('an incident is driven through update, approval, impact and resolve; each write is in the timeline under the token name', async () => {
    const id = await declare();
    // The initial notice to customers waits for approval in the outage scenario.
    const approved = await h.call('POST', `/v1/incidents/${id}/approve`, {});
    assert.equal(approved.status, 200, await approved.clone().text());
    assert.deepEqual(((await approved.json()) as { approved: number[] }).approved, [1]);
    const again = await problem(await h.call('POST', `/v1/incidents/${id}/approve`, {}), 409);
    assert.match(again.detail!, /nothing is waiting for approval/);

    const upd = await h.call('POST', `/v1/incidents/${id}/updates`, {
      status: 'identified',
      message: 'We found the cause and are fixing it.',
      eta: inAnHour(2),
    });
    assert.equal(upd.status, 200, await upd.clone().text());
    const published = (await upd.json()) as { seq: number; status: string; nextUpdateDue: string; approval: string };
    assert.equal(published.status, 'identified');
    assert.equal(published.approval, 'pending');
    assert.ok(Date.parse(published.nextUpdateDue) > Date.now());

    const impact = await h.call('POST', `/v1/incidents/${id}/impact`, {
      severity: 'sev2',
      components: ['payments', 'invoicing'],
    });
    assert.equal(impact.status, 200, await impact.clone().text());

    const back = await problem(
      await h.call('POST', `/v1/incidents/${id}/updates`, { status: 'investigating', message: 'Back to square one.' }),
      409,
    );
    assert.match(back.detail!, /cannot go back from identified to investigating/);
    assert.deepEqual(back.errors, [{ path: 'status', message: 'cannot go back from identified to investigating' }]);

    const resolved = await h.call('POST', `/v1/incidents/${id}/resolve`, { message: 'Card payments work normally again.' });
    assert.equal(resolved.status, 200, await resolved.clone().text());
    assert.equal(((await resolved.json()) as { status: string }).status, 'resolved');

    const twice = await h.call('POST', `/v1/incidents/${id}/resolve`, { message: 'Resolved again.' });
    const p = await problem(twice, 409);
    assert.match(p.detail!, /already resolved|closed/);
    await problem(await h.call('POST', `/v1/incidents/${id}/updates`, { status: 'monitoring', message: 'Still watching.' }), 409);

    const s = await state(id);
    assert.equal(s.status, 'resolved');
    assert.equal(s.severity, 'sev2');
    assert.deepEqual(s.components, ['payments', 'invoicing']);
    const kinds = s.timeline.map((e) => `${e.kind}:${e.by}`);
    for (const k of ['declared:alice', 'approval:alice', 'update:alice', 'impact:alice', 'resolved:alice'])
      assert.ok(kinds.includes(k), `${k} in ${kinds.join(', ')}`);
    assert.equal(s.approvals.find((a) => a.seq === 1)?.by, 'alice');
  });

  test('who writes comes from the token, never the body; viewers read but cannot write', async () => {
    const id = await declare({ title: 'Invoices slow to download', components: ['invoicing'], severity: 'sev3' });
    const spoof = await problem(
      await h.call('POST', `/v1/incidents/${id}/updates`, { status: 'identified', message: 'Fixing it.', by: 'mallory' }),
      400,
    );
    assert.ok(
      spoof.errors?.some((e) => e.path === '(body)' && /unknown field: by/.test(e.message)),
      JSON.stringify(spoof),
    );
    await problem(
      await h.call('POST', `/v1/incidents/${id}/updates`, { status: 'identified', message: 'Fixing it.' }, TOKENS.viewer),
      403,
    );
    await problem(await h.call('POST', `/v1/incidents/${id}/resolve`, { message: 'done' }, TOKENS.webhook), 403);
    const ok = await h.call('POST', `/v1/incidents/${id}/updates`, { status: 'identified', message: 'Fixing it.' }, TOKENS.admin);
    assert.equal(ok.status, 200);
    const s = await state(id);
    assert.equal(s.timeline.at(-1)!.by, 'ada');
    assert.ok(!s.timeline.some((e) => e.by === 'mallory'));
  });

  test('internal detail in customer words is refused with what to remove (422), and nothing is published', async () => {
    const id = await declare({ title: 'Website down', components: ['website'], severity: 'sev2' });
    const before = (await state(id)).timeline.length;
    const p = await problem(
      await h.call('POST', `/v1/incidents/${id}/updates`, {
        status: 'identified',
        message: 'db01.acme.internal at 10.0.3.7 crashed, see INC-4521',
      }),
      422,
    );
    assert.equal(p.errors?.[0]?.path, 'message');
    assert.match(p.detail!, /10\.0\.3\.7/);
    assert.match(p.detail!, /INC-4521/);
    await problem(
      await h.call('POST', '/v1/incidents', {
        title: 'kestrel is down',
        scenario: 'outage',
        components: ['api'],
        message: 'Project kestrel failed.',
      }),
      422,
    );
    await problem(await h.call('POST', `/v1/incidents/${id}/impact`, { components: ['billing-db'] }), 422);
    await problem(await h.call('POST', `/v1/incidents/${id}/impact`, {}), 400);
    await problem(
      await h.call('POST', `/v1/incidents/${id}/updates`, { status: 'identified', message: 'ok', eta: '2001-01-01T00:00:00Z' }),
      422,
    );
    assert.equal((await state(id)).timeline.length, before);
    const metrics = await (await h.call('GET', '/metrics', undefined, null)).text();
    assert.match(metrics, /herald_guard_refusals_total\{route="updates"\} [1-9]/);
  });

  test('unknown incidents are 404 for reads and writes', async () => {
    await problem(await h.call('GET', '/v1/incidents/incident-nope-00000000'), 404);
    await problem(await h.call('POST', '/v1/incidents/incident-nope-00000000/resolve', { message: 'done' }), 404);
    await problem(await h.call('POST', '/v1/incidents/not-an-incident/resolve', { message: 'done' }), 404);
  });

  test('a maintenance window is scheduled, listed, updated, rescheduled and cancelled; finished windows refuse changes (409)', async () => {
    const res = await h.call('POST', '/v1/maintenances', {
      title: 'Database upgrade',
      scenario: 'maintenance',
      components: ['payments'],
      scheduledFor: inAnHour(100),
      scheduledUntil: inAnHour(102),
      message: 'Payments will be unavailable for up to two hours.',
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    assert.match(id, /^maintenance-database-upgrade-[0-9a-f]{8}$/);
    assert.equal(res.headers.get('location'), `/v1/maintenances/${id}`);

    const listed = await eventually(
      async () => {
        const l = (await (
          await h.call('GET', '/v1/maintenances?status=scheduled&component=payments', undefined, TOKENS.viewer)
        ).json()) as { maintenances: { id: string; status: string }[] };
        return l.maintenances.find((m) => m.id === id);
      },
      15_000,
      'the maintenance to be listed',
    );
    assert.equal(listed.status, 'scheduled');

    // An update racing the workflow's first task is applied before the announcement (reported to the
    // workflow's owner); wait for the announcement as a person would.
    await eventually(
      async () => {
        const m = (await (await h.call('GET', `/v1/maintenances/${id}`, undefined, TOKENS.viewer)).json()) as {
          timeline: unknown[];
        };
        return m.timeline.length > 0 ? true : undefined;
      },
      10_000,
      'the announcement',
    );
    assert.equal((await h.call('POST', `/v1/maintenances/${id}/updates`, { message: 'Preparations are on track.' })).status, 200);
    const bad = await problem(
      await h.call('POST', `/v1/maintenances/${id}/reschedule`, { scheduledFor: inAnHour(5), scheduledUntil: inAnHour(4) }),
      400,
    );
    assert.ok(bad.errors?.some((e) => e.path === 'scheduledUntil'));
    const moved = await h.call('POST', `/v1/maintenances/${id}/reschedule`, {
      scheduledFor: inAnHour(120),
      scheduledUntil: inAnHour(121),
      message: 'We moved the window by a day.',
    });
    assert.equal(moved.status, 200, await moved.clone().text());
    const notStarted = await problem(await h.call('POST', `/v1/maintenances/${id}/complete`, {}), 409);
    assert.match(notStarted.detail!, /cannot complete/);
    const cancelled = await h.call('POST', `/v1/maintenances/${id}/cancel`, { message: 'The upgrade is no longer needed.' });
    assert.equal(cancelled.status, 200, await cancelled.clone().text());
    assert.equal(((await cancelled.json()) as { status: string }).status, 'cancelled');
    await problem(await h.call('POST', `/v1/maintenances/${id}/cancel`, {}), 409);

    const s = (await (await h.call('GET', `/v1/maintenances/${id}`, undefined, TOKENS.viewer)).json()) as {
      status: string;
      timeline: { phase: string; by: string }[];
    };
    assert.equal(s.status, 'cancelled');
    assert.deepEqual(
      s.timeline.map((e) => `${e.phase}:${e.by}`),
      ['announce:alice', 'update:alice', 'reschedule:alice', 'cancel:alice'],
    );

    await problem(
      await h.call('POST', '/v1/maintenances', {
        title: 'Bad',
        scenario: 'outage',
        components: ['payments'],
        scheduledFor: inAnHour(1),
        scheduledUntil: inAnHour(2),
        message: 'x',
      }),
      422,
    );
    await problem(
      await h.call('POST', '/v1/maintenances', {
        title: 'Past',
        scenario: 'maintenance',
        components: ['payments'],
        scheduledFor: '2020-01-01T00:00:00Z',
        scheduledUntil: '2020-01-01T01:00:00Z',
        message: 'x',
      }),
      422,
    );
  });

  test('GET /v1/plan shows the plan; sandbox recipients only to admins', async () => {
    const viewer = (await (await h.call('GET', '/v1/plan', undefined, TOKENS.viewer)).json()) as {
      page: { id: string };
      audiences: { id: string; recipients: unknown }[];
    };
    assert.match(viewer.page.id, /^acme-status/);
    assert.equal(viewer.audiences.find((a) => a.id === 'drill')!.recipients, 3);
    const admin = (await (await h.call('GET', '/v1/plan', undefined, TOKENS.admin)).json()) as {
      audiences: { id: string; recipients: unknown[] }[];
    };
    assert.equal(admin.audiences.find((a) => a.id === 'drill')!.recipients.length, 3);
    await problem(await h.call('GET', '/v1/plan', undefined, null), 401);
  });

  test('GET /v1/preview renders any scenario, phase, channel, locale and kind with sample data', async () => {
    const en = (await (
      await h.call(
        'GET',
        '/v1/preview?scenario=outage&phase=initial&channel=sms&locale=en&kind=external',
        undefined,
        TOKENS.viewer,
      )
    ).json()) as { subject: string; short: string; guard: string | null };
    assert.ok(en.subject.length > 0 && en.short.length > 0);
    assert.equal(en.guard, null);
    const zh = (await (
      await h.call('GET', '/v1/preview?scenario=maintenance&phase=reminder&channel=email&locale=zh-TW', undefined, TOKENS.viewer)
    ).json()) as { text: string };
    assert.match(zh.text, /[\u4e00-\u9fff]/);
    await problem(await h.call('GET', '/v1/preview?scenario=outage&phase=reminder', undefined, TOKENS.viewer), 422);
    await problem(await h.call('GET', '/v1/preview?scenario=outage&colour=red', undefined, TOKENS.viewer), 400);
  });

  test('GET /openapi.json describes every route, and its body schemas refuse unknown fields', async () => {
    const doc = (await (await h.call('GET', '/openapi.json', undefined, null)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { additionalProperties?: unknown; properties?: Record<string, unknown> }> };
    };
    assert.equal(doc.openapi, '3.1.0');
    for (const path of [
      '/v1/incidents',
      '/v1/incidents/{id}/updates',
      '/v1/incidents/{id}/approve',
      '/v1/incidents/{id}/impact',
      '/v1/incidents/{id}/resolve',
      '/v1/maintenances',
      '/v1/maintenances/{id}/reschedule',
      '/v1/maintenances/{id}/cancel',
      '/v1/maintenances/{id}/complete',
      '/v1/plan',
      '/v1/preview',
      '/v1/webhooks/alertmanager',
      '/v1/webhooks/sns',
      '/v1/drills',
      '/v1/drills/{id}',
    ]) {
      assert.ok(doc.paths[path], `${path} is described`);
    }
    const declare = doc.components.schemas.DeclareIncident!;
    assert.equal(declare.additionalProperties, false);
    assert.ok(declare.properties?.title);
    assert.equal(doc.components.schemas.PostIncidentUpdate!.additionalProperties, false);
  });

  test('GET /metrics exposes requests by route and incidents by state from Temporal visibility', async () => {
    await eventually(
      async () => {
        const text = await (await h.call('GET', '/metrics', undefined, null)).text();
        return /herald_incidents\{state="resolved"\} [1-9]/.test(text) &&
          /herald_api_requests_total\{method="POST",route="\/v1\/incidents\/:id\/updates",status="200"\} [1-9]/.test(text)
          ? text
          : undefined;
      },
      20_000,
      'metrics to show the resolved incident and the update requests',
    );
  });
});
