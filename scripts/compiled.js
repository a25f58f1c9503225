#!/usr/bin/env node
// @ts-check
'use strict';
// Herald's processes run compiled JavaScript: the sources (core, workflows, activities, worker, api, cli,
// scripts) compiled once by esbuild into build/<fingerprint>/, where the fingerprint is a hash of every
// source file's path and contents (this file's too) and of tsconfig.json and the compiler's version. Before a process
// starts, the sources are hashed again (a few milliseconds): a changed, added or removed file (an edit,
// a git pull) gives a new fingerprint, so a stale build is never run; it is compiled again first. A build
// is written to a temporary directory and renamed into place, so processes starting together never see
// half of one. Older builds go, except the two most recent and any a running process started from.
//
//   node scripts/compiled.js                  compile if needed; print the build directory
//   node scripts/compiled.js api/main [args]  run that entry point of the build (here, in this process)
//
// Plain JavaScript on purpose: it runs before anything is compiled. Tests keep running the sources (tsx).

const { createHash, randomBytes } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

/** Folders compiled (every .ts and .js file in them). bench/ and test/ run from the sources. */
const SOURCE_DIRS = ['core', 'workflows', 'activities', 'worker', 'api', 'cli', 'scripts'];
/** Older builds kept beside the current one, besides any a running process uses. */
const KEEP_OLDER = 2;

/** @param {string} dir */
function rootAbove(dir) {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) throw new Error(`no package.json in ${dir} or above it`);
  }
}

const ROOT = rootAbove(__dirname);
const BUILD_DIR = join(ROOT, 'build');

/** Source files, relative to the root with forward slashes, sorted. */
function sourceFiles() {
  const files = [];
  for (const dir of SOURCE_DIRS.filter((d) => existsSync(join(ROOT, d))))
    for (const name of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }))
      if (/\.(ts|js)$/.test(name) && !name.endsWith('.d.ts')) files.push(`${dir}/${name.split('\\').join('/')}`);
  return files.sort();
}

/** @param {string[]} files */
function fingerprint(files) {
  const hash = createHash('sha256');
  hash.update(`esbuild ${require('esbuild/package.json').version}\0`);
  hash.update(readFileSync(join(ROOT, 'tsconfig.json')));
  for (const file of files) hash.update(`\0${file}\0`).update(readFileSync(join(ROOT, file)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * @param {string[]} files
 * @param {string} outdir
 */
function compile(files, outdir) {
  require('esbuild').buildSync({
    absWorkingDir: ROOT,
    entryPoints: files,
    outdir,
    outbase: ROOT,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    // `await import('./x')` becomes a require: the build is CommonJS without file extensions.
    supported: { 'dynamic-import': false },
    logLevel: 'error',
  });
}

/** @param {string} current */
function pruneOlder(current) {
  let names;
  try {
    names = readdirSync(BUILD_DIR);
  } catch {
    return;
  }
  const now = Date.now();
  const builds = [];
  for (const name of names) {
    const full = join(BUILD_DIR, name);
    let mtime;
    try {
      mtime = statSync(full).mtimeMs;
    } catch {
      continue;
    }
    if (name.startsWith('.tmp-')) {
      // A compile that died half-way; one still running finishes in seconds.
      if (now - mtime > 10 * 60_000) rmSync(full, { recursive: true, force: true });
    } else if (name !== current) builds.push({ full, mtime });
  }
  builds.sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_OLDER)) if (!inUse(old.full)) rmSync(old.full, { recursive: true, force: true });
}

/** @type {Set<string>} */
const marked = new Set();

/**
 * Marks a build as used by this process until it exits, so no other process prunes it: npm start's
 * supervisor restarts its children from the build it started with, however long it runs.
 * @param {string} dir
 */
function markInUse(dir) {
  const marker = join(dir, '.in-use', String(process.pid));
  if (marked.has(marker)) return;
  marked.add(marker);
  try {
    mkdirSync(join(dir, '.in-use'), { recursive: true });
    writeFileSync(marker, '');
  } catch {
    return; // a read-only build (the Docker image) is never pruned either
  }
  process.once('exit', () => rmSync(marker, { force: true }));
}

/** @param {string} dir */
function inUse(dir) {
  let pids;
  try {
    pids = readdirSync(join(dir, '.in-use'));
  } catch {
    return false;
  }
  return pids.some((pid) => {
    try {
      process.kill(Number(pid), 0);
      return true;
    } catch (err) {
      return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
    }
  });
}

/**
 * The directory of an up-to-date build, compiling one first when the sources changed.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {string}
 */
function ensureBuilt(options = {}) {
  for (let attempt = 0; ; attempt++) {
    const files = sourceFiles();
    const id = fingerprint(files);
    const dir = join(BUILD_DIR, id);
    if (existsSync(dir)) {
      markInUse(dir);
      return dir;
    }
    const began = Date.now();
    const tmp = join(BUILD_DIR, `.tmp-${id}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      compile(files, tmp);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    // A source that changed while compiling would leave a build that matches neither version.
    if (fingerprint(sourceFiles()) !== id && attempt < 3) {
      rmSync(tmp, { recursive: true, force: true });
      continue;
    }
    try {
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(dir)) throw err;
      // Another process finished the same build first.
    }
    options.log?.(`herald: compiled ${files.length} files into build/${id} (${((Date.now() - began) / 1000).toFixed(1)} s)`);
    markInUse(dir);
    pruneOlder(id);
    return dir;
  }
}

/**
 * The compiled file of an entry point, e.g. entry('api/main') → <root>/build/<fingerprint>/api/main.js.
 * @param {string} name
 * @param {{ log?: (line: string) => void }} [options]
 */
function entry(name, options) {
  const file = join(ensureBuilt(options), `${name}.js`);
  if (!existsSync(file)) throw new Error(`no entry point ${name} in the build (is there a ${name}.ts?)`);
  return file;
}

/**
 * Runs an entry point of the build in this process, as the main module (its `require.main === module`
 * holds) with the arguments that follow it.
 * @param {string} name
 * @param {{ log?: (line: string) => void, sourceMaps?: boolean }} [options]
 */
function run(name, options = {}) {
  const file = entry(name, options);
  // Stack traces name the TypeScript lines; a short command skips reading the maps.
  if (options.sourceMaps) process.setSourceMapsEnabled(true);
  process.argv[1] = file;
  require('node:module').runMain();
}

module.exports = { ensureBuilt, entry, run, ROOT };

if (require.main === module) {
  const log = (/** @type {string} */ line) => console.error(line);
  const name = process.argv[2];
  if (!name) console.log(ensureBuilt({ log }));
  else {
    process.argv.splice(2, 1);
    run(name.replace(/\.(ts|js)$/, ''), { log, sourceMaps: true });
  }
}
