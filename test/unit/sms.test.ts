import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avoidableNonGsm, cutAtWord, ELASTIC_END, ELASTIC_START, fitShort, fitSms, gsmSafe, smsSize } from '../../core/sms';

const size = (t: string) => {
  const s = smsSize(t);
  return `${s.segments} ${s.encoding}`;
};

test('GSM-7: 160 characters in one segment, 153 per part after that', () => {
  assert.equal(size('a'.repeat(160)), '1 GSM-7');
  assert.equal(size('a'.repeat(161)), '2 GSM-7');
  assert.equal(size('a'.repeat(306)), '2 GSM-7');
  assert.equal(size('a'.repeat(307)), '3 GSM-7');
  assert.equal(size(''), '0 GSM-7');
});

test('GSM-7 extension characters count two', () => {
  assert.equal(size('€'.repeat(80)), '1 GSM-7');
  assert.equal(size('€'.repeat(81)), '2 GSM-7');
  assert.equal(size(`${'a'.repeat(158)}[`), '1 GSM-7');
  assert.equal(size(`${'a'.repeat(159)}]`), '2 GSM-7');
});

test('UCS-2: 70 characters alone, 67 per part; one non-GSM character switches the whole message', () => {
  assert.equal(size('中'.repeat(70)), '1 UCS-2');
  assert.equal(size('中'.repeat(71)), '2 UCS-2');
  assert.equal(size('中'.repeat(134)), '2 UCS-2');
  assert.equal(size('中'.repeat(135)), '3 UCS-2');
  assert.equal(size(`${'a'.repeat(69)}…`), '1 UCS-2');
  assert.equal(size(`${'a'.repeat(70)}…`), '2 UCS-2');
  // Emoji outside the BMP take two UCS-2 units.
  assert.equal(size('😀'.repeat(35)), '1 UCS-2');
  assert.equal(size('😀'.repeat(36)), '2 UCS-2');
});

test('typographic characters are replaced only when that makes the message GSM-7', () => {
  assert.equal(gsmSafe('It’s “back” … – ok\u00a0now'), `It's "back" ... - ok now`);
  assert.equal(gsmSafe('付款…恢復'), '付款…恢復');
  assert.deepEqual(avoidableNonGsm('Fixed…'), ['…']);
  assert.deepEqual(avoidableNonGsm('付款已恢復…'), []);
});

test('cuts fall on word boundaries, never inside a URL, in English and in Chinese', () => {
  const url = 'https://status.example.com/incidents/incident-payments-1a2b.html';
  const fitsIn = (n: number) => (s: string) => [...s].length <= n;
  assert.equal(cutAtWord('We are rolling out the fix now', 'en', fitsIn(20)), 'We are rolling out');
  const cut = cutAtWord(`See ${url} for details`, 'en', fitsIn(40));
  assert.equal(cut, 'See');
  assert.equal(cutAtWord('我們正在逐區部署修正大部分請求已恢復正常', 'zh-TW', fitsIn(11)).length <= 11, true);
  const zh = cutAtWord('我們正在逐區部署修正大部分請求已恢復正常', 'zh-TW', fitsIn(11));
  assert.ok('我們正在逐區部署修正大部分請求已恢復正常'.startsWith(zh) && zh.length >= 6, zh);
});

test('fitShort shortens the elastic stretch only, and drops it when nothing of it fits', () => {
  const url = 'https://status.example.com/incidents/x.html';
  const text = `Outage: card payments. ${ELASTIC_START}We are rolling out the fix region by region and checking each.${ELASTIC_END} Next update 10:30 UTC. ${url}`;
  const fits = (n: number) => (s: string) => s.length <= n;
  assert.equal(fitShort(text, 'en', fits(500)), text.replace(ELASTIC_START, '').replace(ELASTIC_END, ''));
  const shorter = fitShort(text, 'en', fits(125), '...');
  assert.ok(shorter.length <= 125, shorter);
  assert.match(
    shorter,
    /^Outage: card payments\. We are rolling( \w+)*\.\.\. Next update 10:30 UTC\. https:\/\/status\.example\.com\/incidents\/x\.html$/,
  );
  const dropped = fitShort(text, 'en', fits(95));
  assert.equal(dropped, `Outage: card payments. Next update 10:30 UTC. ${url}`);
});

test('fitSms keeps an English SMS GSM-7 and within its segments', () => {
  const long = `Acme: ${ELASTIC_START}${'We are rolling out the fix “region by region”. '.repeat(8)}${ELASTIC_END} Next update by 10:30 UTC. Reply STOP to opt out`;
  const fitted = fitSms(long, 'en', 2);
  assert.deepEqual(smsSize(fitted).encoding, 'GSM-7');
  assert.ok(smsSize(fitted).segments <= 2);
  // Whole sentences are kept where they fit (no ellipsis then), and the typographic quotes became GSM-7 quotes.
  assert.match(
    fitted,
    /^Acme: We are rolling out the fix "region by region"\.( We are rolling out the fix "region by region"\.)* Next update by 10:30 UTC\. Reply STOP to opt out$/,
  );
  const zh = fitSms(
    `Acme：${ELASTIC_START}${'我們正在逐區部署修正。'.repeat(30)}${ELASTIC_END}下次更新：10:30 UTC。回覆 STOP 取消訂閱`,
    'zh-TW',
    3,
  );
  assert.ok(smsSize(zh).segments <= 3, zh);
  assert.match(zh, /^Acme：(我們正在逐區部署修正。)+下次更新：10:30 UTC。回覆 STOP 取消訂閱$/);
});

test('fitShort prefers whole sentences to a cut mid-sentence', () => {
  const text = `Outage. ${ELASTIC_START}We found the cause. It was a configuration change made this morning by our team.${ELASTIC_END} Next update 10:30 UTC.`;
  assert.equal(
    fitShort(text, 'en', (s) => s.length <= 60),
    'Outage. We found the cause. Next update 10:30 UTC.',
  );
  const zh = `中斷。${ELASTIC_START}我們已找到原因。這是今天早上的一項設定變更所造成的問題。${ELASTIC_END}下次更新：10:30 UTC。`;
  assert.equal(
    fitShort(zh, 'zh-TW', (s) => [...s].length <= 30),
    '中斷。我們已找到原因。下次更新：10:30 UTC。',
  );
});
