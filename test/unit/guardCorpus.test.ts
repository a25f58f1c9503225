import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPreview } from '../../api/routes/plan';
import { guardExternalText, guardRulesForPlan, type GuardFinding } from '../../core/guard';
import { CHANNELS, INCIDENT_PHASES, MAINTENANCE_PHASES } from '../../core/plan/schema';
import { createTemplateRenderer } from '../../core/render';
import { examplePlan } from '../support/config';

// The guard against a corpus it was not written from.
//
// Leaks: internal detail of the kinds DESIGN.md and the issue name (hosts, internal domains, IPs,
// ARNs, account and resource ids, stack traces, exception names, SQL and PostgreSQL / MySQL / SQLite
// error texts, tickets, chat channels, the example plan's code names and internal domains, file
// paths, keys, internal links), each put through every disguise that applies to it — zero-width
// and other format characters, full-width forms, Cyrillic and Greek homoglyphs (a hand list of the
// letters IDN spoofing uses, not the guard's table), mathematical letters, other dots, case,
// splitting with spaces, and IPv4 addresses in every numeric form — inside an English and a
// Traditional Chinese sentence. Every one must be refused, at the disguised text.
//
// Clean: what customers are really sent — every external template of the example plan rendered
// for every scenario, phase, locale and channel, line by line — and Statuspage-style updates in
// both languages with product names, times, prices and links to the public status page. None may
// be refused.

const plan = examplePlan();
// The plan's status page, and its support domain as a deployment allows it.
const rules = guardRulesForPlan(plan, ['acme.com']);
const statusUrl = plan.page.url.replace(/\/+$/, '');

// ───────────── leaks ─────────────

type LeakClass =
  | 'host'
  | 'internal-domain'
  | 'ip'
  | 'ipv6'
  | 'arn'
  | 'account'
  | 'resource'
  | 'stack'
  | 'exception'
  | 'database'
  | 'ticket'
  | 'chat'
  | 'code-name'
  | 'file'
  | 'credential'
  | 'link';

const BASES: [LeakClass, string][] = [
  ['host', 'db-7.prod.us-east-1.compute.internal'],
  ['host', 'ip-10-0-1-5.ec2.internal'],
  ['host', 'redis-master-3'],
  ['host', 'payments-api-7d9f8b6c5-x2k4q'],
  ['host', 'db01'],
  ['host', 'api-gw-02.corp'],
  ['host', 'acme-prod-logs.s3.amazonaws.com'],
  ['host', 'kafka-broker-2:9092'],
  ...plan.internalDomains.map((d): [LeakClass, string] => ['internal-domain', `payments.${d}`]),
  ['internal-domain', 'ledger-db.corp.acme.net'],
  ['internal-domain', 'jane.doe@corp.acme.net'],
  ['ip', '10.0.3.7'],
  ['ip', '192.168.1.20:5432'],
  ['ip', '10.12.0.0/16'],
  ['ip', '54.239.28.85'],
  ['ip', '172.31.4.19'],
  ['ipv6', '2001:db8::8a2e:370:7334'],
  ['ipv6', 'fe80::1%eth0'],
  ['ipv6', '::ffff:10.0.3.7'],
  ['arn', 'arn:aws:iam::123456789012:role/payments-worker'],
  ['arn', 'arn:aws:rds:us-east-1:123456789012:db:payments-primary'],
  ['arn', 'arn:aws:s3:::acme-prod-invoices'],
  ['account', '123456789012'],
  ['account', '1234-5678-9012'],
  ['account', '3f2b8c1e-9d4a-4f6b-8e2c-1a2b3c4d5e6f'],
  ['resource', 'i-0abc12345def67890'],
  ['resource', 'sg-0123abcd'],
  ['resource', 'vol-049df61146c4d7901'],
  ['stack', 'at PaymentService.charge (/app/src/pay.js:10:5)'],
  ['stack', 'at com.acme.billing.Invoice.total(Invoice.java:42)'],
  ['stack', 'File "/app/worker.py", line 88, in charge'],
  ['stack', 'goroutine 17 [running]:'],
  ['stack', 'Traceback (most recent call last):'],
  ['exception', 'NullPointerException'],
  ['exception', 'java.lang.IllegalStateException'],
  ['exception', 'ECONNREFUSED'],
  ['exception', 'OutOfMemoryError'],
  ['exception', 'CrashLoopBackOff'],
  ['exception', 'ORA-00054'],
  ['database', 'duplicate key value violates unique constraint "payments_pkey"'],
  ['database', 'null value in column "amount" violates not-null constraint'],
  ['database', 'relation "invoices" does not exist'],
  ['database', 'could not serialize access due to concurrent update'],
  ['database', 'canceling statement due to statement timeout'],
  ['database', "ERROR 1062 (23000): Duplicate entry '42' for key 'PRIMARY'"],
  ['database', 'Deadlock found when trying to get lock; try restarting transaction'],
  ['database', 'Lock wait timeout exceeded; try restarting transaction'],
  ['database', "Table 'billing.invoices' doesn't exist"],
  ['database', 'SQLITE_BUSY: database is locked'],
  ['database', 'UNIQUE constraint failed: users.email'],
  ['database', 'no such table: invoices'],
  ['database', 'SELECT * FROM invoices WHERE id = 42'],
  ['database', 'UPDATE accounts SET balance = 0'],
  ['database', 'DELETE FROM sessions WHERE expired'],
  ['database', 'SQLSTATE[40001]'],
  ['ticket', 'INC-1234'],
  ['ticket', 'JIRA-88'],
  ['ticket', 'OPS-4521'],
  ['ticket', 'PD#12345'],
  ['ticket', 'INC0012345'],
  ['ticket', 'PAY-321'],
  ['chat', '#incident-123'],
  ['chat', '#ops-alerts'],
  ...plan.codeNames.map((c): [LeakClass, string] => ['code-name', c]),
  ['file', '/var/log/payments/error.log'],
  ['file', '/etc/nginx/nginx.conf'],
  ['file', 'C:\\Program Files\\Acme\\config.ini'],
  ['credential', 'AKIAIOSFODNN7EXAMPLE'],
  ['link', 'http://localhost:3000/d/payments'],
  ['link', 'https://grafana.acme.internal/d/abc'],
  ['link', 'http://10.0.0.12:8080/health'],
];

