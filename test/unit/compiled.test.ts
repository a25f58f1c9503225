import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Herald's processes run the compiled build (scripts/compiled.js). These pin that a changed, added or
// removed source is never run stale, that processes starting together share one complete build, that
// files read at run time are found from the project root, and that `herald --help` loads no command.

const ROOT = join(__dirname, '..', '..');

/** A project of its own: package.json, tsconfig.json, scripts/compiled.js and the given sources. */
function project(sources: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-compiled-'));
  writeFileSync(join(dir, 'package.json'), '{"name":"compiled-test","private":true}\n');
  copyFileSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(ROOT, 'scripts', 'compiled.js'), join(dir, 'scripts', 'compiled.js'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  write(dir, sources);
  return dir;
}

function write(dir: string, sources: Record<string, string>) {
  for (const [file, text] of Object.entries(sources)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

function runEntry(dir: string, entry: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [join(dir, 'scripts', 'compiled.js'), entry, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const builds = (dir: string) => readdirSync(join(dir, 'build')).filter((n) => !n.startsWith('.'));

test('a changed, added or removed source is compiled again before it runs; an unchanged tree reuses its build', () => {
  const dir = project({
    'core/word.ts': "export const word = (): string => 'one';\n",
    'cli/main.ts': "import { word } from '../core/word';\nconsole.log([word(), ...process.argv.slice(2)].join(' '));\n",
  });
  try {
    assert.equal(runEntry(dir, 'cli/main', 'a', 'b'), 'one a b');
    assert.equal(builds(dir).length, 1);
    assert.equal(runEntry(dir, 'cli/main'), 'one');
    assert.equal(builds(dir).length, 1, 'an unchanged tree compiles nothing');

    // Same length, so size alone would not tell (a pull can also leave mtimes as they were).
    write(dir, { 'core/word.ts': "export const word = (): string => 'two';\n" });
    assert.equal(runEntry(dir, 'cli/main'), 'two');

    write(dir, {
      'core/other.ts': "export const other = 'three';\n",
      'cli/main.ts': "import { other } from '../core/other';\nconsole.log(other);\n",
    });
    assert.equal(runEntry(dir, 'cli/main'), 'three');

    unlinkSync(join(dir, 'core', 'other.ts'));
    write(dir, { 'cli/main.ts': "console.log('four');\n" });
    assert.equal(runEntry(dir, 'cli/main'), 'four');
    assert.ok(builds(dir).length <= 3, `older builds are pruned: ${builds(dir).join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a build a running process started from is kept however many builds come after it', async () => {
  const dir = project({
    'scripts/serve.ts': "console.log('ready'); setInterval(() => undefined, 1000);\n",
    'cli/main.ts': "console.log('v0');\n",
  });
  const server = spawn(process.execPath, [join(dir, 'scripts', 'compiled.js'), 'scripts/serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stopped = new Promise((resolve) => server.once('close', resolve));
  try {
    await new Promise<void>((resolve) => server.stdout.once('data', () => resolve()));
    const [first] = builds(dir);
    for (let v = 1; v <= 4; v++) {
      write(dir, { 'cli/main.ts': `console.log('v${v}');\n` });
      assert.equal(runEntry(dir, 'cli/main'), `v${v}`);
    }
    assert.ok(builds(dir).includes(first!), 'the running build is kept');
    assert.equal(builds(dir).length, 4, 'the running one, the current one and two older');
    server.kill();
    await stopped;
    write(dir, { 'cli/main.ts': "console.log('v5');\n" });
    assert.equal(runEntry(dir, 'cli/main'), 'v5');
    assert.ok(!builds(dir).includes(first!), 'once it stopped, it is pruned');
    assert.equal(builds(dir).length, 3);
  } finally {
    server.kill();
    await stopped;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('processes starting together on a stale tree all run the new code from one complete build', async () => {
  // Enough modules that a build takes a while: a process must never find one half-written.
  const parts = Array.from({ length: 600 }, (_, i) => i);
  const dir = project({
    ...Object.fromEntries(parts.map((i) => [`core/part${i}.ts`, `export const part${i} = ${i};\n`])),
    'cli/main.ts': `${parts.map((i) => `import { part${i} } from '../core/part${i}';`).join('\n')}\nconsole.log('v' + [${parts.map((i) => `part${i}`).join(', ')}].length);\n`,
  });
  try {
    const outputs = await Promise.all(
      // Started a little apart, so some find another's build under way.
      Array.from(
        { length: 6 },
        (_, i) =>
          new Promise<string>((resolve, reject) => {
            setTimeout(() => {
              const p = spawn(process.execPath, [join(dir, 'scripts', 'compiled.js'), 'cli/main'], {
                stdio: ['ignore', 'pipe', 'pipe'],
              });
              let out = '';
              let err = '';
              p.stdout.on('data', (d: Buffer) => (out += d.toString()));
              p.stderr.on('data', (d: Buffer) => (err += d.toString()));
              p.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(err))));
            }, i * 60);
          }),
      ),
    );
    assert.deepEqual(outputs, Array(6).fill('v600'));
    assert.equal(builds(dir).length, 1);
    assert.deepEqual(
      readdirSync(join(dir, 'build')).filter((n) => n.startsWith('.tmp-')),
      [],
      'no half-written build is left behind',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an entry point runs as the main module, and the compiled code finds templates from the project root', () => {
  const dir = project({ 'scripts/main.ts': "console.log(require.main === module ? 'main' : 'not main');\n" });
  try {
    assert.equal(runEntry(dir, 'scripts/main'), 'main');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const probe = spawnSync(
    process.execPath,
    ['-e', "const c = require('./scripts/compiled.js'); console.log(require(c.entry('core/render')).DEFAULT_TEMPLATES_DIR)"],
    { cwd: ROOT, encoding: 'utf8' },
  );
  assert.equal(probe.status, 0, probe.stderr);
  assert.equal(probe.stdout.trim(), join(ROOT, 'templates'));
});

test('herald --help loads no command module; a command loads what it needs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-help-'));
  try {
    // Prints every package the process loaded when it exits.
    const hook = join(dir, 'hook.js');
    writeFileSync(
      hook,
      "process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n",
    );
    const loaded = (...args: string[]) => {
      const r = spawnSync(process.execPath, ['--require', hook, join(ROOT, 'cli', 'bin.js'), ...args], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '))!;
      return { stdout: r.stdout, modules: JSON.parse(line.slice('LOADED '.length)) as string[] };
    };
    const packages = ['@temporalio', 'zod', 'yaml', '@aws-sdk', 'better-sqlite3', 'pg', 'nunjucks'];
    const uses = (modules: string[], name: string) =>
      modules.some((m) => m.includes(name.startsWith('/') ? name : `/node_modules/${name}/`));

    const help = loaded('--help');
    for (const name of ['plan', 'incident', 'maintenance', 'preview', 'export', 'subscribers', 'drill', 'publish', 'messages'])
      assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'), `${name} is listed`);
    for (const name of [...packages, '/cli/commands/']) assert.ok(!uses(help.modules, name), `herald --help loaded ${name}`);

    const check = loaded('plan', 'check', join(ROOT, 'plans', 'example.yaml'));
    assert.match(check.stdout, /valid/);
    assert.ok(
      uses(check.modules, 'yaml') && uses(check.modules, '/cli/commands/plan'),
      'plan check loads its command and the plan loader',
    );
    assert.ok(!uses(check.modules, '@temporalio/client'), 'plan check does not load the Temporal client');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
