import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../support/ports';
import { startApi, TOKENS, type ApiHarness } from './api.harness';

// `herald …` as an operator types it, against the API on a real dev server.

const BIN = join(__dirname, '..', '..', 'cli', 'bin.js');

describe('the herald CLI drives incidents and maintenances through the API', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi();
  });
  after(async () => {
    await h.stop();
  });

  const herald = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        {
          env: { ...process.env, HERALD_API_URL: h.base, HERALD_TOKEN: TOKENS.operator, NO_COLOR: '1', ...env },
          timeout: 60_000,
        },
        (err, stdout, stderr) => {
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });

  test('incident declare, update, approve, list, show and resolve; errors are one line and exit 1', async () => {
    const declared = await herald([
      'incident',
      'declare',
      '--title',
      'Checkout failing',
      '--scenario',
      'outage',
      '-c',
      'payments',
      '-m',
      'Some customers cannot check out.',
      '--severity',
      'sev1',
    ]);
    assert.equal(declared.code, 0, declared.stderr);
    const id = declared.stdout.trim();
    assert.match(id, /^incident-checkout-failing-[0-9a-f]{8}$/);

    const approved = await herald(['incident', 'approve', id]);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /approved 1/);

    const updated = await herald([
      'incident',
      'update',
      id,
      '--status',
      'identified',
      '-m',
      'We found the cause.',
      '--eta',
      '+2h',
    ]);
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /published #\d+: identified/);

    const refused = await herald(['incident', 'update', id, '--status', 'investigating', '-m', 'Back.']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /^herald: Conflict \(409\): .*cannot go back from identified to investigating/);

    const guard = await herald(['incident', 'update', id, '--status', 'identified', '-m', 'db01.acme.internal is down']);
    assert.equal(guard.code, 1);
    assert.match(guard.stderr, /\(422\).*db01\.acme\.internal/);

    const shown = await herald(['incident', 'show', id]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Checkout failing/);
    assert.match(shown.stdout, /declared/);
    assert.match(shown.stdout, /alice/);

    const asJson = await herald(['incident', 'show', id, '--json']);
    assert.equal((JSON.parse(asJson.stdout) as { status: string }).status, 'identified');

    const resolved = await herald(['incident', 'resolve', id, '-m', 'Checkout works again.']);
    assert.equal(resolved.code, 0, resolved.stderr);
    assert.match(resolved.stdout, /resolved/);

    let listed: { incidents: { id: string; status: string }[] } = { incidents: [] };
    for (let i = 0; i < 50 && !listed.incidents.some((x) => x.id === id && x.status === 'resolved'); i++) {
      listed = JSON.parse((await herald(['incident', 'list', '--status', 'resolved', '--json'])).stdout);
      if (!listed.incidents.some((x) => x.id === id)) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(listed.incidents.some((x) => x.id === id));
    const table = await herald(['incident', 'list', '--component', 'payments']);
    assert.match(table.stdout, new RegExp(id));
    assert.match(table.stdout, /┌/);
  });

  test('incident declare --wait prints the id first and returns once only approvals are outstanding', async () => {
    const r = await herald([
      'incident',
      'declare',
      '--title',
      'API slow',
      '--scenario',
      'degradation',
      '-c',
      'api',
      '-m',
      'Some API requests are slow.',
      '--wait',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { id: string; deliveries: { phase: string; report: unknown; error: string | null }[] };
    const initial = out.deliveries.filter((d) => d.phase === 'initial');
    assert.equal(initial.length, 2, 'customers and staff');
    assert.ok(initial.every((d) => d.report || d.error));
    // Customers and enterprise need approval: the wait ends once staff have it, and says what waits.
    const waiting = await herald([
      'incident',
      'declare',
      '--title',
      'Payments down',
      '--scenario',
      'outage',
      '-c',
      'payments',
      '-m',
      'Card payments fail.',
      '--wait',
      '--wait-timeout',
      '60',
    ]);
    assert.equal(waiting.code, 0, waiting.stderr);
    const id = waiting.stdout.trim().split('\n')[0]!;
    assert.match(id, /^incident-payments-down-[0-9a-f]+$/, 'the id comes first');
    assert.match(
      waiting.stderr,
      new RegExp(
        `the message to customers, enterprise waits for approval \\(#1\\); it goes out by itself in the plan's wording at \\S+: herald incident approve ${id} --seq 1, or herald incident reject ${id} --seq 1 --reason`,
      ),
    );
    const listed = await herald(['incident', 'list', '--status', 'investigating']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /awaiting approval/);
    assert.match(listed.stdout, /#1 to customers,\s*enterprise; goes out by itself \d\d:\d\d UTC/);
    const noReason = await herald(['incident', 'reject', id, '--seq', '1']);
    assert.notEqual(noReason.code, 0);
    assert.match(noReason.stderr, /--reason/);
    const rejected = await herald(['incident', 'reject', id, '--seq', '1', '--reason', 'Wrong product name.']);
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.match(rejected.stdout, /rejected 1: nothing of it goes out/);
    const again = await herald(['incident', 'reject', id, '--seq', '1', '--reason', 'Twice.']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /nothing is waiting for approval/);
    const shown = await herald(['incident', 'show', id]);
    assert.match(shown.stdout, /awaiting approval\s*│\s*nothing/);
    assert.match(shown.stdout, /rejection/);
  });

  test('maintenance schedule, reschedule, list and cancel', async () => {
    const scheduled = await herald([
      'maintenance',
      'schedule',
      '--title',
      'Network upgrade',
      '-c',
      'api,website',
      '--from',
      '+3d',
      '--until',
      '+4d',
      '-m',
      'The API may be slower.',
      '--message-zh-TW',
      'API 的回應可能會變慢。',
    ]);
    assert.equal(scheduled.code, 0, scheduled.stderr);
    assert.doesNotMatch(scheduled.stderr, /note:/, 'words in every locale');
    const id = scheduled.stdout.trim();
    assert.match(id, /^maintenance-network-upgrade-[0-9a-f]{8}$/);
    await new Promise((r) => setTimeout(r, 300));
    const moved = await herald([
      'maintenance',
      'reschedule',
      id,
      '--from',
      '+5d',
      '--until',
      '+6d',
      '-m',
      'We moved it by two days.',
      '--json',
    ]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal((JSON.parse(moved.stdout) as { status: string }).status, 'scheduled');
    assert.match(moved.stderr, /note: no words in zh-TW; those readers get the plan's wording/);
    const cancelled = await herald(['maintenance', 'cancel', id, '--message-zh-TW', '這項作業已不需要進行。']);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stdout, /cancelled/);
    assert.match(cancelled.stderr, /note: no words in en;/);
    const shown = await herald(['maintenance', 'show', id, '--json']);
    const timeline = (JSON.parse(shown.stdout) as { timeline: { phase: string; message: unknown }[] }).timeline;
    assert.deepEqual(
      timeline.map((e) => [e.phase, e.message]),
      [
        ['announce', { en: 'The API may be slower.', 'zh-TW': 'API 的回應可能會變慢。' }],
        ['reschedule', { en: 'We moved it by two days.' }],
        ['cancel', { 'zh-TW': '這項作業已不需要進行。' }],
      ],
    );
    const again = await herald(['maintenance', 'complete', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /\(409\)/);
    const bad = await herald([
      'maintenance',
      'schedule',
      '--title',
      'Soon',
      '-c',
      'api',
      '--from',
      'tomorrow',
      '--until',
      '+1d',
      '-m',
      'x',
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /"tomorrow" is not a date-time/);
  });

  test('preview renders a template; usage errors exit 2; an unreachable API or a bad token is one clear line', async () => {
    const port = await freePort();
    const [p, usage, down, badToken] = await Promise.all([
      herald(['preview', '--scenario', 'outage', '--phase', 'resolved', '--channel', 'sms', '--locale', 'zh-TW']),
      herald(['incident', 'declare', '--title', 'x']),
      herald(['incident', 'list'], { HERALD_API_URL: `http://127.0.0.1:${port}` }),
      herald(['incident', 'list'], { HERALD_TOKEN: 'not-the-right-token-123' }),
    ]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /Subject: /);
    assert.match(p.stdout, /[\u4e00-\u9fff]/);
    assert.equal(usage.code, 2);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^herald: cannot reach the Herald API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    assert.equal(badToken.code, 1);
    assert.match(badToken.stderr, /^herald: Unauthorized \(401\)/);
  });
});
