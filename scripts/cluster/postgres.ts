import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import type { ChildSpec } from '../supervisor';
import type { ClusterSettings } from './settings';

// The cluster's PostgreSQL: Debian's server binaries, a data directory of its own under
// $HERALD_DATA_DIR/cluster, TCP on 127.0.0.1 only (no Unix socket), password (SCRAM) authentication.
// It holds Temporal's two databases and Herald's store. PostgreSQL refuses to run as root, so as
// root the server runs as the `postgres` user, which then needs to reach its directory.

export interface ClusterSecrets {
  /** The superuser `postgres`. */
  postgres: string;
  temporal: string;
  herald: string;
}

export class PostgresSetupError extends Error {}

export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new PostgresSetupError(
      'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): apt-get install -y postgresql',
    );
  return join(base, versions[0]!, 'bin');
}

/** The passwords of the cluster's roles, generated once into cluster/secrets.json (0600). */
export function clusterSecrets(s: ClusterSettings): ClusterSecrets {
  const file = join(s.dir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ClusterSecrets;
  mkdirSync(s.dir, { recursive: true });
  const secret = () => randomBytes(18).toString('base64url');
  const secrets: ClusterSecrets = { postgres: secret(), temporal: secret(), herald: secret() };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** As root: the `postgres` user, which must be able to reach the data directory. */
function runAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0)
    throw new PostgresSetupError('running as root needs a `postgres` user (Debian: apt-get install postgresql)');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * Creates the data directory with initdb on the first start (later starts find it and change
 * nothing). Returns what the server needs to run as.
 */
export function initPostgres(s: ClusterSettings, secrets: ClusterSecrets, heraldDataDir: string): RunAs | undefined {
  const bin = postgresBinDir();
  const user = runAs();
  const data = s.postgres.dataDir;
  mkdirSync(dirname(data), { recursive: true });
  if (user) grantTraversal(dirname(data), heraldDataDir, user);
  if (existsSync(join(data, 'PG_VERSION'))) {
    if (user) chownTree(data, user); // a copy restored by root keeps working
    return user;
  }
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { mode: 0o700 });
  const pwfile = join(dirname(data), '.initdb-password');
  writeFileSync(pwfile, `${secrets.postgres}\n`, { mode: 0o600 });
  try {
    if (user) {
      chownSync(data, user.uid, user.gid);
      chownSync(pwfile, user.uid, user.gid);
    }
    const r = spawnSync(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8'],
      { encoding: 'utf8', uid: user?.uid, gid: user?.gid, cwd: dirname(data) },
    );
    if (r.status !== 0) {
      rmSync(data, { recursive: true, force: true });
      throw new PostgresSetupError(`initdb failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').pop()}`);
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
  return user;
}

/** The PostgreSQL server as a supervised child, in the foreground (SIGINT: fast shutdown). */
export function postgresChild(s: ClusterSettings, user: RunAs | undefined): ChildSpec {
  return {
    name: 'postgres',
    command: join(postgresBinDir(), 'postgres'),
    args: [
      '-D',
      s.postgres.dataDir,
      '-p',
      String(s.postgres.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      // Four Temporal services (10 + 4 connections each) and Herald's processes (10 each).
      '-c',
      'max_connections=200',
      '-c',
      `synchronous_commit=${s.postgres.synchronousCommit ? 'on' : 'off'}`,
    ],
    cwd: s.postgres.dataDir,
    logFile: s.postgres.logFile,
    uid: user?.uid,
    gid: user?.gid,
    stage: 0,
    stopSignal: 'SIGINT',
    stopTimeoutMs: 30_000,
  };
}

export function postgresUrl(s: ClusterSettings, user: string, password: string, database: string): string {
  return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${s.postgres.port}/${database}`;
}

/** Waits until the server accepts the superuser, then makes the roles and Herald's database (idempotent). */
export async function preparePostgres(
  s: ClusterSettings,
  secrets: ClusterSecrets,
  died: () => string | undefined,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let admin: Client | undefined;
  let last = '';
  while (!admin) {
    const why = died();
    if (why) throw new PostgresSetupError(`PostgreSQL ${why} before it was ready (see ${s.postgres.logFile})`);
    if (Date.now() > deadline)
      throw new PostgresSetupError(
        `PostgreSQL did not accept connections within ${timeoutMs / 1000} s (${last}; see ${s.postgres.logFile})`,
      );
    const c = new Client({
      connectionString: postgresUrl(s, 'postgres', secrets.postgres, 'postgres'),
      connectionTimeoutMillis: 2000,
    });
    try {
      await c.connect();
      admin = c;
    } catch (err) {
      last = (err as Error).message;
      await c.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    for (const [role, password, attrs] of [
      ['temporal', secrets.temporal, 'LOGIN CREATEDB'],
      ['herald', secrets.herald, 'LOGIN'],
    ] as const) {
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      const literal = (await admin.query('SELECT quote_literal($1) AS q', [password])).rows[0].q as string;
      await admin.query(`${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE ${role} WITH ${attrs} PASSWORD ${literal}`);
    }
    const db = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'herald'`);
    if (!db.rowCount) await admin.query('CREATE DATABASE herald OWNER herald');
  } finally {
    await admin.end();
  }
}

/**
 * Lets the `postgres` user pass through Herald's data directory down to `dir` without reading it
 * (group `postgres`, search bit only); a parent above the data directory is only checked.
 */
function grantTraversal(dir: string, heraldDataDir: string, user: RunAs) {
  const top = resolve(heraldDataDir);
  let inside = true;
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = statSync(d);
    const reachable = (st.mode & 0o001) !== 0 || (st.gid === user.gid && (st.mode & 0o010) !== 0) || st.uid === user.uid;
    if (!reachable) {
      if (!inside)
        throw new PostgresSetupError(
          `the postgres user cannot reach ${d} (above HERALD_DATA_DIR); allow it (chmod o+x ${d}) or choose another HERALD_DATA_DIR`,
        );
      chownSync(d, st.uid, user.gid);
      chmodSync(d, (st.mode & 0o7777) | 0o010);
    }
    if (d === top) inside = false;
    if (dirname(d) === d) break;
  }
}

function chownTree(dir: string, user: RunAs) {
  const st = statSync(dir);
  if (st.uid === user.uid) return;
  spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
}