const SENTENCES: Record<'en' | 'zh-TW', (x: string) => string> = {
  en: (x) => `We traced the errors to ${x} and are working on it.`,
  'zh-TW': (x) => `我們發現錯誤來自 ${x}，正在處理中。`,
};

// Homoglyphs from Cyrillic and Greek that IDN spoofing uses (written out here, independent of the
// guard's Unicode data).
const CYRILLIC: Record<string, string> = {
  a: '\u0430',
  c: '\u0441',
  e: '\u0435',
  o: '\u043e',
  p: '\u0440',
  x: '\u0445',
  y: '\u0443',
  i: '\u0456',
  j: '\u0458',
  s: '\u0455',
  d: '\u0501',
  h: '\u04bb',
  A: '\u0410',
  B: '\u0412',
  E: '\u0415',
  K: '\u041a',
  M: '\u041c',
  H: '\u041d',
  O: '\u041e',
  P: '\u0420',
  C: '\u0421',
  T: '\u0422',
  X: '\u0425',
  I: '\u0406',
  J: '\u0408',
  S: '\u0405',
};
const GREEK: Record<string, string> = {
  o: '\u03bf',
  v: '\u03bd',
  i: '\u03b9',
  a: '\u03b1',
  u: '\u03c5',
  A: '\u0391',
  B: '\u0392',
  E: '\u0395',
  H: '\u0397',
  I: '\u0399',
  K: '\u039a',
  M: '\u039c',
  N: '\u039d',
  O: '\u039f',
  P: '\u03a1',
  T: '\u03a4',
  X: '\u03a7',
  Y: '\u03a5',
  Z: '\u0396',
};

const replaceEvery = (s: string, table: Record<string, string>, step: number) => {
  let n = 0;
  return [...s].map((c) => (table[c] !== undefined && n++ % step === 0 ? table[c] : c)).join('');
};
const fullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const mathBold = (s: string) =>
  [...s]
    .map((c) =>
      /[A-Z]/.test(c)
        ? String.fromCodePoint(0x1d400 + c.charCodeAt(0) - 65)
        : /[a-z]/.test(c)
          ? String.fromCodePoint(0x1d41a + c.charCodeAt(0) - 97)
          : /[0-9]/.test(c)
            ? String.fromCodePoint(0x1d7ce + c.charCodeAt(0) - 48)
            : c,
    )
    .join('');
