import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { deliveredMessages } from '../../core/messageMatrix';
import { loadPlan } from '../../core/plan/load';
import { createTemplateRenderer } from '../../core/render';
import {
  CHECKS,
  checkMessage,
  checkMessages,
  foreignProse,
  runCheck,
  type CheckName,
  type DeliveredMessage,
} from '../../core/messageCheck';

// Each check of `herald messages check` must be able to fail: one message that passes it and one
// that must fail it, per check. Then the example plan's every external message, checked.

const ROOT = join(__dirname, '..', '..');

const LINK = 'https://status.example.com/incidents/inc-1.html';
const ZH_LINK = 'https://status.example.com/zh-TW/incidents/inc-1.html';
const UNSUB = 'https://api.example.com/unsubscribe?t=TOKEN';
const PREFS = 'https://api.example.com/preferences?t=TOKEN';

function email(body: string, subject = 'Acme Status — Identified: card payments'): DeliveredMessage {
  return {
    key: { scenario: 'outage', phase: 'update', variant: 'x', audience: 'customers', locale: 'en', channel: 'email' },
    subject,
    body,
    expect: {
      functions: ['card payments'],
      actions: ['Orders are saved.'],
      times: ['Tue, Mar 10, 10:30 UTC'],
      statusWord: 'Identified',
      allowedForeign: ['Acme Status'],
      email: { unsubscribeUrl: UNSUB, preferencesUrl: PREFS },
      link: LINK,
    },
  };
}

const GOOD_EMAIL = [
  'We found why card payments fail and are fixing it.',
  'Orders are saved.',
  'Next update by Tue, Mar 10, 10:30 UTC.',
  `Details: ${LINK}`,
  `Unsubscribe: ${UNSUB}\nManage preferences: ${PREFS}`,
].join('\n\n');

function sms(body: string, locale = 'en'): DeliveredMessage {
  const zh = locale === 'zh-TW';
  return {
    key: { scenario: 'outage', phase: 'update', variant: 'x', audience: 'customers', locale, channel: 'sms' },
    body,
    expect: {
      functions: [zh ? '信用卡付款' : 'card payments'],
      actions: [],
      times: [zh ? '3月10日（週二）10:30 UTC' : 'Tue, Mar 10, 10:30 UTC'],
      statusWord: zh ? '已找到原因' : 'Identified',
      allowedForeign: ['Acme Status'],
      sms: { maxSegments: zh ? 3 : 2, optOut: zh ? '回覆 STOP 取消訂閱' : 'Reply STOP to opt out' },
      link: zh ? ZH_LINK : LINK,
    },
  };
}
const GOOD_SMS = `Acme Status - Identified: card payments fail. Next update by Tue, Mar 10, 10:30 UTC. ${LINK} Reply STOP to opt out`;
const GOOD_ZH_SMS = `Acme Status－已找到原因：信用卡付款失敗。下次更新：3月10日（週二）10:30 UTC。 ${ZH_LINK} 回覆 STOP 取消訂閱`;

test('well-formed messages pass every check', () => {
  assert.deepEqual(checkMessage(email(GOOD_EMAIL)), []);
  assert.deepEqual(checkMessage(sms(GOOD_SMS)), []);
  assert.deepEqual(checkMessage(sms(GOOD_ZH_SMS, 'zh-TW')), []);
});

const failing: Record<CheckName, DeliveredMessage> = {
  function: email(GOOD_EMAIL.replace('card payments', 'the service')),
  action: email(GOOD_EMAIL.replace('Orders are saved.', 'Please wait.')),
  timing: email(GOOD_EMAIL.replace('Tue, Mar 10, 10:30 UTC', 'soon')),
  'status-word': email(GOOD_EMAIL, 'Acme Status: card payments'),
  'no-repeat': email(
    GOOD_EMAIL.replace('Orders are saved.', 'We found why card payments fail and are fixing it.\n\nOrders are saved.'),
  ),
  'one-language': email(GOOD_EMAIL.replace('Orders are saved.', 'Orders are saved. 訂單已保存。')),
  'sms-budget': sms(GOOD_SMS.replace('fail.', 'fail … please retry.')),
  unsubscribe: email(GOOD_EMAIL.replace(`\nManage preferences: ${PREFS}`, '')),
  link: email(GOOD_EMAIL.replace(LINK, 'https://status.example.com/')),
};

for (const name of CHECKS) {
  test(`the ${name} check fails a message that breaks it, and only that check`, () => {
    const m = failing[name];
    const reason = runCheck(name, m);
    assert.equal(typeof reason, 'string', `${name} did not fail: ${reason}`);
    assert.deepEqual(
      checkMessage(m).map((f) => f.check),
      [name],
    );
  });
}

test('timing: a final message must say it is final, and needs no time', () => {
  const m = email(GOOD_EMAIL);
  const final = { ...m, expect: { ...m.expect, times: [], finalPhrase: 'final update' } };
  assert.match(String(runCheck('timing', final)), /final/);
  assert.equal(runCheck('timing', { ...final, body: `${GOOD_EMAIL}\n\nThis is our final update.` }), null);
});

