import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  describeFindings,
  guardExternalMessage,
  guardExternalText,
  guardRulesForPlan,
  type GuardFinding,
  type GuardFindingKind,
  type GuardRules,
} from '../../core/guard';

// The example plan's code names and internal domains, with a public status page and support domain.
const rules: GuardRules = {
  codeNames: ['bluebird', 'kestrel', 'project-orca'],
  internalDomains: ['acme.internal', 'corp.acme.net'],
  allowedDomains: ['status.acme.com', 'acme.com', 'localhost:8080'],
};

/** Every finding's text is the exact substring at its index, and findings come in text order. */
function checkShape(text: string, findings: GuardFinding[]): void {
  for (const f of findings) {
    assert.equal(text.slice(f.index, f.index + f.text.length), f.text, `finding ${JSON.stringify(f)} points at its text`);
    assert.ok(f.message.length > 0);
  }
  const indexes = findings.map((f) => f.index);
  assert.deepEqual(
    indexes,
    [...indexes].sort((a, b) => a - b),
    'findings are in text order',
  );
}

// ───────────── leaks: each must be refused, with the right kind and the offending text ─────────────

interface Leak {
  name: string;
  text: string;
  kind: GuardFindingKind;
  found: string;
}

const leaks: Leak[] = [
  // host names
  {
    name: 'EC2 private DNS name',
    text: 'The database db-7.prod.us-east-1.compute.internal is not responding.',
    kind: 'hostname',
    found: 'db-7.prod.us-east-1.compute.internal',
  },
  {
    name: 'EC2 ip- host name',
    text: 'Host ip-10-0-1-5.ec2.internal stopped responding.',
    kind: 'hostname',
    found: 'ip-10-0-1-5.ec2.internal',
  },
  { name: '.corp host name', text: 'Traffic through api-gw-02.corp is failing.', kind: 'hostname', found: 'api-gw-02.corp' },
  {
    name: 'single-label machine name',
    text: 'The redis-master-3 node ran out of memory.',
    kind: 'hostname',
    found: 'redis-master-3',
  },
  {
    name: 'Kubernetes pod name',
    text: 'Pod payments-api-7d9f8b6c5-x2k4q was rescheduled.',
    kind: 'hostname',
    found: 'payments-api-7d9f8b6c5-x2k4q',
  },
  { name: 'numbered database host', text: 'The db01 primary failed over.', kind: 'hostname', found: 'db01' },
  {
    name: 'public FQDN not on the allow-list',
    text: 'The bucket acme-prod-logs.s3.amazonaws.com is slow.',
    kind: 'hostname',
    found: 'acme-prod-logs.s3.amazonaws.com',
  },
  {
    name: 'upper-case host under an allowed domain (exact match only)',
    text: 'DB.ACME.COM is slow.',
    kind: 'hostname',
    found: 'DB.ACME.COM',
  },
  { name: 'host:port', text: 'Connections to redis-3:6379 were refused.', kind: 'hostname', found: 'redis-3:6379' },
  { name: 'bare localhost', text: 'The worker on localhost crashed.', kind: 'hostname', found: 'localhost' },
  { name: 'machine name in Chinese text', text: '主機 redis-master-3 記憶體不足。', kind: 'hostname', found: 'redis-master-3' },
  // internal domains
  {
    name: 'host under an internal domain',
    text: 'We restarted payments.acme.internal and it recovered.',
    kind: 'internal-domain',
    found: 'payments.acme.internal',
  },
  {
    name: 'host under a multi-label internal domain',
    text: 'The ledger on ledger-db.corp.acme.net is read-only.',
    kind: 'internal-domain',
    found: 'ledger-db.corp.acme.net',
  },
  {
    name: 'internal host in Chinese text without spaces',
    text: '主機db-7.prod.acme.internal發生錯誤。',
    kind: 'internal-domain',
    found: 'db-7.prod.acme.internal',
  },
  {
    name: 'e-mail address under an internal domain',
    text: 'Contact jane.doe@corp.acme.net for details.',
    kind: 'internal-domain',
    found: 'jane.doe@corp.acme.net',
  },
  // IP addresses
  { name: 'private IPv4', text: 'Errors from 10.0.3.7 spiked.', kind: 'ip-address', found: '10.0.3.7' },
  { name: 'IPv4 with port', text: 'Requests to 192.168.1.20:5432 time out.', kind: 'ip-address', found: '192.168.1.20:5432' },
  { name: 'IPv4 CIDR block', text: 'Our 10.12.0.0/16 subnet is unreachable.', kind: 'ip-address', found: '10.12.0.0/16' },
  { name: 'public IPv4', text: 'Traffic from 54.239.28.85 was blocked.', kind: 'ip-address', found: '54.239.28.85' },
  {
    name: 'compressed IPv6',
    text: 'The server at 2001:db8::8a2e:370:7334 failed.',
    kind: 'ip-address',
    found: '2001:db8::8a2e:370:7334',
  },
  { name: 'IPv6 loopback', text: 'Loopback ::1 refused the connection.', kind: 'ip-address', found: '::1' },
  { name: 'IPv6 with zone, before a full stop', text: 'It listens on fe80::1%eth0.', kind: 'ip-address', found: 'fe80::1%eth0' },
  { name: 'IPv4 in Chinese text', text: '伺服器 10.0.3.7 無法連線。', kind: 'ip-address', found: '10.0.3.7' },
  {
    name: 'link to a public IP address',
    text: 'Check http://54.239.28.85/health now.',
    kind: 'ip-address',
    found: 'http://54.239.28.85/health',
  },
  // cloud identifiers
  {
    name: 'S3 bucket ARN',
    text: 'Bucket arn:aws:s3:::acme-prod-invoices is not accessible.',
    kind: 'arn',
    found: 'arn:aws:s3:::acme-prod-invoices',
  },
  {
    name: 'IAM role ARN',
    text: 'Role arn:aws:iam::123456789012:role/payments-worker lacks access.',
    kind: 'arn',
    found: 'arn:aws:iam::123456789012:role/payments-worker',
  },
  {
    name: 'RDS ARN',
    text: 'See arn:aws:rds:us-east-1:123456789012:db:payments-primary.',
    kind: 'arn',
    found: 'arn:aws:rds:us-east-1:123456789012:db:payments-primary',
  },
  { name: 'AWS account id', text: 'Account 123456789012 hit its limit.', kind: 'account-id', found: '123456789012' },
  {
    name: 'AWS account id as the console shows it',
    text: 'Account 1234-5678-9012 hit its limit.',
    kind: 'account-id',
    found: '1234-5678-9012',
  },
  {
    name: 'Azure subscription GUID',
    text: 'Subscription 3f2b8c1e-9d4a-4f6b-8e2c-1a2b3c4d5e6f is throttled.',
    kind: 'account-id',
    found: '3f2b8c1e-9d4a-4f6b-8e2c-1a2b3c4d5e6f',
  },
  {
    name: 'EC2 instance id',
    text: 'Instance i-0abc12345def67890 was terminated.',
    kind: 'resource-id',
    found: 'i-0abc12345def67890',
  },
  { name: 'security group id', text: 'Rule sg-0123abcd was changed.', kind: 'resource-id', found: 'sg-0123abcd' },
  { name: 'AWS access key', text: 'Key AKIAIOSFODNN7EXAMPLE was rotated.', kind: 'credential', found: 'AKIAIOSFODNN7EXAMPLE' },
  // stack traces
  {
    name: 'JavaScript frame',
    text: 'Failed\n    at Foo.bar (file.js:10:5)',
    kind: 'stack-trace',
    found: 'at Foo.bar (file.js:10:5)',
  },
  {
    name: 'anonymous JavaScript frame',
    text: 'Failed at /app/dist/server.js:120:15 today',
    kind: 'stack-trace',
    found: 'at /app/dist/server.js:120:15',
  },
  {
    name: 'Java frame',
    text: 'at com.acme.Foo.bar(Foo.java:42)',
    kind: 'stack-trace',
    found: 'at com.acme.Foo.bar(Foo.java:42)',
  },
  {
    name: '.NET frame',
    text: 'at Acme.Payments.Charger.Charge(String id) in C:\\src\\Charger.cs:line 42',
    kind: 'stack-trace',
    found: 'at Acme.Payments.Charger.Charge(String id) in C:\\src\\Charger.cs:line 42',
  },
  {
    name: 'Python traceback header',
    text: 'Traceback (most recent call last):',
    kind: 'stack-trace',
    found: 'Traceback (most recent call last):',
  },
  { name: 'Python frame', text: 'It broke in File "x.py", line 3 somehow.', kind: 'stack-trace', found: 'File "x.py", line 3' },
  { name: 'Go goroutine header', text: 'goroutine 1 [running]:', kind: 'stack-trace', found: 'goroutine 1 [running]:' },
  {
    name: 'Ruby frame',
    text: "from /app/lib/pay.rb:10:in `charge'",
    kind: 'stack-trace',
    found: "/app/lib/pay.rb:10:in `charge'",
  },
  {
    name: 'consecutive frames are one finding',
    text: 'Oops\n    at Foo.bar (/app/src/pay.js:10:5)\n    at async Server.handle (/app/node_modules/x/router.js:284:7)\nDone.',
    kind: 'stack-trace',
    found: 'at Foo.bar (/app/src/pay.js:10:5)\n    at async Server.handle (/app/node_modules/x/router.js:284:7)',
  },
  // exception and error names
  {
    name: 'Java exception',
    text: 'A NullPointerException in the checkout flow.',
    kind: 'exception-name',
    found: 'NullPointerException',
  },
  {
    name: 'qualified Java exception',
    text: 'Caused by java.lang.IllegalStateException here.',
    kind: 'exception-name',
    found: 'java.lang.IllegalStateException',
  },
  {
    name: 'JavaScript error type',
    text: "TypeError: Cannot read properties of undefined (reading 'amount')",
    kind: 'exception-name',
    found: 'TypeError',
  },
  { name: 'errno code', text: 'connect ECONNREFUSED on the payment provider.', kind: 'exception-name', found: 'ECONNREFUSED' },
  { name: 'JVM error', text: 'Workers died with OutOfMemoryError.', kind: 'exception-name', found: 'OutOfMemoryError' },
  { name: 'signal name', text: 'The process got SIGKILL from the kernel.', kind: 'exception-name', found: 'SIGKILL' },
  { name: 'Go panic at line start', text: 'panic: assignment to entry in nil map', kind: 'exception-name', found: 'panic:' },
  {
    name: 'Go runtime panic mid-text',
    text: 'Logs said panic: runtime error: index out of range',
    kind: 'exception-name',
    found: 'panic: runtime error',
  },
  {
    name: 'Node.js error code',
    text: 'ERR_TLS_CERT_ALTNAME_INVALID from the proxy.',
    kind: 'exception-name',
    found: 'ERR_TLS_CERT_ALTNAME_INVALID',
  },
  { name: 'Kubernetes state', text: 'Pods are in CrashLoopBackOff.', kind: 'exception-name', found: 'CrashLoopBackOff' },
  { name: 'Oracle error code', text: 'The database returned ORA-00054.', kind: 'exception-name', found: 'ORA-00054' },
  // file paths
  {
    name: 'Unix log path',
    text: 'Logs in /var/log/payments/error.log show the cause.',
    kind: 'file-path',
    found: '/var/log/payments/error.log',
  },
  { name: 'Unix config path', text: 'We changed /etc/nginx/nginx.conf.', kind: 'file-path', found: '/etc/nginx/nginx.conf' },
  {
    name: 'Windows path with spaces',
    text: 'The config at C:\\Program Files\\Acme\\config.ini was wrong.',
    kind: 'file-path',
    found: 'C:\\Program Files\\Acme\\config.ini',
  },
  { name: 'relative path', text: 'A bug in ./src/x.ts caused this.', kind: 'file-path', found: './src/x.ts' },
  {
    name: 'source path without ./',
    text: 'Fixed in src/handlers/pay.ts today.',
    kind: 'file-path',
    found: 'src/handlers/pay.ts',
  },
  { name: 'file name with line number', text: 'The handler.py:42 check failed.', kind: 'file-path', found: 'handler.py:42' },
  { name: 'home path', text: 'Keys in ~/.aws/credentials were stale.', kind: 'file-path', found: '~/.aws/credentials' },
  // tickets
  { name: 'incident ticket', text: 'Tracked in INC-1234.', kind: 'ticket', found: 'INC-1234' },
  { name: 'Jira key', text: 'See JIRA-88 for details.', kind: 'ticket', found: 'JIRA-88' },
  { name: 'ops ticket', text: 'Follow OPS-4521.', kind: 'ticket', found: 'OPS-4521' },
  { name: 'PagerDuty number', text: 'PagerDuty PD#12345 was triggered.', kind: 'ticket', found: 'PD#12345' },
  { name: 'ServiceNow number', text: 'ServiceNow INC0012345 is open.', kind: 'ticket', found: 'INC0012345' },
  { name: 'project key with three digits', text: 'Fix shipped in PAY-321.', kind: 'ticket', found: 'PAY-321' },
  { name: 'ticket #', text: 'Ticket #4521 tracks this.', kind: 'ticket', found: 'Ticket #4521' },
  {
    name: 'Jira link',
    text: 'Details at https://acme.atlassian.net/browse/PAY-321',
    kind: 'ticket',
    found: 'https://acme.atlassian.net/browse/PAY-321',
  },
  {
    name: 'Zendesk link',
    text: 'See https://acme.zendesk.com/agent/tickets/4521.',
    kind: 'ticket',
    found: 'https://acme.zendesk.com/agent/tickets/4521',
  },
  {
    name: 'PagerDuty link',
    text: 'Alert https://acme.pagerduty.com/incidents/P1ABC23',
    kind: 'ticket',
    found: 'https://acme.pagerduty.com/incidents/P1ABC23',
  },
  {
    name: 'GitHub issue link',
    text: 'Look at https://github.com/acme/payments/issues/42',
    kind: 'ticket',
    found: 'https://github.com/acme/payments/issues/42',
  },
  // chat
  { name: 'incident Slack channel', text: 'Join #incident-123 for updates.', kind: 'chat-channel', found: '#incident-123' },
  { name: 'ops Slack channel', text: 'Posted in #ops-alerts.', kind: 'chat-channel', found: '#ops-alerts' },
  {
    name: 'Slack channel mention',
    text: 'See <#C024BE91L|incident-payments> for more.',
    kind: 'chat-channel',
    found: '<#C024BE91L|incident-payments>',
  },
  {
    name: 'Slack link',
    text: 'Thread: https://acme.slack.com/archives/C024BE91L/p1715',
    kind: 'chat-channel',
    found: 'https://acme.slack.com/archives/C024BE91L/p1715',
  },
  // code names
  { name: 'code name, capitalised', text: 'Project Kestrel rollout caused the outage.', kind: 'code-name', found: 'Kestrel' },
  { name: 'code name, lower case', text: 'The bluebird migration is delayed.', kind: 'code-name', found: 'bluebird' },
  { name: 'dashed code name written with a space', text: 'Project Orca is paused.', kind: 'code-name', found: 'Project Orca' },
  { name: 'code name inside Chinese text', text: '使用kestrel系統的付款失敗。', kind: 'code-name', found: 'kestrel' },
  // links
  {
    name: 'localhost link on another port',
    text: 'Dashboard at http://localhost:3000/d/payments',
    kind: 'url-internal',
    found: 'http://localhost:3000/d/payments',
  },
  {
    name: 'private IP link',
    text: 'Check http://10.0.0.12:8080/health',
    kind: 'url-internal',
    found: 'http://10.0.0.12:8080/health',
  },
  {
    name: 'internal-domain link',
    text: 'See https://grafana.acme.internal/d/abc.',
    kind: 'url-internal',
    found: 'https://grafana.acme.internal/d/abc',
  },
  {
    name: 'single-label host link',
    text: 'Deploys at http://jenkins:8080/job/deploy failed.',
    kind: 'url-internal',
    found: 'http://jenkins:8080/job/deploy',
  },
  {
    name: 'internal link without scheme',
    text: 'Open grafana.acme.internal/d/abc now.',
    kind: 'url-internal',
    found: 'grafana.acme.internal/d/abc',
  },
  {
    name: 'public link not on the allow-list',
    text: 'Graph: https://grafana.com/d/xyz',
    kind: 'url-external',
    found: 'https://grafana.com/d/xyz',
  },
  {
    name: 'runbook link in Chinese text',
    text: '請參考https://wiki.acme-ops.io/runbooks/payments處理。',
    kind: 'url-external',
    found: 'https://wiki.acme-ops.io/runbooks/payments',
  },
  {
    name: 'staff e-mail on another domain',
    text: 'Email oncall@acme-ops.io now.',
    kind: 'email-address',
    found: 'oncall@acme-ops.io',
  },
];

