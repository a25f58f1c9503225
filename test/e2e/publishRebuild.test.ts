import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadPlan } from '../../core/plan/load';
import type { PageChange } from '../../core/statuspage/types';
import {
  pageChangeSignal,
  publishedVersionQuery,
  STATUS_PAGE_WORKFLOW,
  type StatusPageWorkflow,
  statusPageWorkflowId,
} from '../../workflows/contracts/statusPage';
import { EXAMPLE_PLAN } from '../support/config';
import { startFakeS3, type FakeS3 } from '../support/fakeS3';
import { startTestWorker, type RunningWorker } from '../support/herald';
import { activeMaintenance, openIncident, pastIncident } from '../support/pageStates';
import { eventually, testTemporal, type TestTemporal } from '../support/temporal';

// `herald publish --rebuild`: the public directory and the buckets are wiped, and the command gives
// the same snapshot back, byte for byte — from the statusPage workflow while Temporal answers, from
// the store's last recorded state when it does not.

const BIN = join(__dirname, '..', '..', 'cli', 'bin.js');
const BUCKETS = 'us-east-1:acme-rebuild-use1,us-west-2:acme-rebuild-usw2';

function readTree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(root, path), readFileSync(path));
    }
  };
  walk(root);
  return out;
}

describe('herald publish --rebuild', () => {
  let t: TestTemporal;
  let s3: FakeS3;
  let w: RunningWorker;
  let planFile: string;
  let pageId: string;
  let env: Record<string, string>;

  before(async () => {
    [t, s3] = await Promise.all([testTemporal(), startFakeS3()]);
    // The CLI reads the plan from a file: a copy with a page id of its own, so no other test shares its workflow.
    pageId = `acme-rebuild-${Math.random().toString(36).slice(2, 8)}`;
    planFile = join(mkdtempSync(join(tmpdir(), 'herald-plan-')), 'plan.yaml');
    writeFileSync(planFile, readFileSync(EXAMPLE_PLAN, 'utf8').replace(/^(\s+id:) acme-status$/m, `$1 ${pageId}`));
    const plan = loadPlan(planFile);
    assert.equal(plan.page.id, pageId);
    env = {
      HERALD_S3_BUCKETS: BUCKETS,
      HERALD_S3_ENDPOINT: s3.endpoint,
      HERALD_S3_PREFIX: 'page/',
      HERALD_PLAN: planFile,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLETEST00001',
      AWS_SECRET_ACCESS_KEY: 'test-secret-key-for-the-local-fake-s3',
    };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY });
    w = await startTestWorker(t, { plan, env });
    env.HERALD_DATA_DIR = w.config.dataDir;
    env.TEMPORAL_ADDRESS = t.address;
  });
  after(async () => {
    await w?.stop().catch(() => undefined);
    await s3?.close();
    await t?.teardown();
  });

  const herald = (args: string[], extra: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...process.env, ...env, NO_COLOR: '1', HERALD_LOG_LEVEL: 'silent', ...extra }, timeout: 60_000 },
        (err, stdout, stderr) => {
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });

  const bucketFiles = (bucket: string) =>
    new Map(
      [...s3.objects]
        .filter(([k]) => k.startsWith(`${bucket}/page/`))
        .map(([k, o]) => [k.slice(`${bucket}/page/`.length), o.body]),
    );
  const wipe = () => {
    rmSync(w.config.publicDir, { force: true });
    rmSync(join(dirname(w.config.publicDir), 'snapshots'), { recursive: true, force: true });
    for (const k of [...s3.objects.keys()]) if (k.includes('/page/')) s3.objects.delete(k);
  };
  const assertSame = (before: Map<string, Buffer>, what: string) => {
    const now = readTree(w.config.publicDir);
    assert.deepEqual([...now.keys()].sort(), [...before.keys()].sort(), `${what}: the same files`);
    for (const [path, body] of before) assert.ok(now.get(path)!.equals(body), `${what}: ${path} is the same`);
    for (const bucket of ['acme-rebuild-use1', 'acme-rebuild-usw2']) {
      const objects = bucketFiles(bucket);
      assert.equal(objects.size, before.size, `${what}: ${bucket} holds every file`);
      for (const [path, body] of before) assert.ok(objects.get(path)?.equals(body), `${what}: ${bucket}/${path} is the same`);
    }
  };

  test('wiped targets get the same snapshot back: from the workflow, then from the store with Temporal unreachable', async () => {
    const now = new Date();
    const changes = [
      { kind: 'incident' as const, incident: pastIncident('inc-rebuild-past', 20, 45, now) },
      { kind: 'maintenance' as const, maintenance: activeMaintenance(now) },
      { kind: 'incident' as const, incident: openIncident(now) },
    ];
    const workflowId = statusPageWorkflowId(pageId, false);
    for (const change of changes) {
      await t.client.workflow.signalWithStart<StatusPageWorkflow, [PageChange]>(STATUS_PAGE_WORKFLOW, {
        workflowId,
        taskQueue: w.config.temporal.taskQueue,
        args: [{ pageId, drill: false }],
        signal: pageChangeSignal,
        signalArgs: [change],
      });
    }
    const handle = t.client.workflow.getHandle(workflowId);
    // Every change applied and published (bursts coalesce), and the buckets have the page.
    await eventually(
      async () => {
        const summary = JSON.parse(readFileSync(join(w.config.publicDir, 'api/v2/summary.json'), 'utf8')) as {
          incidents: unknown[];
          scheduled_maintenances: unknown[];
        };
        return summary.incidents.length === 1 &&
          summary.scheduled_maintenances.length === 1 &&
          bucketFiles('acme-rebuild-usw2').has('index.html')
          ? true
          : undefined;
      },
      20_000,
      'the page published with the incident and the maintenance',
    );
    const version = await handle.query(publishedVersionQuery);
    const published = readTree(w.config.publicDir);
    assert.ok(published.size > 20);
    assert.match(published.get('history.html')!.toString(), /inc-rebuild-past/);

    wipe();
    const fromWorkflow = await herald(['publish', '--rebuild', '--json']);
    assert.equal(fromWorkflow.code, 0, fromWorkflow.stderr);
    const report = JSON.parse(fromWorkflow.stdout) as {
      source: string;
      files: number;
      ok: boolean;
      targets: { target: string; ok: boolean }[];
    };
    assert.equal(report.source, 'workflow');
    assert.equal(report.files, published.size);
    assert.equal(report.targets.length, 3);
    assert.ok(report.ok);
    assertSame(published, 'rebuilt from the workflow');
    assert.equal(await handle.query(publishedVersionQuery), version, 'the rebuild did not disturb the workflow');

    // The worker is gone and Temporal cannot be reached: the store's last recorded state.
    await w.stop();
    wipe();
    const fromStore = await herald(['publish', '--rebuild', '--page', pageId], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(fromStore.code, 0, fromStore.stderr);
    assert.match(fromStore.stdout, /open state from the store's last recorded state/);
    assert.match(fromStore.stdout, /Temporal at 127\.0\.0\.1:1 did not give the page state/);
    assert.match(fromStore.stdout, /ok {3}dir:/);
    assert.match(fromStore.stdout, /ok {3}s3:\/\/acme-rebuild-usw2\/page\/ \(us-west-2\)/);
    assertSame(published, 'rebuilt from the store');
  });

  test('errors: an unknown page, a bucket that fails, no --rebuild', async () => {
    const unknown = await herald(['publish', '--rebuild', '--page', 'nope'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^herald: unknown page "nope": the plan .* has the page "acme-rebuild-/);

    s3.failBucket('acme-rebuild-usw2', 503);
    try {
      const partial = await herald(['publish', '--rebuild', '--no-temporal', '--json']);
      assert.equal(partial.code, 1);
      const report = JSON.parse(partial.stdout) as { ok: boolean; targets: { ok: boolean }[] };
      assert.deepEqual(
        report.targets.map((x) => x.ok),
        [true, true, false],
      );
      assert.match(partial.stderr, /1 target\(s\) failed/);
    } finally {
      s3.failBucket('acme-rebuild-usw2', null);
    }

    const usage = await herald(['publish']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--rebuild/);
  });
});
