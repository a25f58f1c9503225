import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';

// npm run lint: the type check, ESLint (eslint.config.mjs: layers, promises), Prettier, import cycles
// (dpdm, type imports included) and unused files, dependencies and exports (knip.json). The type
// check and ESLint's type-aware rules share one TypeScript program, built once in one process; the
// other three run beside it. Every step runs; the exit code is 1 if any failed.

const ROOT = join(__dirname, '..');
const LINTED = ['core', 'workflows', 'activities', 'api', 'cli', 'worker', 'scripts', 'bench', 'test', 'templates', '*.mjs'];

interface Step {
  name: string;
  ok: boolean;
  seconds: number;
  output: string;
}

const since = (began: number) => (performance.now() - began) / 1000;

function run(name: string, command: string, args: string[]): Promise<Step> {
  const began = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => resolve({ name, ok: false, seconds: since(began), output: `${output}${err.message}\n` }));
    child.on('close', (code) => resolve({ name, ok: code === 0, seconds: since(began), output }));
  });
}

function typeProgram(): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('tsconfig.json could not be read');
  return ts.createProgram({ rootNames: config.fileNames, options: config.options });
}

/** The type check and ESLint on one program (the `--typed` child). */
async function typed(): Promise<boolean> {
  let began = performance.now();
  const program = typeProgram();
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length > 0)
    process.stdout.write(
      ts.formatDiagnosticsWithColorAndContext(diagnostics, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => ROOT,
        getNewLine: () => '\n',
      }),
    );
  process.stdout.write(`lint: types ${diagnostics.length === 0 ? 'ok' : 'FAILED'} (${since(began).toFixed(1)} s)\n`);

  began = performance.now();
  const eslint = new ESLint({
    cwd: ROOT,
    // The type-aware rules read the program the type check has already checked.
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parserOptions: { projectService: false, programs: [program] } } }],
  });
  const results = await eslint.lintFiles(LINTED);
  const problems = results.reduce((n, r) => n + r.errorCount + r.warningCount, 0);
  process.stdout.write(await (await eslint.loadFormatter('stylish')).format(results));
  process.stdout.write(`lint: eslint ${problems === 0 ? 'ok' : 'FAILED'} (${since(began).toFixed(1)} s)\n`);
  return diagnostics.length === 0 && problems === 0;
}

async function main() {
  const began = performance.now();
  const steps = await Promise.all([
    run('types+eslint', process.execPath, ['--import', 'tsx', __filename, '--typed']),
    // Prettier's cache keys on file contents and options, so a cached "formatted" is never stale.
    run('prettier', join(ROOT, 'node_modules', '.bin', 'prettier'), [
      '--check',
      '--log-level',
      'warn',
      '--cache',
      '--cache-strategy',
      'content',
      '.',
    ]),
    run('cycles', 'npm', ['run', '--silent', 'lint:cycles']),
    run('knip', join(ROOT, 'node_modules', '.bin', 'knip'), ['--no-progress']),
  ]);
  for (const step of steps) {
    // The typed child prints its own per-step lines; the others speak only when they fail.
    const typedStep = step.name === 'types+eslint';
    if ((typedStep || !step.ok) && step.output.trim()) process.stdout.write(`${step.output.trimEnd()}\n`);
    if (!typedStep) process.stdout.write(`lint: ${step.name} ${step.ok ? 'ok' : 'FAILED'} (${step.seconds.toFixed(1)} s)\n`);
  }
  const failed = steps.filter((s) => !s.ok).map((s) => s.name);
  const total = since(began).toFixed(1);
  if (failed.length === 0) process.stdout.write(`lint: all passed (${total} s)\n`);
  else {
    process.stdout.write(`lint: failed: ${failed.join(', ')} (${total} s)\n`);
    process.exitCode = 1;
  }
}

const entry = process.argv.includes('--typed') ? typed().then((ok) => (process.exitCode = ok ? 0 : 1)) : main();
entry.catch((err: unknown) => {
  process.stderr.write(`lint: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