for (const c of leaks) {
  test(`refuses ${c.kind}: ${c.name}`, () => {
    const findings = guardExternalText(c.text, rules);
    checkShape(c.text, findings);
    const hit = findings.find((f) => f.text === c.found);
    assert.ok(hit, `expected "${c.found}" to be reported; got ${JSON.stringify(findings)}`);
    assert.equal(hit.kind, c.kind);
    assert.equal(hit.index, c.text.indexOf(c.found));
    assert.ok(hit.message.startsWith('remove the '), hit.message);
  });
}

test('there are at least 40 leak cases and they cover every kind', () => {
  assert.ok(leaks.length >= 40, `${leaks.length} leak cases`);
  const kinds = new Set(leaks.map((c) => c.kind));
  for (const kind of [
    'hostname',
    'internal-domain',
    'ip-address',
    'arn',
    'account-id',
    'resource-id',
    'credential',
    'stack-trace',
    'exception-name',
    'file-path',
    'ticket',
    'chat-channel',
    'code-name',
    'url-internal',
    'url-external',
    'email-address',
  ] satisfies GuardFindingKind[]) {
    assert.ok(kinds.has(kind), `no leak case for ${kind}`);
  }
});

// ───────────── clean customer prose: must pass untouched ─────────────

const clean: string[] = [
  'Payments are failing for some customers. Next update by 14:30 UTC.',
  'We expect recovery by 3 p.m.',
  '付款功能目前無法使用，下一次更新時間為 14:30 UTC。',
  'Card payments and checkout are unavailable. Orders are saved; you can complete payment later from your order history.',
  'Public API requests may fail. Retry failed requests with exponential back-off; requests are safe to repeat.',
  'We are investigating elevated error rates for API requests since 2:30 PM.',
  'Scheduled maintenance on 2025-03-10 from 02:00 to 04:00 UTC.',
  'About 12.5% of requests were affected for 1.5 hours.',
  'Refunds of $10.50 will be issued automatically.',
  'Our Node.js and Python SDKs (v2.3.1 and later) are affected, e.g. when uploading files, i.e. large ones.',
  'See https://status.acme.com/incidents/abc123 for updates.',
  'Contact support@acme.com if you need help.',
  'Visit http://localhost:8080/incidents/payments for the latest status.',
  'The issue is resolved. Thank you for your patience!',
  '您仍可使用行動應用程式查看帳戶。',
  '請以指數退避重試失敗的請求；重複送出請求是安全的。',
  '我們預計於 2025/03/10 下午 3:30 恢復服務。',
  '約有 5% 的請求受到影響，持續約 1.5 小時。',
  'Traffic was moved to another region (us-east-1) while we restore service in US West.',
  'Tier-1 customers will receive a credit of NT$300.',
  "Don't panic: your data is safe.",
  'Some customers see a Network Error when signing in.',
  'Invoices created between 10:00 and 12:00 on May 5 may show the wrong total.',
  'Version 4.2.0.1 of the mobile app fixes the display issue.',
  "We're #1 in uptime, and nothing is lost.",
  'The Acme dashboard is slow for some users in the U.S. and the E.U.',
  'Signing in with SSO (SAML 2.0) fails for some accounts.',
  'Webhooks are delayed by up to 15 minutes; they will be delivered in order.',
  'ISO-8601 timestamps, UTF-8 text and SHA-256 signatures are unchanged.',
  'Q3-2024 invoices are available again.',
  'Call us at +886212345678 or +1-555-555-0100.',
  'The /v2/payments endpoint returns 503 Service Unavailable for some requests.',
  'Error: please try again later.',
  '更新：付款服務已恢復正常（14:30 UTC）。',
  '行動應用程式版本 v5.1.2 已修正此問題。',
  'Please retry after 14:30:00 UTC.',
  'We are working on it.Next update soon.',
  'The outage lasted 1h30m; 3/4 of customers were not affected.',
  'Orders placed on acme.com between 10:00 and 10:45 may need to be re-submitted.',
  '請見 https://status.acme.com/incidents/abc123 取得最新消息。',
  '請見http://localhost:8080/incidents/abc查看最新狀態',
  'Chrome 124.0.6367.91 users are not affected.',
  'Some customers could not sign in between 9:05 and 9:40 a.m. PT.',
  'We apologise for the inconvenience. 造成不便，敬請見諒。',
  '部分客戶於 14:05 至 14:40 (UTC+8) 之間無法登入，您的資料安全無虞。',
  'Failing since 2024-05-05T14:30:00Z; 24/7 support is available by phone and/or chat.',
  'Our Chart.js widgets, the socket.io client and ASP.NET apps keep working.',
  '<p style="color:#333">Payments are failing. <a href="https://status.acme.com/incidents/x">Status</a><br/>Next update by 14:30 UTC.&nbsp;&#39;</p>',
  'Kestrels and bluebirds are birds; this sentence names no project.',
  'Maintenance window: Sat 02:00–04:00 UTC. Expected downtime: 30 minutes.',
];

