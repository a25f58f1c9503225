import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Supervisor, type ChildSpec } from '../../scripts/supervisor';

// The supervisor on real child processes (tiny Node scripts): restarts with a growing back-off, one
// line for a child that keeps failing, the others left alone, and an orderly stop that restarts nothing.

const dir = () => mkdtempSync(join(tmpdir(), 'herald-supervisor-'));
const node = (name: string, script: string, logDir: string, extra: Partial<ChildSpec> = {}): ChildSpec => ({
  name,
  command: process.execPath,
  args: ['-e', script],
  logFile: join(logDir, `${name}.log`),
  ...extra,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}
const forever = 'setInterval(() => {}, 1000)';

describe('supervisor', { timeout: 90_000 }, () => {
  test('a child killed with SIGKILL is started again with one line, and its neighbour keeps its process', async () => {
    const logDir = dir();
    const lines: string[] = [];
    const sup = new Supervisor({ log: (l) => lines.push(l), initialBackoffMs: 100, pidFile: join(logDir, 'pids.json') });
    try {
      const api = sup.start(node('api', forever, logDir));
      const status = sup.start(node('status', forever, logDir));
      const first = await api.nextStart();
      const statusPid = (await status.nextStart()).pid;
      first.kill('SIGKILL');
      const second = await api.nextStart(first.pid);
      assert.notEqual(second.pid, first.pid);
      assert.equal(api.restarts, 1);
      assert.deepEqual(lines, [
        `herald: the api process stopped (SIGKILL); starting it again in 100 ms (log: ${join(logDir, 'api.log')})`,
      ]);
      assert.equal(status.process?.pid, statusPid, 'the status server was not touched');
      await until(() => JSON.parse(readFileSync(join(logDir, 'pids.json'), 'utf8')).api === second.pid, 2000, 'pid file');
    } finally {
      await sup.stopAll();
    }
  });

  test('a child that keeps failing is reported once, with its log file, and is still retried with a growing back-off', async () => {
    const logDir = dir();
    const lines: string[] = [];
    const sup = new Supervisor({ log: (l) => lines.push(l), initialBackoffMs: 40, maxBackoffMs: 320, reportAfterFailures: 4 });
    try {
      const bad = sup.start(node('worker-1', 'console.error("cannot connect"); process.exit(3)', logDir));
      await until(() => bad.restarts >= 5, 60_000, 'five restarts');
      const keeps = lines.filter((l) => l.includes('keeps stopping'));
      assert.equal(keeps.length, 1, lines.join('\n'));
      assert.match(keeps[0]!, /^herald: the worker-1 process keeps stopping \(4 times in [\d.]+ m?s, last: exit code 3\);/);
      assert.ok(keeps[0]!.endsWith(`see ${join(logDir, 'worker-1.log')}`));
      assert.deepEqual(
        lines.slice(0, 3).map((l) => /again in (\d+ ms)/.exec(l)?.[1]),
        ['40 ms', '80 ms', '160 ms'],
      );
      assert.equal(lines.length, 4, 'nothing more is said while it keeps failing');
      assert.match(readFileSync(join(logDir, 'worker-1.log'), 'utf8'), /cannot connect\n(.|\n)*cannot connect/);
    } finally {
      await sup.stopAll();
    }
  });

  test('a child that stayed up long enough starts its back-off over', async () => {
    const logDir = dir();
    const lines: string[] = [];
    const sup = new Supervisor({ log: (l) => lines.push(l), initialBackoffMs: 200, healthyAfterMs: 300 });
    try {
      const flaky = sup.start(node('api', 'setTimeout(() => process.exit(1), 450)', logDir));
      await until(() => flaky.restarts >= 3, 60_000, 'three restarts');
      assert.ok(lines.length >= 3);
      for (const l of lines) assert.match(l, /starting it again in 200 ms/);
    } finally {
      await sup.stopAll();
    }
  });

  test('stopAll stops the highest stage first, with each child’s own signal, and restarts nothing', async () => {
    const logDir = dir();
    const order = join(logDir, 'order');
    const lines: string[] = [];
    const sup = new Supervisor({ log: (l) => lines.push(l), initialBackoffMs: 10 });
    const ready = join(logDir, 'ready');
    const onSignal = (name: string, signal: string, delayMs: number) =>
      `process.on('${signal}', () => setTimeout(() => { require('fs').appendFileSync(${JSON.stringify(order)}, '${name} '); process.exit(0); }, ${delayMs})); ` +
      `require('fs').appendFileSync(${JSON.stringify(ready)}, 'x'); ${forever}`;
    const db = sup.start(node('postgres', onSignal('postgres', 'SIGINT', 0), logDir, { stage: 0, stopSignal: 'SIGINT' }));
    const temporal = sup.start(node('temporal', onSignal('temporal', 'SIGTERM', 150), logDir, { stage: 1 }));
    const api = sup.start(node('api', onSignal('api', 'SIGTERM', 300), logDir, { stage: 2 }));
    const stubborn = sup.start(
      node(
        'stubborn',
        `process.on('SIGTERM', () => {}); require('fs').appendFileSync(${JSON.stringify(ready)}, 'x'); ${forever}`,
        logDir,
        {
          stage: 2,
          stopTimeoutMs: 300,
        },
      ),
    );
    const procs = await Promise.all([db, temporal, api, stubborn].map((c) => c.nextStart()));
    await until(
      () => {
        try {
          return readFileSync(ready, 'utf8').length === 4;
        } catch {
          return false;
        }
      },
      20_000,
      'handlers installed',
    );
    await sup.stopAll();
    assert.equal(readFileSync(order, 'utf8'), 'api temporal postgres ');
    assert.equal(procs[3]!.signalCode, 'SIGKILL', 'a child that ignores the stop signal is killed after its timeout');
    await sleep(100);
    assert.deepEqual(lines, [], 'no restart while stopping');
    for (const p of procs) assert.ok(p.exitCode !== null || p.signalCode !== null);
  });
});
