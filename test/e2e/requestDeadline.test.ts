import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { API_DEFAULTS, createApp } from '../../api/app';
import { signGeneric } from '../../api/routes/webhooks/index';
import { createLogger } from '../../core/logger';
import { examplePlan } from '../support/config';
import { freePort } from '../support/ports';

// With Temporal down, every request answers by its deadline — the whole request, not each call it
// makes: a 503 problem with Retry-After within the configured time (plus scheduling slack).

const BUDGET_MS = 1500;
const HEALTH_MS = 2000;
const SLACK_MS = 400;
const OPERATOR = 'deadline-operator-token-0123456789';
const WEBHOOK = 'deadline-webhook-token-0123456789';
const GENERIC_SECRET = 'deadline-generic-secret-0123456789';

describe('with Temporal unreachable, requests answer by their deadline', () => {
  let server: Server;
  let base: string;
  let connection: Connection;

  before(async () => {
    connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const app = createApp({
      client: new Client({ connection }),
      plan: examplePlan(),
      taskQueue: 'deadline-test',
      tokens: [
        { token: OPERATOR, role: 'operator', name: 'olga' },
        { token: WEBHOOK, role: 'webhook', name: 'monitoring' },
      ],
      log: createLogger('deadline-test', 'silent'),
      publicUrl: 'http://localhost:8080',
      secret: 'deadline-secret-0123456789-0123456789',
      api: {
        temporalTimeoutMs: BUDGET_MS,
        genericWebhookSecret: GENERIC_SECRET,
        subscriptions: { ...API_DEFAULTS.subscriptions, rateLimitIp: { perSecond: 10, burst: 100 } },
      },
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    // The client's retry timers of cancelled calls run out on their own within the deadline; close after them.
    await new Promise((r) => setTimeout(r, BUDGET_MS + SLACK_MS));
    await connection.close().catch(() => undefined);
  });

  const json = (token: string, body: unknown) => ({
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const timed = async (path: string, init?: RequestInit) => {
    const started = performance.now();
    const res = await fetch(`${base}${path}`, init);
    const body = await res.text();
    return { res, body, ms: performance.now() - started };
  };

  test('/healthz says Temporal is unreachable within its 2 s', async () => {
    for (let i = 0; i < 2; i++) {
      const { res, ms } = await timed('/healthz');
      assert.equal(res.status, 503);
      assert.ok(ms < HEALTH_MS + SLACK_MS + (i === 0 ? 300 : 0), `answered after ${Math.round(ms)} ms`);
    }
  });

  test('operator, webhook and subscription requests answer 503 with Retry-After by the deadline', async () => {
    const generic = JSON.stringify({ key: 'deadline', status: 'firing', labels: { component: 'api' } });
    const requests: [string, RequestInit | undefined][] = [
      [
        '/v1/incidents',
        json(OPERATOR, { title: 'Payments down', scenario: 'outage', components: ['payments'], message: 'Card payments fail.' }),
      ],
      ['/v1/incidents/incident-payments-down-1234/updates', json(OPERATOR, { status: 'identified', message: 'We found it.' })],
      ['/v1/incidents/incident-payments-down-1234/resolve', json(OPERATOR, { message: 'Fixed.' })],
      ['/v1/incidents/incident-payments-down-1234', { headers: { authorization: `Bearer ${OPERATOR}` } }],
      ['/v1/incidents', { headers: { authorization: `Bearer ${OPERATOR}` } }],
      ['/v1/maintenances', { headers: { authorization: `Bearer ${OPERATOR}` } }],
      [
        '/v1/webhooks/generic',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-herald-signature': signGeneric(GENERIC_SECRET, generic) },
          body: generic,
        },
      ],
      [
        '/v1/subscriptions',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.com' }) },
      ],
    ];
    for (const [path, init] of requests) {
      const { res, body, ms } = await timed(path, init);
      const what = `${init?.method ?? 'GET'} ${path}`;
      assert.equal(res.status, 503, `${what}: ${body}`);
      assert.ok(Number(res.headers.get('retry-after')) > 0, `${what} says when to retry`);
      assert.match(res.headers.get('content-type') ?? '', /problem\+json/, what);
      assert.ok(ms < BUDGET_MS + SLACK_MS, `${what} answered after ${Math.round(ms)} ms (deadline ${BUDGET_MS} ms)`);
    }
  });
});