for (const [i, text] of clean.entries()) {
  test(`passes clean prose #${i + 1}: ${text.replace(/\s+/g, ' ').slice(0, 60)}`, () => {
    assert.deepEqual(guardExternalText(text, rules), []);
  });
}

test('there are at least 40 clean sentences, in English and Traditional Chinese', () => {
  assert.ok(clean.length >= 40, `${clean.length} clean cases`);
  assert.ok(clean.filter((t) => /[\u4e00-\u9fff]/.test(t)).length >= 10, 'at least 10 zh-TW sentences');
});

// ───────────── describeFindings ─────────────

test('describeFindings lists what must change in one sentence', () => {
  const findings = guardExternalText('Host 10.0.3.7 runs kestrel.', rules);
  assert.equal(describeFindings(findings), 'remove the IP address "10.0.3.7"; remove the internal code name "kestrel"');
});

test('describeFindings says nothing when nothing must change', () => {
  assert.equal(describeFindings([]), '');
  assert.equal(describeFindings(guardExternalMessage({ subject: 'All good' }, rules)), '');
});

test('describeFindings lists a repeated problem once', () => {
  const findings = guardExternalText('10.0.3.7 failed, then 10.0.3.7 failed again.', rules);
  assert.equal(findings.length, 2);
  assert.equal(describeFindings(findings), 'remove the IP address "10.0.3.7"');
});