const interleave = (s: string, mark: string, every: number) =>
  [...s].map((c, i) => (i > 0 && i % every === 0 ? mark + c : c)).join('');

type Disguise = { name: string; applies: (cls: LeakClass, s: string) => boolean; apply: (s: string) => string };

const WORDY: LeakClass[] = ['host', 'internal-domain', 'resource', 'chat', 'code-name', 'link', 'arn', 'file', 'database'];
const DISGUISES: Disguise[] = [
  { name: 'as is', applies: () => true, apply: (s) => s },
  { name: 'zero-width spaces', applies: () => true, apply: (s) => interleave(s, '\u200b', 2) },
  { name: 'zero-width joiners', applies: () => true, apply: (s) => interleave(s, '\u200d', 3) },
  {
    name: 'soft hyphens and word joiners',
    applies: () => true,
    apply: (s) => interleave(interleave(s, '\u00ad', 4), '\u2060', 5),
  },
  { name: 'BOM and LRM-free format characters', applies: () => true, apply: (s) => interleave(s, '\ufeff', 3) },
  { name: 'full-width', applies: () => true, apply: fullWidth },
  { name: 'mathematical bold', applies: (c) => c !== 'stack', apply: mathBold },
  {
    name: 'Cyrillic homoglyphs',
    applies: (_c, s) => replaceEvery(s, CYRILLIC, 2) !== s,
    apply: (s) => replaceEvery(s, CYRILLIC, 2),
  },
  { name: 'Greek homoglyphs', applies: (_c, s) => replaceEvery(s, GREEK, 1) !== s, apply: (s) => replaceEvery(s, GREEK, 1) },
  {
    name: 'ideographic full stops',
    applies: (c, s) => /\w\.\w/.test(s) && ['host', 'internal-domain', 'ip'].includes(c),
    apply: (s) => s.replace(/(?<=\w)\.(?=\w)/g, '\u3002'),
  },
  {
    name: 'full-width full stops',
    applies: (c, s) => /\w\.\w/.test(s) && ['host', 'internal-domain', 'ip', 'link'].includes(c),
    apply: (s) => s.replace(/(?<=\w)\.(?=\w)/g, '\uff0e'),
  },
  {
    name: 'one-dot leaders',
    applies: (c, s) => /\w\.\w/.test(s) && ['host', 'internal-domain', 'ip'].includes(c),
    apply: (s) => s.replace(/(?<=\w)\.(?=\w)/g, '\u2024'),
  },
  {
    name: 'upper case',
    applies: (c, s) => WORDY.includes(c) && s !== s.toUpperCase() && c !== 'database',
    apply: (s) => s.toUpperCase(),
  },
  // A project key the guard does not know (PAY-321) is a ticket in capitals only: "rtx-4090" and
  // "room-101" are how products and places are written.
  {
    name: 'lower case',
    applies: (c, s) => (c === 'ticket' && !s.startsWith('PAY')) || c === 'exception',
    apply: (s) => s.toLowerCase(),
  },
  {
    name: 'split with spaces',
    applies: (c, s) =>
      (['ip', 'internal-domain'].includes(c) && s.includes('.')) ||
      c === 'code-name' ||
      (c === 'ticket' && s.includes('-') && !s.startsWith('PAY')),
    apply: (s) =>
      /^[a-z-]+$/.test(s) ? [...s.replace(/-/g, '')].join(' ') : s.includes('.') ? s.replace(/\./g, ' . ') : s.replace('-', ' '),
  },
];

/** IPv4 addresses in the other numeric forms resolvers accept. */
function numericForms(ip: string): [string, string][] {
  const parts = ip.split('.').map(Number);
  const n = ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
  return [
    ['decimal', `IP ${n}`],
    ['one hex number', `0x${n.toString(16).padStart(8, '0')}`],
    ['hex parts', parts.map((p) => `0x${p.toString(16)}`).join('.')],
    ['octal parts', parts.map((p) => `0${p.toString(8)}`).join('.')],
    ['IPv4-mapped IPv6', `::ffff:${ip}`],
  ];
}

