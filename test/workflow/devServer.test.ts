import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Connection } from '@temporalio/client';
import { startDevServer, temporalCliPath } from '../../scripts/devServer';
import { freePort } from '../support/ports';

const portAnswers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

test('the dev server starts from the provisioned CLI with a SQLite file and Herald search attributes, and stops cleanly', async () => {
  const binary = temporalCliPath();
  const dir = mkdtempSync(join(tmpdir(), 'herald-devserver-'));
  const port = await freePort();
  const server = await startDevServer({ binary, port, dbFile: join(dir, 'temporal.db'), stdio: 'ignore' });
  try {
    const listed = execFileSync(
      binary,
      ['operator', 'search-attribute', 'list', '--address', server.address, '--output', 'json'],
      { encoding: 'utf8' },
    );
    const attrs = JSON.parse(listed) as { customAttributes: Record<string, string> };
    assert.deepEqual(Object.fromEntries(Object.entries(attrs.customAttributes).filter(([k]) => k.startsWith('Herald'))), {
      HeraldKind: 'INDEXED_VALUE_TYPE_KEYWORD',
      HeraldSeverity: 'INDEXED_VALUE_TYPE_KEYWORD',
      HeraldStatus: 'INDEXED_VALUE_TYPE_KEYWORD',
      HeraldComponents: 'INDEXED_VALUE_TYPE_KEYWORD_LIST',
      HeraldDrill: 'INDEXED_VALUE_TYPE_BOOL',
    });
  } finally {
    await server.stop();
  }
  assert.notEqual(server.process.exitCode ?? server.process.signalCode, null, 'the process has exited');
  assert.equal(await portAnswers(port), false, 'nothing listens on the port any more');

  // The SQLite file keeps state across restarts: the same namespace comes back with its attributes.
  const again = await startDevServer({ binary, port, dbFile: join(dir, 'temporal.db'), stdio: 'ignore' });
  try {
    const connection = await Connection.connect({ address: again.address });
    const attrs = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    assert.ok('HeraldComponents' in (attrs.customAttributes ?? {}));
    await connection.close();
  } finally {
    await again.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a binary that is not there fails at once with a clear error', async () => {
  await assert.rejects(
    startDevServer({ binary: '/nonexistent/temporal', port: await freePort(), stdio: 'ignore', startTimeoutMs: 5000 }),
    /Temporal (dev )?server.*(ENOENT|exited)/,
  );
});

test('temporal-cli.sh refuses a TEMPORAL_CLI that does not work, in one line', () => {
  let stderr = '';
  try {
    execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'temporal-cli.sh')], {
      env: { ...process.env, TEMPORAL_CLI: '/bin/false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.fail('expected a non-zero exit');
  } catch (err) {
    stderr = String((err as { stderr: Buffer }).stderr);
  }
  assert.match(stderr.trim(), /^herald: TEMPORAL_CLI=\/bin\/false is not a working temporal binary/);
  assert.equal(stderr.trim().split('\n').length, 1);
});

test('temporal-cli.sh prints the cached binary as its last line, quickly once cached', () => {
  const t0 = Date.now();
  const out = execFileSync('bash', [join(__dirname, '..', '..', 'scripts', 'temporal-cli.sh')], { encoding: 'utf8' });
  const path = out.trim().split('\n').pop()!;
  assert.match(execFileSync(path, ['--version'], { encoding: 'utf8' }), /temporal version .*Server 1\.29\.1/);
  assert.ok(Date.now() - t0 < 20_000);
});
