import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { buildSnapshot } from '../../core/statuspage/snapshot';
import { examplePlan } from '../support/config';
import { openIncident, pageState } from '../support/pageStates';

// The Express error middleware as a customer gets it: `npm pack` (prepack builds dist/), the
// tarball unpacked into an app's node_modules, required as `herald/middleware` from plain `node`
// (no tsx), in an Express app whose guarded component is in a major outage.

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

describe('herald/middleware from the packed package, in plain node', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-pack-'));
  const app = join(dir, 'app');
  let child: ChildProcess | undefined;
  let base: string;

  before(async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    assert.ok(
      info!.files.some((f) => f.path === 'dist/api/errorMiddleware.js'),
      'the tarball holds the build',
    );
    const pkg = join(app, 'node_modules', 'herald');
    mkdirSync(pkg, { recursive: true });
    await run('tar', ['xzf', join(dir, info!.filename), '-C', pkg, '--strip-components=1']);
    // The app's own Express (a customer's dependency, not Herald's).
    symlinkSync(join(ROOT, 'node_modules', 'express'), join(app, 'node_modules', 'express'));

    // A published summary with payments in a major outage and an ETA.
    const plan = examplePlan();
    const now = new Date();
    const state = pageState(plan, 'operational', now);
    const i = openIncident(now);
    i.components = ['payments'];
    i.componentStatuses = { payments: 'major_outage' };
    i.eta = new Date(now.getTime() + 30 * 60_000).toISOString();
    state.incidents.push(i);
    state.components.payments = { status: 'major_outage', updatedAt: i.updatedAt };
    const snapshot = buildSnapshot(plan, state, join(ROOT, 'templates'));
    mkdirSync(join(app, 'public', 'api', 'v2'), { recursive: true });
    writeFileSync(join(app, 'public', 'api', 'v2', 'summary.json'), snapshot.get('api/v2/summary.json')!.body);

    writeFileSync(
      join(app, 'server.js'),
      `const express = require('express');
const { heraldOutageResponses } = require('herald/middleware');
const outage = heraldOutageResponses({ statusUrl: 'https://status.example.com', snapshotDir: ${JSON.stringify(join(app, 'public'))}, components: ['payments'], cacheMs: 0 });
const app = express();
app.get('/pay', outage.guard, (req, res) => res.json({ paid: true }), outage.errors);
app.get('/where', (req, res) => res.json({ middleware: require.resolve('herald/middleware'), typescript: Object.keys(require.cache).filter((f) => f.endsWith('.ts')) }));
const server = app.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`,
    );
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // no tsx loader: plain node
    child = spawn(process.execPath, ['server.js'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    base = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => {
        const m = /listening (\d+)/.exec(d.toString());
        if (m) resolve(`http://127.0.0.1:${m[1]}`);
      });
      child!.once('exit', (code) => reject(new Error(`the app exited (${code}): ${stderr}`)));
    });
  });
  after(() => {
    child?.kill();
  });

  test('answers 503 application/problem+json with Retry-After, in the caller’s language', async () => {
    const where = (await (await fetch(`${base}/where`)).json()) as { middleware: string; typescript: string[] };
    assert.equal(where.middleware, join(app, 'node_modules', 'herald', 'dist', 'api', 'errorMiddleware.js'));
    assert.deepEqual(where.typescript, []);

    const res = await fetch(`${base}/pay`, { headers: { 'accept-language': 'zh-TW' } });
    assert.equal(res.status, 503);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.ok(retryAfter > 25 * 60 && retryAfter <= 30 * 60, `Retry-After ${retryAfter}`);
    const problem = (await res.json()) as {
      type: string;
      title: string;
      status: number;
      detail: string;
      instance: string;
      status_page: string;
    };
    assert.equal(problem.status, 503);
    assert.match(problem.type, /outage/);
    assert.match(problem.status_page, /^https:\/\/status\.example\.com/);
    assert.match(problem.detail, /[\u4e00-\u9fff]/, 'worded in Chinese for zh-TW');
    assert.ok(problem.instance);
  });
});
