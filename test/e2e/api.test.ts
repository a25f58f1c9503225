import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { createLogger } from '../../core/logger';
import { HeraldComponents, HeraldDrill, HeraldKind, HeraldSeverity, HeraldStatus } from '../../core/searchAttributes';
import { createHeraldWorker } from '../../worker/createWorker';
import { examplePlan, testConfig } from '../support/config';
import { eventually, testTemporal, type TestTemporal } from '../support/temporal';

const OPERATOR = 'test-operator-token-0123456789';
const WEBHOOK = 'test-webhook-token-0123456789';

describe('operator API on a real dev server', () => {
  let t: TestTemporal;
  let worker: Worker;
  let running: Promise<void>;
  let server: Server;
  let base: string;
  const plan = examplePlan();

  before(async () => {
    t = await testTemporal();
    const config = testConfig(t.address);
    ({ worker } = await createHeraldWorker({ config, plan, workflowBundle: t.workflowBundle, connection: t.nativeConnection }));
    running = worker.run();
    const app = createApp({
      client: t.client,
      plan,
      taskQueue: config.temporal.taskQueue,
      tokens: [
        { token: OPERATOR, role: 'operator', name: 'alice' },
        { token: WEBHOOK, role: 'webhook', name: 'webhook' },
      ],
      log: createLogger('test', 'silent'),
      publicUrl: 'http://localhost:8080',
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((r) => server.close(r));
    worker.shutdown();
    await running;
    await t.teardown();
  });

  const call = (method: string, path: string, body?: unknown, token: string | null = OPERATOR) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });

  const declaration = {
    title: 'Card payments failing',
    scenario: 'outage',
    severity: 'sev1',
    components: ['payments'],
    message: 'Card payments are failing for some customers.',
  };

  test('healthz is 200 while Temporal is reachable', async () => {
    const res = await call('GET', '/healthz', undefined, null);
    assert.equal(res.status, 200);
  });

  test('POST /v1/incidents starts an incident workflow with its search attributes', async () => {
    const res = await call('POST', '/v1/incidents', declaration);
    assert.equal(res.status, 201);
    const { id } = (await res.json()) as { id: string };
    assert.match(id, /^incident-card-payments-failing-[0-9a-f]{8}$/);
    assert.equal(res.headers.get('location'), `/v1/incidents/${id}`);

    const described = await t.client.workflow.getHandle(id).describe();
    assert.equal(described.type, 'incident');
    assert.equal(described.typedSearchAttributes.get(HeraldKind), 'incident');
    assert.equal(described.typedSearchAttributes.get(HeraldSeverity), 'sev1');
    assert.equal(described.typedSearchAttributes.get(HeraldStatus), 'investigating');
    assert.deepEqual(described.typedSearchAttributes.get(HeraldComponents), ['payments']);
    assert.equal(described.typedSearchAttributes.get(HeraldDrill), false);

    const state = (await (await call('GET', `/v1/incidents/${id}`)).json()) as {
      title: string;
      status: string;
      timeline: { by: string }[];
    };
    assert.equal(state.title, 'Card payments failing');
    assert.equal(state.status, 'investigating');
    assert.equal(state.timeline[0]!.by, 'alice');

    const listed = await eventually(
      async () => {
        const list = (await (await call('GET', '/v1/incidents?component=payments')).json()) as {
          incidents: { id: string; title: string }[];
        };
        return list.incidents.find((i) => i.id === id);
      },
      15_000,
      'the incident to be listed',
    );
    assert.equal(listed.title, 'Card payments failing');
  });

  test('a viewer cannot declare and no token is 401, both as problem+json', async () => {
    const res = await call('POST', '/v1/incidents', declaration, null);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    const wrong = await call('POST', '/v1/incidents', declaration, 'not-a-valid-token-at-all');
    assert.equal(wrong.status, 401);
    const webhook = await call('POST', '/v1/incidents', declaration, WEBHOOK);
    assert.equal(webhook.status, 403);
  });

  test('bad input is refused with field errors and starts nothing', async () => {
    const before = await t.client.workflow.count("HeraldKind = 'incident'");
    const cases: [unknown, number, string][] = [
      [{ ...declaration, components: ['billing-db'] }, 422, 'components.0'],
      [{ ...declaration, scenario: 'maintenance' }, 422, 'scenario'],
      [{ ...declaration, extra: 1 }, 400, '(body)'],
      [{ ...declaration, title: 42 }, 400, 'title'],
      [{ ...declaration, eta: '2001-01-01T00:00:00Z' }, 422, 'eta'],
      ['{"title": ', 400, ''],
    ];
    for (const [body, status, path] of cases) {
      const res = await call('POST', '/v1/incidents', body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      const problem = (await res.json()) as { status: number; title: string; errors?: { path: string }[] };
      assert.equal(problem.status, status);
      if (path)
        assert.ok(
          problem.errors?.some((e) => e.path === path),
          `${JSON.stringify(problem)} names ${path}`,
        );
    }
    const afterCount = await t.client.workflow.count("HeraldKind = 'incident'");
    assert.equal(afterCount.count, before.count);
  });

  test('an unknown incident is 404', async () => {
    const res = await call('GET', '/v1/incidents/incident-does-not-exist');
    assert.equal(res.status, 404);
  });
});
