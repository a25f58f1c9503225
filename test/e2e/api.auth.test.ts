import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createApp, type ApiDeps } from '../../api/app';
import { tokenBucket } from '../../api/rateLimit';
import { ConfigError, loadConfig } from '../../core/config';
import { tokenGrants } from '../../core/tokens';
import { examplePlan } from '../support/config';
import { freePort } from '../support/ports';

// Tokens, roles, limits and logs, without Temporal: every request here is decided before a
// workflow call (the client points at a closed port).

describe('tokens from configuration', () => {
  test('HERALD_TOKENS adds named tokens with roles; viewer and admin tokens have their own variables', () => {
    const config = loadConfig({
      HERALD_DATA_DIR: '/tmp/x',
      HERALD_VIEWER_TOKEN: 'viewer-token-0123456789',
      HERALD_ADMIN_TOKEN: 'admin-token-0123456789',
      HERALD_TOKENS: 'bob:operator:bob-token-0123456789, grafana:webhook:gr:af:ana-token-0123456789',
    });
    const grants = tokenGrants(config, { operator: 'op-token-0123456789', webhook: 'wh-token-0123456789', generated: false });
    assert.deepEqual(
      grants.map((g) => `${g.name}:${g.role}:${g.token}`),
      [
        'operator:operator:op-token-0123456789',
        'webhook:webhook:wh-token-0123456789',
        'viewer:viewer:viewer-token-0123456789',
        'admin:admin:admin-token-0123456789',
        'bob:operator:bob-token-0123456789',
        'grafana:webhook:gr:af:ana-token-0123456789',
      ],
    );
  });

  test('bad token lists are refused at start with the variable named', () => {
    for (const [value, message] of [
      ['bob:root:bob-token-0123456789', /HERALD_TOKENS: token bob needs a role/],
      ['bob:operator:short', /HERALD_TOKENS: token bob must be at least 16/],
      ['b o b:operator:bob-token-0123456789', /is not a token name/],
    ] as const) {
      assert.throws(
        () => loadConfig({ HERALD_TOKENS: value }),
        (e: Error) => e instanceof ConfigError && message.test(e.message),
        value,
      );
    }
    assert.throws(() => loadConfig({ HERALD_RATE_LIMIT: 'fast' }), /HERALD_RATE_LIMIT/);
    const c = loadConfig({ HERALD_RATE_LIMIT: '5/s,7', HERALD_TEMPORAL_TIMEOUT: '1500ms' });
    assert.deepEqual(c.api.rateLimit, { perSecond: 5, burst: 7 });
    assert.equal(c.api.temporalTimeoutMs, 1500);
  });

  test('a token bucket refills at its rate and says how long to wait', () => {
    let now = 0;
    const b = tokenBucket({ perSecond: 2, burst: 3 }, () => now);
    assert.deepEqual([b.take('k'), b.take('k'), b.take('k')], [0, 0, 0]);
    assert.equal(b.take('k'), 1);
    assert.equal(b.take('other'), 0);
    now = 500;
    assert.equal(b.take('k'), 0);
    assert.ok(b.take('k') >= 1);
  });
});

describe('limits and logs on the running app', () => {
  let base: string;
  let close: () => Promise<void>;
  const lines: string[] = [];
  const OPERATOR = 'op-secret-token-0123456789';
  const WEBHOOK = 'wh-secret-token-0123456789';

  before(async () => {
    const client = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
    const sink = new Writable({ write: (chunk, _enc, cb) => void (lines.push(String(chunk)), cb()) });
    const deps: ApiDeps = {
      client,
      plan: examplePlan(),
      taskQueue: 'none',
      tokens: [
        { token: OPERATOR, role: 'operator', name: 'olivia' },
        { token: WEBHOOK, role: 'webhook', name: 'am' },
      ],
      log: pino({ level: 'info' }, sink),
      publicUrl: 'http://localhost:8080',
      api: {
        rateLimit: { perSecond: 1, burst: 5 },
        rateLimitIp: { perSecond: 1, burst: 40 },
        webhookRateLimit: { perSecond: 1, burst: 3 },
        temporalTimeoutMs: 1000,
      },
    };
    const server = createApp(deps).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await client.connection.close().catch(() => undefined);
    };
  });
  after(async () => {
    await close();
  });

  test('an operator token over its rate gets 429 with Retry-After; monitoring senders get 503', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await fetch(`${base}/v1/plan`, { headers: { authorization: `Bearer ${OPERATOR}` } })).status);
    assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
    const limited = await fetch(`${base}/v1/plan`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.match(limited.headers.get('content-type')!, /problem\+json/);

    const hook = () =>
      fetch(`${base}/v1/webhooks/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${WEBHOOK}`, 'content-type': 'application/json' },
        body: '{}',
      });
    const hooks = [];
    for (let i = 0; i < 5; i++) hooks.push((await hook()).status);
    assert.deepEqual(hooks.slice(0, 3), [400, 400, 400]);
    assert.equal(hooks[4], 503);
  });

  test('logs carry the actor, route and incident id, never tokens or message bodies', async () => {
    lines.length = 0;
    await fetch(`${base}/v1/webhooks/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WEBHOOK}x`, 'content-type': 'application/json' },
      body: '{}',
    });
    const secretWords = 'Customer Jane Roe at jane@example.com cannot pay';
    await fetch(`${base}/v1/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x', message: secretWords }),
    });
    await new Promise((r) => setTimeout(r, 1100)); // the webhook token's bucket refills
    const unroutable = {
      version: '4',
      groupKey: 'g1',
      status: 'firing',
      receiver: 'r',
      alerts: [{ status: 'firing', labels: { alertname: 'Mystery', note: secretWords } }],
    };
    assert.equal(
      (
        await fetch(`${base}/v1/webhooks/alertmanager`, {
          method: 'POST',
          headers: { authorization: `Bearer ${WEBHOOK}`, 'content-type': 'application/json' },
          body: JSON.stringify(unroutable),
        })
      ).status,
      422,
    );
    await new Promise((r) => setTimeout(r, 50));
    const text = lines.join('');
    assert.ok(lines.length >= 2, text);
    for (const line of lines) JSON.parse(line);
    assert.ok(!text.includes(OPERATOR) && !text.includes(WEBHOOK), 'no tokens in logs');
    assert.ok(!text.includes('Jane Roe') && !text.includes('jane@example.com'), 'no message bodies in logs');
    assert.match(text, /"actor":"olivia"/);
    assert.match(text, /"path":"\/v1\/incidents"/);
    assert.match(text, /"correlationId":"correlation-[a-z0-9-]+"/);
  });
});