test('describeFindings names the fields of a message', () => {
  const results = guardExternalMessage({ subject: 'Payments down on 10.0.3.7', text: 'kestrel failed at 10.0.3.7' }, rules);
  assert.equal(
    describeFindings(results),
    'remove the IP address "10.0.3.7" (in subject, text); remove the internal code name "kestrel" (in text)',
  );
});

test('describeFindings shortens a long offending text', () => {
  const trace =
    'Oops\n' + Array.from({ length: 5 }, (_, i) => `    at Foo.step${i} (/app/src/pipeline/step${i}.js:1${i}:5)`).join('\n');
  const findings = guardExternalText(trace, rules);
  assert.equal(findings.length, 1);
  const sentence = describeFindings(findings);
  assert.match(sentence, /^remove the stack trace "at Foo\.step0 \(\/app\/src\/pipeline\/step0\.js:10:5\) at Foo\.step1 .*…"$/);
  assert.ok(sentence.length < 120, sentence);
});

test('a link off the allow-list says which hosts may appear', () => {
  const [finding] = guardExternalText('Graph: https://grafana.com/d/xyz', rules);
  assert.equal(
    finding?.message,
    'remove the link "https://grafana.com/d/xyz" (only status.acme.com, acme.com, localhost:8080 may appear)',
  );
});

