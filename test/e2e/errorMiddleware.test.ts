import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { publishToDirectory } from '../../activities/publish/directory';
import { snapshotVersion } from '../../activities/publish/initial';
import { heraldOutageResponses, type Problem } from '../../api/errorMiddleware';
import { createStatusServer, type StatusServer } from '../../api/statusServer';
import type { Plan } from '../../core/plan/schema';
import { buildSnapshot } from '../../core/statuspage/snapshot';
import { examplePlan } from '../support/config';
import { openIncident, pageState, type StateName } from '../support/pageStates';

// A customer's own Express API behind heraldOutageResponses, reading summary.json from a real status
// server over a published snapshot.

const listen = async (server: Server) => {
  await new Promise((r) => server.once('listening', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

describe('outage answers for a customer API (RFC 9457)', () => {
  const plan: Plan = examplePlan();
  const templates = join(__dirname, '..', '..', 'templates');
  const publicDir = join(mkdtempSync(join(tmpdir(), 'herald-mw-')), 'public');
  let status: StatusServer;
  let statusUrl: string;
  let api: Server;
  let base: string;
  let handlerCalls = 0;

  const publish = async (name: StateName | 'payments-down') => {
    const now = new Date();
    const state = pageState(plan, name === 'payments-down' ? 'operational' : name, now);
    if (name === 'payments-down') {
      const i = openIncident(now);
      i.id = 'inc-payments-down';
      i.impact = 'critical';
      i.components = ['payments'];
      i.componentStatuses = { payments: 'major_outage' };
      state.incidents.push(i);
      state.components.payments = { status: 'major_outage', updatedAt: i.updatedAt };
    }
    await publishToDirectory(publicDir, buildSnapshot(plan, state, templates), snapshotVersion());
    await status.refresh();
  };

  before(async () => {
    await publishToDirectory(publicDir, buildSnapshot(plan, pageState(plan, 'operational'), templates), snapshotVersion());
    status = createStatusServer(publicDir, { pollMs: 20 });
    await status.ready;
    status.server.listen(0, '127.0.0.1');
    statusUrl = await listen(status.server);

    const app = express();
    const opts = { statusUrl, cacheMs: 0 };
    const api1 = heraldOutageResponses({ ...opts, components: ['api'] });
    const commerce = heraldOutageResponses({
      ...opts,
      components: ['commerce'],
      names: { payments: { 'zh-TW': '付款' }, invoicing: { 'zh-TW': '帳單' } },
    });
    const slow = heraldOutageResponses({ ...opts, components: ['website'], timeoutMs: 200 });
    const unreachable = heraldOutageResponses({ statusUrl: 'http://127.0.0.1:9', components: ['api'] });
    const handler = (fn: express.RequestHandler) => fn;
    app.get(
      '/v1/things',
      api1.guard,
      handler((_req, res) => void (handlerCalls++, res.json({ ok: true }))),
      api1.errors,
    );
    app.get(
      '/v1/broken',
      api1.guard,
      handler(async () => {
        handlerCalls++;
        throw new Error('upstream connection reset');
      }),
      api1.errors,
    );
    app.get(
      '/v1/bad-request',
      api1.guard,
      handler((_req, _res, next) => next(Object.assign(new Error('bad input'), { status: 400 }))),
      api1.errors,
    );
    app.get(
      '/v1/orders',
      commerce.guard,
      handler((_req, res) => void (handlerCalls++, res.json({ orders: [] }))),
      commerce.errors,
    );
    app.get(
      '/v1/slow',
      slow.guard,
      handler((_req, res) => void setTimeout(() => res.json({ late: true }), 600)),
      slow.errors,
    );
    app.get(
      '/v1/alone',
      unreachable.guard,
      handler((_req, _res, next) => next(new Error('down'))),
      unreachable.errors,
    );
    app.use(
      ((err, _req, res, _next) =>
        void res.status((err as { status?: number }).status ?? 500).json({ own: true })) as express.ErrorRequestHandler,
    );
    api = app.listen(0, '127.0.0.1');
    base = await listen(api);
  });
  after(async () => {
    await new Promise((r) => api.close(r));
    await status.close();
  });

  const call = async (path: string, lang?: string) => {
    const res = await fetch(`${base}${path}`, { headers: lang ? { 'accept-language': lang } : {} });
    const text = await res.text();
    return {
      res,
      text,
      problem: res.headers.get('content-type')?.startsWith('application/problem+json') ? (JSON.parse(text) as Problem) : null,
    };
  };

  test('when all is operational requests pass, and a failing upstream becomes a 502 problem with the status link', async () => {
    await publish('operational');
    const ok = await call('/v1/things');
    assert.equal(ok.res.status, 200);
    assert.deepEqual(JSON.parse(ok.text), { ok: true });
    const broken = await call('/v1/broken');
    assert.equal(broken.res.status, 502);
    assert.equal(broken.res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(broken.problem!.type, `${statusUrl}/problems/upstream-failure`);
    assert.equal(broken.problem!.status, 502);
    assert.equal(broken.problem!.title, 'Upstream service failed');
    assert.match(broken.problem!.instance, /^urn:uuid:/);
    assert.equal(broken.problem!.status_page, statusUrl);
    assert.ok(broken.problem!.detail.includes(statusUrl));
    assert.doesNotMatch(broken.text, /connection reset/, 'the upstream error itself is not shown');
    assert.equal(broken.res.headers.get('retry-after'), null);
  });

  test("client errors are not ours: a 4xx goes on to the app's own error handler", async () => {
    const res = await call('/v1/bad-request');
    assert.equal(res.res.status, 400);
    assert.deepEqual(JSON.parse(res.text), { own: true });
  });

  test("during an incident on the component a failure is a 503 naming the incident, with Retry-After from the ETA, in the caller's language", async () => {
    await publish('incident');
    assert.equal((await call('/v1/things')).res.status, 200, 'a partial outage does not turn every request away');
    const en = await call('/v1/broken', 'en-GB,en;q=0.9');
    assert.equal(en.res.status, 503);
    assert.equal(en.problem!.incident!.id, 'inc-api-errors');
    assert.equal(en.problem!.instance, `${plan.page.url}/incidents/inc-api-errors.html`);
    const retry = Number(en.res.headers.get('retry-after'));
    assert.ok(retry > 7100 && retry <= 7200, `Retry-After ${retry} is the time to the ETA (2 h)`);
    assert.equal(en.problem!.retry_after, retry);
    assert.match(en.problem!.detail, /Errors on the public API.*expect it to be resolved by/);
    const zh = await call('/v1/broken', 'zh-HK, en;q=0.5');
    assert.equal(zh.res.headers.get('content-language'), 'zh-TW');
    assert.equal(zh.res.headers.get('vary'), 'Accept-Language');
    assert.equal(zh.problem!.title, '服務暫時無法使用');
    assert.match(zh.problem!.detail, /預計於 .* 恢復/);
  });

  test('while a guarded component is down or under maintenance, requests are answered 503 without reaching the handler', async () => {
    await publish('maintenance');
    let before = handlerCalls;
    const m = await call('/v1/orders', 'zh-TW');
    assert.equal(m.res.status, 503);
    assert.equal(handlerCalls, before, 'the handler was not called');
    assert.equal(m.problem!.type, `${statusUrl}/problems/maintenance`);
    assert.equal((await fetch(m.problem!.type)).status, 200, 'the problem type URI documents itself on the status page');
    assert.equal(m.problem!.incident!.kind, 'maintenance');
    assert.deepEqual(
      m.problem!.components!.map((c) => [c.id, c.name, c.status]),
      [['invoicing', '帳單', 'under_maintenance']],
    );
    const retry = Number(m.res.headers.get('retry-after'));
    assert.ok(retry > 5300 && retry <= 5400, `Retry-After ${retry} is the time to the window's end (90 min)`);
    assert.match(m.problem!.detail, /帳單因維護「Invoicing database upgrade」目前無法使用/);
    assert.equal((await call('/v1/things')).res.status, 200, 'an API that does not depend on it is untouched');

    await publish('payments-down');
    before = handlerCalls;
    const o = await call('/v1/orders');
    assert.equal(o.res.status, 503);
    assert.equal(handlerCalls, before);
    assert.equal(o.problem!.type, `${statusUrl}/problems/outage`);
    assert.equal(o.problem!.incident!.id, 'inc-payments-down');
    assert.ok(Number(o.res.headers.get('retry-after')) > 7000);

    await publish('resolved');
    assert.equal((await call('/v1/orders')).res.status, 200, 'answers change as soon as the page does (cacheMs 0)');
  });

  test('a handler slower than timeoutMs gets a 504 problem, and its late answer goes nowhere', async () => {
    await publish('operational');
    const started = Date.now();
    const slow = await call('/v1/slow');
    assert.equal(slow.res.status, 504);
    assert.ok(Date.now() - started < 550);
    assert.equal(slow.problem!.type, `${statusUrl}/problems/upstream-timeout`);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await call('/v1/things')).res.status, 200, 'the app is still healthy after the late answer');
  });

  test('with the status page unreachable, requests pass and failures are still problem details', async () => {
    const res = await call('/v1/alone');
    assert.equal(res.res.status, 502);
    assert.equal(res.problem!.status, 502);
  });
});
