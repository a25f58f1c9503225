import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { problemHandler } from '../../api/problem';
import { unsubscribeRoutes } from '../../api/routes/unsubscribe';
import { preferencesLink } from '../../core/messageContent';
import { loadPlan } from '../../core/plan/load';
import { openStore, type Store } from '../../core/store';
import { validateSubscriber } from '../../core/store/subscribers';
import { unsubscribeLink, unsubscribeToken } from '../../core/store/unsubscribe';

// The unsubscribe and preferences pages a message links to: in the reader's language, and they change
// only what the signed link's owner asks for.

const SECRET = 'test-secret-0123456789abcdef0123456789';
const plan = loadPlan(join(__dirname, '..', '..', 'plans', 'example.yaml'));
let dir: string;
let store: Store;
let server: Server;
let base: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herald-prefs-'));
  store = await openStore({ sqliteFile: join(dir, 'herald.db') });
  const rows = [
    { id: 'mei', email: 'mei@example.com', locale: 'zh-TW', components: ['payments', 'api'], attributes: { tier: 'enterprise' } },
    { id: 'ann', email: 'ann@example.com', components: '*' },
  ];
  await store.upsertSubscribers(rows.map((r, i) => (validateSubscriber(r, i + 1) as { ok: true; value: never }).value));
  const app = express();
  app.use(unsubscribeRoutes({ store, secret: SECRET, plan }));
  app.use(problemHandler(() => undefined));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => server.close(r));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const link = (id: string, kind: 'unsubscribe' | 'preferences' = 'unsubscribe') => {
  const token = unsubscribeToken(SECRET, id, 'email');
  const unsubscribe = unsubscribeLink(`${base}/unsubscribe`, token);
  return kind === 'unsubscribe' ? unsubscribe : preferencesLink(`${base}/unsubscribe`, token);
};
const html = { accept: 'text/html' };
const form = (body: string) => ({
  method: 'POST',
  headers: { ...html, 'content-type': 'application/x-www-form-urlencoded' },
  body,
});

test('the unsubscribe page speaks the subscriber’s language and links the preferences', async () => {
  const zh = await (await fetch(link('mei'), { headers: html })).text();
  assert.match(zh, /<html lang="zh-TW">/);
  assert.match(zh, /取消訂閱 Acme Cloud Status/);
  assert.match(zh, /電子郵件/);
  assert.match(zh, /href="preferences\?t=/);
  assert.doesNotMatch(zh, />Unsubscribe<|Stop receiving/);
  const en = await (await fetch(link('ann'), { headers: { ...html, 'accept-language': 'zh-TW' } })).text();
  assert.match(en, /<html lang="zh-TW">/, 'a subscriber without a locale gets the browser’s language');
});

test('a changed link is refused in the reader’s language, and as problem details for a program', async () => {
  const bad = link('mei').replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
  const page = await fetch(bad, { headers: { ...html, 'accept-language': 'zh-TW,zh;q=0.9' } });
  assert.equal(page.status, 400);
  assert.match(await page.text(), /此連結無法使用/);
  const api = await fetch(bad, { headers: { accept: 'application/json' } });
  assert.equal(api.status, 400);
  assert.match(api.headers.get('content-type') ?? '', /problem\+json/);
});

test('preferences: the page shows what is followed; saving changes services and language, never the consent', async () => {
  const page = await (await fetch(link('mei', 'preferences'), { headers: html })).text();
  assert.match(page, /您的 Acme Cloud Status 通知設定/);
  assert.match(page, /value="payments" checked/);
  assert.match(page, /value="api" checked/);
  assert.match(page, /value="website">/);
  assert.match(page, /value="zh-TW" checked/);
  assert.match(page, /lang="en">English/);

  const none = await fetch(link('mei', 'preferences'), form('locale=zh-TW'));
  assert.equal(none.status, 422);
  assert.match(await none.text(), /請至少選擇一項服務/);
  assert.deepEqual((await store.getSubscriber('mei'))!.components, ['api', 'payments'], 'nothing saved');

  const saved = await fetch(
    link('mei', 'preferences'),
    form('locale=en&components=website&components=payments&components=bogus'),
  );
  assert.equal(saved.status, 200);
  assert.match(await saved.text(), /Your choices are saved/, 'the answer is in the newly chosen language');
  const mei = (await store.getSubscriber('mei'))!;
  assert.deepEqual(
    [mei.locale, mei.components, mei.consent.state, mei.attributes],
    ['en', ['payments', 'website'], 'confirmed', { tier: 'enterprise' }],
  );
  await fetch(link('mei', 'preferences'), form('locale=zh-TW&all=1'));
  assert.equal((await store.getSubscriber('mei'))!.components, '*');
});

test('one-click unsubscribe (RFC 8058) works without a browser and answers in the subscriber’s language', async () => {
  const oneClick = await fetch(link('mei'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  assert.equal(oneClick.status, 200);
  assert.deepEqual(await oneClick.json(), { unsubscribed: true });
  assert.equal((await store.getSubscriber('mei'))!.consent.state, 'unsubscribed');
  const again = await (await fetch(link('mei'), { headers: html })).text();
  assert.match(again, /已取消訂閱/);
});
