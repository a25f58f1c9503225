import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freePort } from '../support/ports';

const ROOT = join(__dirname, '..', '..');

interface Started {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'start.ts')], {
    cwd: ROOT,
    env: { ...process.env, HERALD_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

async function waitForOutput(s: Started, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pattern.test(s.output())) return;
    if (s.proc.exitCode !== null) throw new Error(`start exited early:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${pattern}:\n${s.output()}`);
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

async function ports() {
  return {
    HERALD_API_PORT: String(await freePort()),
    HERALD_STATUS_PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
  };
}

describe('npm start', () => {
  test('brings up the dev server, worker, API and status server, prints URLs and tokens once, and stops everything on SIGTERM', async () => {
    const p = await ports();
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-start-'));
    const s = start({ ...p, HERALD_DATA_DIR: dataDir });
    try {
      await waitForOutput(s, /Herald is running\./, 120_000);
      const tokens = JSON.parse(readFileSync(join(dataDir, 'tokens.json'), 'utf8')) as { operator: string; webhook: string };
      assert.ok(s.output().includes(tokens.operator), 'the generated operator token is printed');
      assert.ok(s.output().includes(`http://localhost:${p.TEMPORAL_UI_PORT}`), 'the Temporal UI URL is printed');

      assert.equal((await fetch(`http://127.0.0.1:${p.HERALD_API_PORT}/healthz`)).status, 200);
      const summary = (await (await fetch(`http://127.0.0.1:${p.HERALD_STATUS_PORT}/api/v2/summary.json`)).json()) as {
        status: { indicator: string };
        components: unknown[];
      };
      assert.equal(summary.status.indicator, 'none');
      assert.ok(summary.components.length >= 4);
      const ui = await fetch(`http://127.0.0.1:${p.TEMPORAL_UI_PORT}/`);
      assert.equal(ui.status, 200);
      assert.match(await ui.text(), /<html/i);

      const created = await fetch(`http://127.0.0.1:${p.HERALD_API_PORT}/v1/incidents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.operator}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          title: 'Website slow',
          scenario: 'degradation',
          components: ['website'],
          message: 'Pages load slowly.',
        }),
      });
      assert.equal(created.status, 201);
    } finally {
      s.proc.kill('SIGTERM');
    }
    assert.equal(await s.exited, 0);
    for (const port of Object.values(p)) assert.equal(await listening(Number(port)), false, `port ${port} is free again`);

    // A second start reuses the kept tokens and does not print them again.
    const again = start({ ...p, HERALD_DATA_DIR: dataDir });
    try {
      await waitForOutput(again, /Herald is running\./, 120_000);
      assert.match(again.output(), /Tokens\s+from the environment or/);
      assert.doesNotMatch(again.output(), /hrld_op_/);
    } finally {
      again.proc.kill('SIGTERM');
    }
    assert.equal(await again.exited, 0);
  });

  test('an invalid plan is refused with its problems and nothing starts', async () => {
    const p = await ports();
    const dir = mkdtempSync(join(tmpdir(), 'herald-start-'));
    const plan = join(dir, 'plan.yaml');
    writeFileSync(
      plan,
      readFileSync(join(ROOT, 'plans', 'example.yaml'), 'utf8').replace(
        'cadence: { sev1: 30m, sev2: 1h, sev3: 2h }',
        'cadence: { sev1: soon, sev2: 1h, sev3: 2h }',
      ),
    );
    const s = start({ ...p, HERALD_DATA_DIR: dir, HERALD_PLAN: plan });
    assert.equal(await s.exited, 1);
    assert.match(s.output(), /the plan is not valid/);
    assert.match(s.output(), /scenarios\.outage\.cadence\.sev1/);
    assert.equal(await listening(Number(p.TEMPORAL_PORT)), false);
  });

  test('a port in use is one clear line and leaves nothing running', async () => {
    const p = await ports();
    const blocker = createServer().listen(Number(p.HERALD_STATUS_PORT), '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const s = start({ ...p, HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-start-')) });
      assert.equal(await s.exited, 1);
      assert.match(s.output(), new RegExp(`port ${p.HERALD_STATUS_PORT} \\(HERALD_STATUS_PORT\\) is in use`));
      assert.equal(await listening(Number(p.TEMPORAL_PORT)), false);
    } finally {
      blocker.close();
    }
  });

  test('a missing Temporal binary says what to do', async () => {
    const s = start({
      ...(await ports()),
      HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-start-')),
      TEMPORAL_CLI: '/nonexistent/temporal',
    });
    assert.equal(await s.exited, 1);
    assert.match(s.output(), /TEMPORAL_CLI=\/nonexistent\/temporal is not a working temporal binary/);
  });

  test('an unreachable TEMPORAL_ADDRESS says so and starts nothing', async () => {
    const p = await ports();
    const s = start({
      ...p,
      HERALD_DATA_DIR: mkdtempSync(join(tmpdir(), 'herald-start-')),
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    });
    assert.equal(await s.exited, 1);
    assert.match(s.output(), /TEMPORAL_ADDRESS=127\.0\.0\.1:\d+ is unreachable/);
    assert.equal(await listening(Number(p.HERALD_API_PORT)), false);
  });
});