// ───────────── allowedDomains ─────────────

test('a link to the status page host passes only when it is allowed', () => {
  const text = 'Follow https://status.acme.com/incidents/abc for updates.';
  assert.deepEqual(guardExternalText(text, rules), []);
  const without = guardExternalText(text, { ...rules, allowedDomains: [] });
  assert.deepEqual(
    without.map((f) => [f.kind, f.text]),
    [['url-external', 'https://status.acme.com/incidents/abc']],
  );
  assert.deepEqual(
    guardExternalText(text, { codeNames: [], internalDomains: [] }).map((f) => f.kind),
    ['url-external'],
    'allowedDomains is optional',
  );
});

test('an allowed domain covers that host only unless written as *.domain', () => {
  const text = 'Open www.acme.com/help and https://app.acme.com/settings.';
  assert.deepEqual(
    guardExternalText(text, { ...rules, allowedDomains: ['acme.com'] }).map((f) => f.text),
    ['www.acme.com/help', 'https://app.acme.com/settings'],
  );
  assert.deepEqual(guardExternalText(text, { ...rules, allowedDomains: ['*.acme.com'] }), []);
});

test('an allowed entry with a port allows that port only', () => {
  const allowed = { ...rules, allowedDomains: ['http://localhost:8080/'] };
  assert.deepEqual(guardExternalText('Status: http://localhost:8080/incidents/x', allowed), []);
  assert.deepEqual(
    guardExternalText('Grafana: http://localhost:3000/d/x', allowed).map((f) => f.kind),
    ['url-internal'],
  );
});

