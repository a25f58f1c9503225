import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startApi, TOKENS, type ApiHarness } from './api.harness';

// `herald drill …` as an operator runs it: through POST /v1/drills on the API, the real worker and
// a real dev server; and `drill schedule` creating the plan's Temporal Schedules.

const BIN = join(__dirname, '..', '..', 'cli', 'bin.js');

describe('herald drill', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi();
  });
  after(async () => {
    await h.stop();
  });

  const herald = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string; ms: number }>((resolve) => {
      const t0 = Date.now();
      execFile(
        process.execPath,
        [BIN, ...args],
        {
          env: { ...process.env, HERALD_API_URL: h.base, HERALD_TOKEN: TOKENS.operator, NO_COLOR: '1', ...env },
          timeout: 120_000,
        },
        (err, stdout, stderr) => {
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, ms: Date.now() - t0 });
        },
      );
    });

  test('drill run --scenario outage --time-scale 600 passes, writes the JSON report, and finishes in under a minute', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'herald-drill-')), 'outage.json');
    const r = await herald(['drill', 'run', '--scenario', 'outage', '--time-scale', '600', '--report', report]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const json = JSON.parse(readFileSync(report, 'utf8')) as {
      passed: boolean;
      checks: { name: string; passed: boolean; detail: string }[];
    };
    assert.equal(json.passed, true);
    assert.ok(
      json.checks.length >= 8 && json.checks.every((c) => typeof c.name === 'string' && c.passed === true && c.detail.length > 0),
    );
    assert.match(r.stdout, /PASSED/);
    console.log(`# herald drill run --scenario outage --time-scale 600: ${(r.ms / 1000).toFixed(1)} s wall clock`);
    assert.ok(r.ms < 60_000, `took ${r.ms} ms`);
  });

  test('an injected fault makes drill run exit 1 with the failing check named', async () => {
    const r = await herald([
      'drill',
      'run',
      '--scenario',
      'outage',
      '--time-scale',
      '600',
      '--inject',
      'approval-never',
      '--json',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as { passed: boolean; checks: { name: string; passed: boolean }[] };
    assert.equal(report.passed, false);
    assert.deepEqual(
      report.checks.filter((c) => !c.passed).map((c) => c.name),
      ['approvals-routed'],
    );
  });

  test('bad drill requests are one clear line and exit non-zero', async () => {
    const unknown = await herald(['drill', 'run', '--scenario', 'meteor-strike']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^herald: .*unknown scenario "meteor-strike"/);
    const fault = await herald(['drill', 'run', '--scenario', 'outage', '--inject', 'gremlins']);
    assert.equal(fault.code, 1);
    assert.match(fault.stderr, /unknown fault\(s\) gremlins/);
  });

  test("drill schedule creates the plan's schedules (twice a year per scenario) with a short catch-up window, and updates them in place", async () => {
    const env = {
      TEMPORAL_ADDRESS: h.t.address,
      TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue,
      HERALD_DATA_DIR: h.config.dataDir,
    };
    const first = await herald(['drill', 'schedule', '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const created = JSON.parse(first.stdout) as { scheduleId: string; action: string; months: string[] }[];
    assert.deepEqual(created.map((c) => c.scheduleId).sort(), [
      'drill-schedule-degradation',
      'drill-schedule-maintenance',
      'drill-schedule-outage',
      'drill-schedule-regional-failover',
    ]);
    assert.ok(created.every((c) => c.months.length === 2));
    const described = await h.t.client.schedule.getHandle('drill-schedule-outage').describe();
    assert.equal(described.policies.catchupWindow, 600_000);
    assert.deepEqual(described.spec.calendars?.[0]?.month, [
      { start: 'MARCH', end: 'MARCH', step: 1 },
      { start: 'SEPTEMBER', end: 'SEPTEMBER', step: 1 },
    ]);
    assert.equal(described.action.type, 'startWorkflow');
    const again = await herald(['drill', 'schedule', '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.ok((JSON.parse(again.stdout) as { action: string }[]).every((c) => c.action === 'updated'));
    for (const c of created) await h.t.client.schedule.getHandle(c.scheduleId).delete();
  });
});