test('short messages name at least one function and one action; long ones name every one', () => {
  const base = sms(GOOD_SMS);
  const two = { ...base, expect: { ...base.expect, functions: ['card payments', 'invoices'], actions: ['Retry later.'] } };
  assert.equal(runCheck('function', two), null);
  assert.match(String(runCheck('action', two)), /gives none/);
  assert.equal(runCheck('action', { ...two, body: `${GOOD_SMS} Retry later.` }), null);
  const long = email(GOOD_EMAIL);
  assert.match(
    String(runCheck('function', { ...long, expect: { ...long.expect, functions: ['card payments', 'invoices'] } })),
    /invoices/,
  );
});

test('sms-budget: over the segment budget fails; Chinese is UCS-2 by need and counts 67 per part', () => {
  assert.match(String(runCheck('sms-budget', sms(`${GOOD_SMS} ${'word '.repeat(50)}`))), /3 GSM-7 segments \(budget 2\)/);
  const zh = sms(GOOD_ZH_SMS, 'zh-TW');
  assert.equal(runCheck('sms-budget', zh), null);
  assert.match(
    String(runCheck('sms-budget', { ...zh, body: `${GOOD_ZH_SMS}${'中'.repeat(120)}` })),
    /UCS-2 segments \(budget 3\)/,
  );
  // An ellipsis in a Chinese SMS costs nothing: the message is UCS-2 anyway.
  assert.equal(runCheck('sms-budget', { ...zh, body: GOOD_ZH_SMS.replace('失敗。', '失敗…') }), null);
});

test('unsubscribe: an SMS needs the opt-out line', () => {
  assert.match(String(runCheck('unsubscribe', sms(GOOD_SMS.replace(' Reply STOP to opt out', '')))), /opt-out/);
});

test('one-language: English sentences in Chinese fail; names, URLs, times and STOP do not', () => {
  assert.equal(foreignProse('Acme 主控台：3月10日（週二）10:30 UTC，回覆 STOP 取消訂閱', 'zh-TW'), null);
  assert.match(String(foreignProse('我們正在處理。We are rolling out a fix.', 'zh-TW')), /Latin prose/);
  assert.match(String(foreignProse('We are on it（處理中）', 'en')), /CJK/);
  assert.match(String(foreignProse('Status: 調查中', 'en')), /CJK/);
  const zh = sms(GOOD_ZH_SMS, 'zh-TW');
  assert.match(String(runCheck('one-language', { ...zh, body: `${GOOD_ZH_SMS} Card payments are failing` })), /Latin/);
});

test('no-repeat catches one sentence said twice inside a paragraph', () => {
  const said = 'Card payments are failing for most customers.';
  assert.match(String(runCheck('no-repeat', email(`${said} Orders are saved. ${said}\n\n${GOOD_EMAIL}`))), /repeats/);
});

test('totals: a message passes when every check that applies passes; checks that do not apply are not counted', () => {
  const report = checkMessages([email(GOOD_EMAIL), sms(GOOD_SMS), failing.link]);
  assert.deepEqual([report.total, report.passed, report.failed], [3, 2, 1]);
  assert.deepEqual(report.byCheck['sms-budget'], { total: 1, passed: 1, failed: 0 });
  assert.deepEqual(report.byCheck.link, { total: 3, passed: 2, failed: 1 });
  assert.equal(report.failures[0]!.failures[0]!.check, 'link');
});

test('the example plan: every external message Herald can send passes every check', () => {
  const plan = loadPlan(join(ROOT, 'plans', 'example.yaml'));
  const messages = deliveredMessages(plan, createTemplateRenderer(), { unsubscribeBase: 'http://localhost:3000/unsubscribe' });
  // Scenario x phase x variant x external audience x locale x channel, on the delivery path.
  assert.ok(messages.length > 700, `${messages.length} messages`);
  for (const channel of ['email', 'sms', 'push', 'chat', 'webhook'])
    assert.ok(
      messages.some((m) => m.key.channel === channel),
      `no ${channel} message`,
    );
  for (const locale of ['en', 'zh-TW']) assert.ok(messages.some((m) => m.key.locale === locale));
  const report = checkMessages(messages);
  const shown = report.failures
    .slice(0, 5)
    .map((f) => `${Object.values(f.key).join(' ')}: ${f.failures.map((x) => `${x.check}: ${x.reason}`).join('; ')}`);
  assert.deepEqual(shown, []);
  assert.equal(report.passed, report.total);
});

test('npx herald messages check --json ends with the totals line', () => {
  const run = spawnSync(
    process.execPath,
    [join(ROOT, 'cli', 'bin.js'), 'messages', 'check', join(ROOT, 'plans', 'example.yaml'), '--json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    },
  );
  assert.equal(run.status, 0, run.stderr);
  const last = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    total: number;
    passed: number;
    failed: number;
    byCheck: object;
  };
  assert.deepEqual(Object.keys(last), ['total', 'passed', 'failed', 'byCheck']);
  assert.equal(last.passed, last.total);
  assert.deepEqual(Object.keys(last.byCheck), [...CHECKS]);
});