test('an allowed https host with its default port written out still passes', () => {
  assert.deepEqual(guardExternalText('See https://status.acme.com:443/x', rules), []);
});

test('the more specific of an allowed and an internal domain decides', () => {
  const mixed: GuardRules = { codeNames: [], internalDomains: ['acme.internal'], allowedDomains: ['status.acme.internal'] };
  assert.deepEqual(guardExternalText('See https://status.acme.internal/x', mixed), []);
  assert.deepEqual(
    guardExternalText('See https://grafana.acme.internal/x', mixed).map((f) => f.kind),
    ['url-internal'],
  );
  const tie: GuardRules = { codeNames: [], internalDomains: ['acme.net'], allowedDomains: ['acme.net'] };
  assert.equal(guardExternalText('See acme.net', tie)[0]?.kind, 'internal-domain', 'a tie refuses');
});

test('a support e-mail on an allowed domain passes; other addresses do not', () => {
  assert.deepEqual(guardExternalText('Write to support@acme.com.', rules), []);
  assert.deepEqual(
    guardExternalText('Write to support@acme.com.', { ...rules, allowedDomains: ['status.acme.com'] }).map((f) => f.kind),
    ['email-address'],
  );
});

test('an allowed link still may not carry a code name or an internal host', () => {
  const findings = guardExternalText('See https://status.acme.com/kestrel?from=db.acme.internal', rules);
  assert.deepEqual(
    findings.map((f) => [f.kind, f.text]),
    [
      ['code-name', 'kestrel'],
      ['internal-domain', 'db.acme.internal'],
    ],
  );
});

