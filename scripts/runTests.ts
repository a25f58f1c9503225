import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer, temporalCliPath } from './devServer';
import { freePort } from '../test/support/ports';
import { startPostgres } from '../test/support/postgres';

// The test harness: type-check, start one Temporal dev server on free ports (never the SDK's
// download or its 5 s start limit), bundle the workflows once, run node's test runner over every
// test file, then stop the server. Arguments are test files or folders (default: test/).

const ROOT = join(__dirname, '..');

function testFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) for (const name of readdirSync(p).sort()) walk(join(p, name));
    else if (p.endsWith('.test.ts')) out.push(relative(ROOT, p));
  };
  for (const p of paths) walk(join(ROOT, p));
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  const files = testFiles(args.length > 0 ? args : ['test']);
  if (files.length === 0) throw new Error('no test files found');

  if (!process.env.HERALD_SKIP_TYPECHECK) {
    const tsc = spawnSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', join(ROOT, 'tsconfig.json')],
      { stdio: 'inherit' },
    );
    if (tsc.status !== 0) throw new Error('type check failed');
  }

  const work = mkdtempSync(join(tmpdir(), 'herald-test-'));
  const server = await startDevServer({
    binary: temporalCliPath(),
    port: await freePort(),
    namespace: 'default',
    stdio: 'ignore',
  });
  // One throwaway PostgreSQL for every file (the store suite runs on it as well as on SQLite).
  const postgres = process.env.HERALD_TEST_DATABASE_URL
    ? undefined
    : await startPostgres().catch(async (err) => {
        await server.stop();
        throw err;
      });
  try {
    // A prebuilt bundle may be passed in (HERALD_TEST_WORKFLOW_BUNDLE); otherwise build one for every file.
    let bundlePath = process.env.HERALD_TEST_WORKFLOW_BUNDLE;
    if (!bundlePath) {
      const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger });
      bundlePath = join(work, 'workflow-bundle.js');
      writeFileSync(bundlePath, bundle.code);
    }
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--test', ...files], {
        cwd: ROOT,
        stdio: 'inherit',
        env: {
          ...process.env,
          HERALD_TEST_TEMPORAL_ADDRESS: server.address,
          HERALD_TEST_WORKFLOW_BUNDLE: bundlePath,
          ...(postgres ? { HERALD_TEST_DATABASE_URL: postgres.url } : {}),
        },
      });
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
    process.exitCode = code;
  } finally {
    await postgres?.stop();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} } as never;

main().catch((err) => {
  console.error(`herald test: ${(err as Error).message}`);
  process.exit(1);
});