interface LeakCase {
  name: string;
  text: string;
  /** Where the disguised secret sits in text. */
  index: number;
  secret: string;
}

function leakCases(): LeakCase[] {
  const out: LeakCase[] = [];
  const push = (name: string, secret: string) => {
    for (const [lang, sentence] of Object.entries(SENTENCES)) {
      const text = sentence(secret);
      out.push({ name: `${name} (${lang})`, text, index: text.indexOf(secret), secret });
    }
  };
  for (const [cls, base] of BASES) {
    for (const d of DISGUISES) if (d.applies(cls, base)) push(`${cls} ${JSON.stringify(base)}, ${d.name}`, d.apply(base));
    if (cls === 'ip' && /^\d+\.\d+\.\d+\.\d+$/.test(base))
      for (const [form, written] of numericForms(base)) push(`ip ${base} as ${form}`, written);
  }
  return out;
}

const overlaps = (f: GuardFinding, c: LeakCase) => f.index < c.index + c.secret.length && c.index < f.index + f.text.length;

test('every disguised leak of the corpus is refused at the disguised text', () => {
  const cases = leakCases();
  const leaked = cases.filter((c) => !guardExternalText(c.text, rules).some((f) => overlaps(f, c)));
  assert.deepEqual(
    leaked.map((c) => `${c.name}: ${JSON.stringify(c.text)}`),
    [],
    `${leaked.length} of ${cases.length} leaked`,
  );
});

test('the leak corpus has at least 200 disguised leaks over every class and disguise, in both languages', (t) => {
  const cases = leakCases();
  const disguised = cases.filter((c) => !c.name.includes(', as is'));
  t.diagnostic(
    `${cases.length} leaks (${disguised.length} disguised) from ${BASES.length} bases, ${DISGUISES.length} disguises and 5 numeric IPv4 forms`,
  );
  assert.ok(disguised.length >= 200, `${disguised.length} disguised leaks`);
  const classes = new Set(BASES.map(([c]) => c));
  for (const cls of classes)
    assert.ok(
      disguised.some((c) => c.name.startsWith(`${cls} `)),
      `no disguised ${cls}`,
    );
  for (const d of DISGUISES)
    assert.ok(
      cases.some((c) => c.name.includes(`, ${d.name} (`)),
      `disguise ${d.name} never applied`,
    );
  assert.ok(cases.some((c) => c.name.includes('(zh-TW)')) && cases.some((c) => c.name.includes('(en)')));
});

// ───────────── clean customer text ─────────────

/** Every external template of the plan, rendered with sample data for every scenario, phase, locale and channel. */
function renderedTemplateLines(): string[] {
  const renderer = createTemplateRenderer();
  const lines = new Set<string>();
  for (const [scenario, s] of Object.entries(plan.scenarios)) {
    for (const phase of s.kind === 'incident' ? INCIDENT_PHASES : MAINTENANCE_PHASES)
      for (const locale of plan.page.locales)
        for (const channel of CHANNELS) {
          const p = renderPreview(plan, renderer, { scenario, phase, locale, channel, kind: 'external' });
          for (const part of [p.subject, p.text, p.short])
            for (const line of part.split('\n')) if (line.trim()) lines.add(line.trim());
        }
  }
  return [...lines];
}