test('guardRulesForPlan allows the example plan status page and carries its code names', () => {
  const plan = parse(readFileSync(join(__dirname, '../../plans/example.yaml'), 'utf8')) as {
    codeNames: string[];
    internalDomains: string[];
    page: { url: string };
  };
  const planRules = guardRulesForPlan(plan, ['acme.com']);
  assert.deepEqual(planRules.codeNames, plan.codeNames);
  assert.deepEqual(planRules.internalDomains, plan.internalDomains);
  assert.deepEqual(planRules.allowedDomains, ['localhost:8080', 'acme.com']);
  assert.deepEqual(guardExternalText(`Latest news: ${plan.page.url}/incidents/x`, planRules), []);
  assert.deepEqual(
    guardExternalText('project-orca hit db.corp.acme.net', planRules).map((f) => f.kind),
    ['code-name', 'internal-domain'],
  );
});

// ───────────── codeNames from the rules object ─────────────

test('code names come from the rules, not from a built-in list', () => {
  const text = 'The Phoenix cut-over is late.';
  assert.deepEqual(guardExternalText(text, rules), []);
  const findings = guardExternalText(text, { ...rules, codeNames: ['phoenix'] });
  assert.deepEqual(
    findings.map((f) => [f.kind, f.text, f.index]),
    [['code-name', 'Phoenix', 4]],
  );
  assert.equal(findings[0]?.message, 'remove the internal code name "Phoenix"');
});

test('code names match whole words only, in any case', () => {
  assert.deepEqual(
    guardExternalText('KESTREL, Kestrel and kestrel.', rules).map((f) => f.text),
    ['KESTREL', 'Kestrel', 'kestrel'],
  );
  assert.deepEqual(guardExternalText('kestrels, bluebirds and orcas', rules), []);
  assert.deepEqual(
    guardExternalText('kestrel-team and team_bluebird', rules).map((f) => f.text),
    ['kestrel', 'bluebird'],
  );
});

test('dashes, underscores and spaces in a code name are interchangeable', () => {
  assert.deepEqual(
    guardExternalText('project-orca, Project_Orca and PROJECT ORCA', rules).map((f) => f.text),
    ['project-orca', 'Project_Orca', 'PROJECT ORCA'],
  );
});

