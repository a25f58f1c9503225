import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { postgresUrl, type ClusterSecrets } from './postgres';
import type { ClusterSettings } from './settings';

// Temporal's two databases with temporal-sql-tool: created and set up at version 0 on the first
// start, then brought to the schema embedded in the tool. update-schema applies only what is newer
// than the database's version, so every later start changes nothing (and after an upgrade of the
// server binaries, applies the new versions).

const DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
] as const;

export class SchemaError extends Error {}

export interface SchemaResult {
  /** Per database: the version before and after. */
  versions: Record<string, { before: string | null; after: string | null }>;
}

export async function ensureTemporalSchema(
  sqlTool: string,
  s: ClusterSettings,
  secrets: ClusterSecrets,
  log: (line: string) => void,
): Promise<SchemaResult> {
  const env = {
    ...process.env,
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: '127.0.0.1',
    SQL_PORT: String(s.postgres.port),
    SQL_USER: 'temporal',
    SQL_PASSWORD: secrets.temporal,
  };
  const versions: SchemaResult['versions'] = {};
  for (const db of DATABASES) {
    const before = await schemaVersion(s, secrets, db.name);
    if (before === undefined) await run(sqlTool, ['--db', db.name, 'create-database'], env, log);
    if (!before) await run(sqlTool, ['--db', db.name, 'setup-schema', '-v', '0.0'], env, log);
    await run(sqlTool, ['--db', db.name, 'update-schema', '--schema-name', db.schema], env, log);
    versions[db.name] = { before: before ?? null, after: (await schemaVersion(s, secrets, db.name)) ?? null };
  }
  return { versions };
}

/** undefined: no such database; null: a database without Temporal's schema; else its version. */
async function schemaVersion(s: ClusterSettings, secrets: ClusterSecrets, database: string): Promise<string | null | undefined> {
  const admin = new Client({ connectionString: postgresUrl(s, 'postgres', secrets.postgres, 'postgres') });
  await admin.connect();
  try {
    if (!(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount) return undefined;
  } finally {
    await admin.end();
  }
  const c = new Client({ connectionString: postgresUrl(s, 'temporal', secrets.temporal, database) });
  await c.connect();
  try {
    const table = await c.query(`SELECT to_regclass('public.schema_version') AS t`);
    if (!table.rows[0].t) return null;
    const row = await c.query('SELECT curr_version FROM schema_version LIMIT 1');
    return (row.rows[0]?.curr_version as string | undefined) ?? null;
  } finally {
    await c.end();
  }
}

function run(tool: string, args: string[], env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    child.once('error', (err) => reject(new SchemaError(`temporal-sql-tool: ${err.message}`)));
    child.once('exit', (code) => {
      log(`$ temporal-sql-tool ${args.join(' ')}\n${out}`);
      if (code === 0) resolve();
      else
        reject(
          new SchemaError(
            `temporal-sql-tool ${args.join(' ')} failed (exit code ${code}): ${out.trim().split('\n').slice(-1)[0] ?? ''}`,
          ),
        );
    });
  });
}