// Updates written the way public status pages word them (Statuspage's investigating / identified /
// monitoring / resolved updates and scheduled maintenance notices), with product names, times,
// prices and links to the public page.
const STATUSPAGE_UPDATES: string[] = [
  'Investigating - We are currently investigating elevated error rates for card payments. Next update by 14:30 UTC.',
  'Identified - The issue has been identified and a fix is being implemented.',
  'Monitoring - A fix has been implemented and we are monitoring the results.',
  'Resolved - This incident has been resolved. Thank you for your patience.',
  'Update - We are continuing to work on a fix for this issue.',
  'Some customers may experience delays receiving invoice e-mails. Invoices created after 09:15 UTC are affected.',
  'Checkout on acme.com is slower than usual; orders are saved and will be processed.',
  'Acme Pay for iOS 17 and Android 14 cannot add new cards right now. Existing cards keep working.',
  'Customers on the Pro plan ($49/month) and Enterprise plan are not affected.',
  'Refunds of $10.50 or less will be issued automatically by Friday, May 10.',
  'We will credit affected accounts NT$300 on the next invoice.',
  'Prices shown in EUR (€9.99) and JPY (¥1,200) are correct again.',
  'Follow updates at http://localhost:8080/incidents/payments-outage and subscribe for e-mail alerts.',
  `The latest status is always at ${statusUrl}/ — bookmark it.`,
  `See ${statusUrl}/history.html for past incidents.`,
  'Scheduled maintenance: Sunday, June 2, 02:00 – 04:00 UTC (10:00 – 12:00 Taipei time).',
  'During the window, the dashboard will be read-only for up to 15 minutes.',
  'The maintenance has started. We will update this page when it is complete.',
  'The scheduled maintenance has been completed successfully.',
  'We have rescheduled this maintenance to Tuesday, June 4 at 01:00 UTC.',
  'Users of Chrome 124, Safari 17.4 and Firefox 125 may see a blank page after signing in; refreshing helps.',
  'Our Node.js SDK v4.2.1 and Python SDK 3.8.0 retry failed requests automatically.',
  'API requests may fail with 503 Service Unavailable; retry with exponential back-off.',
  'Webhooks sent between 13:05 and 13:40 UTC will be delivered again, in order.',
  'Traffic was moved from our US East region to US West while we restore service.',
  'Two-factor codes by SMS are delayed by up to 10 minutes; the authenticator app works normally.',
  'If you were charged twice, the duplicate charge will be reversed within 3–5 business days.',
  'Error: please try again later.',
  "Don't worry: no data was lost.",
  'About 2% of requests failed between 08:00 and 08:20 (UTC+8).',
  'The incident lasted 1h 25m; 97.3% of payments went through normally.',
  'We apologise for the disruption and are reviewing how to prevent it.',
  'Contact support@acme.com or call +1-555-555-0100 if you need help.',
  'Q2-2024 statements are available again in the billing section.',
  'Our SOC 2 and ISO 27001 controls were not affected.',
  'The Acme Status page is hosted separately, so it stayed available throughout.',
  'Version 5.1.2 of the mobile app fixes the display issue; update from the App Store or Google Play.',
  'We are seeing partial recovery and will post again by 3:45 PM PT.',
  'Payments made with Visa, Mastercard and American Express are processing normally again.',
  'Please retry at 14:30:00 UTC; nothing needs to be done before then.',
  'Update on the 2 p.m. incident: the website and Public API are fully operational.',
  'Start time: 2025-03-10 02:00 UTC. Expected duration: 30 minutes.',
  'Our team is working on it. Next update in 30 minutes or sooner.',
  'Most customers saw no impact; those who did should sign in again.',
  '👨‍👩‍👧 Family plans and shared accounts are not affected.',
  'Invoices #1042 to #1098 will be re-sent; no action is needed.',
  'The status banner on your own site updates by itself.',
  'We will post a full incident report within 5 business days.',
  // zh-TW
  '調查中 - 我們正在調查部分客戶刷卡付款失敗的問題，下一次更新時間為 14:30 UTC。',
  '已確認 - 我們已找出問題原因，正在部署修正。',
  '監控中 - 修正已部署，我們正在觀察結果。',
  '已解決 - 此事件已解決，感謝您的耐心等候。',
  '更新 - 我們仍在處理此問題，將於 30 分鐘內再次更新。',
  '部分客戶可能延遲收到帳單電子郵件；09:15 之後建立的帳單受到影響。',
  'Acme Pay iOS 17 與 Android 14 版目前無法新增卡片，已綁定的卡片仍可正常使用。',
  '專業方案（每月 NT$1,490）與企業方案的客戶不受影響。',
  '我們將於下一期帳單折抵 NT$300 給受影響的帳戶。',
  '退款金額 NT$350 以下將於 5 月 10 日（星期五）前自動退回。',
  '請至 http://localhost:8080/zh-TW/ 查看最新狀態並訂閱通知。',
  `最新狀態請見 ${statusUrl}/zh-TW/incidents/payments-outage。`,
  '定期維護：6 月 2 日（星期日）10:00 – 12:00（台北時間）。',
  '維護期間，管理後台將有最多 15 分鐘僅供讀取。',
  '維護已開始，完成後我們會更新此頁面。',
  '定期維護已順利完成。',
  '此次維護改期至 6 月 4 日（星期二）09:00（台北時間）。',
  '使用 Chrome 124、Safari 17.4 或 Firefox 125 的使用者登入後可能看到空白頁面，重新整理即可。',
  'API 請求可能回傳 503 Service Unavailable，請以指數退避重試。',
  '13:05 至 13:40 UTC 之間送出的 Webhook 將依序重新傳送。',
  '流量已從美東區域移轉至美西，我們正在恢復服務。',
  '簡訊驗證碼最多延遲 10 分鐘，驗證器 App 不受影響。',
  '若您被重複扣款，重複的款項將於 3 至 5 個工作天內退回。',
  '約有 2% 的請求於 08:00 至 08:20（UTC+8）之間失敗。',
  '本次事件持續 1 小時 25 分鐘，97.3% 的付款仍正常完成。',
  '造成不便，敬請見諒；我們正在檢討如何避免再次發生。',
  '如需協助，請寄信至 support@acme.com 或致電 02-1234-5678。',
  '行動應用程式 5.1.2 版已修正顯示問題，請至 App Store 或 Google Play 更新。',
  '我們預計於下午 3:45 前再次更新。',
  'Visa、Mastercard 與 American Express 付款已恢復正常。',
  '請於 14:30:00 UTC 後重試，在此之前無需任何操作。',
  '開始時間：2025-03-10 02:00 UTC，預計持續 30 分鐘。',
  '大多數客戶未受影響；受影響的客戶請重新登入。',
  '帳單 #1042 至 #1098 將重新寄送，您無需採取任何行動。',
  '我們將於 5 個工作天內公布完整的事件報告。',
  '付款功能目前無法使用。',
  '我們的團隊正在處理。',
  '網站與公開 API 均已恢復正常運作。',
  '若您在 2025/05/05 下午 2:30 之後下單，訂單已保存，稍後即可完成付款。',
  '２０２５年５月５日的帳單金額正確無誤。',
];