test('code names are matched literally, not as patterns', () => {
  const literal: GuardRules = { codeNames: ['orca.v2', '(beta)'], internalDomains: [] };
  assert.deepEqual(guardExternalText('orcaxv2 is fine', literal), []);
  assert.deepEqual(
    guardExternalText('orca.v2 and (beta) are not', literal).map((f) => f.text),
    ['orca.v2', '(beta)'],
  );
});

test('a non-Latin code name matches inside Chinese text', () => {
  const zh: GuardRules = { codeNames: ['青鳥'], internalDomains: [] };
  assert.deepEqual(
    guardExternalText('青鳥專案延後。', zh).map((f) => f.text),
    ['青鳥'],
  );
});

test('blank code names and domains in the rules are ignored', () => {
  assert.deepEqual(
    guardExternalText('Payments are back.', { codeNames: ['', '  '], internalDomains: [''], allowedDomains: [''] }),
    [],
  );
});

// ───────────── guardExternalMessage ─────────────

test('guardExternalMessage names the field that leaks', () => {
  const results = guardExternalMessage(
    { subject: 'Payments are failing', text: 'The db-7.prod.us-east-1.compute.internal host is down.', short: 'Payments down' },
    rules,
  );
  assert.equal(results.length, 1);
  assert.equal(results[0]?.field, 'text');
  assert.deepEqual(
    results[0]?.findings.map((f) => [f.kind, f.text]),
    [['hostname', 'db-7.prod.us-east-1.compute.internal']],
  );
});

test("guardExternalMessage checks an operator's message under its own name, in the given order", () => {
  const results = guardExternalMessage(
    { message: 'Rolled back bluebird; see INC-1234.', subject: 'Update on 10.0.3.7', text: undefined },
    rules,
  );
  assert.deepEqual(
    results.map((r) => [r.field, r.findings.map((f) => f.kind)]),
    [
      ['message', ['code-name', 'ticket']],
      ['subject', ['ip-address']],
    ],
  );
});

test('guardExternalMessage returns nothing for a clean message', () => {
  assert.deepEqual(
    guardExternalMessage(
      {
        subject: 'Payments: investigating',
        text: 'Card payments are failing for some customers. Next update by 14:30 UTC. https://status.acme.com',
        short: '付款功能目前無法使用，下一次更新時間為 14:30 UTC。',
        html: undefined,
      },
      rules,
    ),
    [],
  );
});

// ───────────── overall behaviour ─────────────

test('a message with several leaks reports each, once, in order', () => {
  const text = 'kestrel on 10.0.3.7 threw NullPointerException; see INC-1234 in #incident-123.';
  const findings = guardExternalText(text, rules);
  checkShape(text, findings);
  assert.deepEqual(
    findings.map((f) => [f.kind, f.text]),
    [
      ['code-name', 'kestrel'],
      ['ip-address', '10.0.3.7'],
      ['exception-name', 'NullPointerException'],
      ['ticket', 'INC-1234'],
      ['chat-channel', '#incident-123'],
    ],
  );
});

test('a stack frame is reported as a stack trace, not as the file path inside it', () => {
  const findings = guardExternalText('at Foo.bar (/var/app/file.js:10:5)', rules);
  assert.deepEqual(
    findings.map((f) => f.kind),
    ['stack-trace'],
  );
});

test('the guard is deterministic', () => {
  const text = 'kestrel on 10.0.3.7, see https://grafana.com/x and /var/log/x.log';
  assert.deepEqual(guardExternalText(text, rules), guardExternalText(text, rules));
});

test('an access key is not repeated in full in the message', () => {
  const [finding] = guardExternalText('Key AKIAIOSFODNN7EXAMPLE leaked.', rules);
  assert.equal(finding?.text, 'AKIAIOSFODNN7EXAMPLE');
  assert.ok(!finding?.message.includes('AKIAIOSFODNN7EXAMPLE'), finding?.message);
});

test('large and pathological inputs finish quickly', () => {
  const inputs = [
    'Payments are failing for some customers. 付款功能目前無法使用。 '.repeat(2000),
    'a-'.repeat(20000) + '!',
    'at a.'.repeat(4000) + ':',
    '0:'.repeat(20000),
    '/var/' + 'x/'.repeat(20000),
  ];
  for (const input of inputs) {
    const started = Date.now();
    guardExternalText(input, rules);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms on ${JSON.stringify(input.slice(0, 10))}…`);
  }
});