test('no clean customer sentence is refused: the rendered templates and Statuspage-style updates, en and zh-TW', () => {
  const clean = [...renderedTemplateLines(), ...STATUSPAGE_UPDATES];
  const refused = clean
    .map((text) => ({ text, findings: guardExternalText(text, rules) }))
    .filter((r) => r.findings.length > 0)
    .map((r) => `${JSON.stringify(r.text)}: ${r.findings.map((f) => f.message).join('; ')}`);
  assert.deepEqual(refused, [], `${refused.length} of ${clean.length} clean sentences refused`);
});

test('the clean corpus has at least 200 sentences in en and zh-TW with product names, times, prices and status page links', (t) => {
  const rendered = renderedTemplateLines();
  const clean = [...rendered, ...STATUSPAGE_UPDATES];
  assert.ok(clean.length >= 200, `${clean.length} clean sentences`);
  const zh = clean.filter((t) => /[\u4e00-\u9fff]/.test(t));
  assert.ok(zh.length >= 60 && clean.length - zh.length >= 60, `${zh.length} zh-TW, ${clean.length - zh.length} en`);
  t.diagnostic(
    `${clean.length} clean sentences (${rendered.length} rendered template lines, ${STATUSPAGE_UPDATES.length} updates; ${zh.length} zh-TW)`,
  );
  const has = (re: RegExp, what: string, min: number) =>
    assert.ok(clean.filter((t) => re.test(t)).length >= min, `at least ${min} with ${what}`);
  has(/\b\d{1,2}:\d{2}\b/, 'times', 20);
  has(/(?:\$|NT\$|€|¥)\s?\d/, 'prices', 6);
  has(new RegExp(statusUrl.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), 'links to the public status page', 5);
  has(/\b(?:Acme Pay|iOS|Android|Chrome|Safari|Firefox|Node\.js|Visa|App Store)\b/, 'product names', 6);
});
