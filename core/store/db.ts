import Database from 'better-sqlite3';
import { Pool, types } from 'pg';

// The one query layer under the store: SQL is written once, with `?` placeholders and portable
// types (TEXT, BIGINT, INTEGER 0/1 for booleans, JSON as TEXT); each driver runs it. PostgreSQL gets
// `$1…` placeholders, and keys use the "C" collation so that ordering (cursor pages) is bytewise on
// both engines.

export type Row = Record<string, unknown>;
export type Param = string | number | null;
export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  readonly dialect: Dialect;
  all<T = Row>(sql: string, params?: Param[]): Promise<T[]>;
  run(sql: string, params?: Param[]): Promise<number>;
  /** Runs fn in one transaction; nested calls join the outer one. */
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

// BIGINT comes back from pg as text by default; every BIGINT in this schema is a count or epoch ms.
types.setTypeParser(20, (v) => Number(v));

export function openSqlite(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  // 16 MB of page cache (the default is 2 MB): a million-recipient round's ledger and audience pages stay in it.
  db.pragma('cache_size = -16000');
  const cache = new Map<string, Database.Statement>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      if (cache.size > 500) cache.clear();
      cache.set(sql, s);
    }
    return s;
  };
  // Prepared once: the delivery ledger opens a transaction per provider request.
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  // One connection, shared by concurrent activities: a transaction holds it exclusively (others
  // wait for it to end), so an await inside one transaction never lets another caller's statements
  // join it or be rolled back with it.
  let current: Promise<void> | undefined;
  const idle = async () => {
    while (current) await current;
  };
  const direct: Db = {
    dialect: 'sqlite',
    async all<T>(sql: string, params: Param[] = []) {
      return stmt(sql).all(...params) as T[];
    },
    async run(sql, params = []) {
      return stmt(sql).run(...params).changes;
    },
    tx: (fn) => fn(direct),
    async exec(sql) {
      db.exec(sql);
    },
    async close() {},
  };
  const self: Db = {
    dialect: 'sqlite',
    async all<T>(sql: string, params: Param[] = []) {
      if (current) await idle();
      return stmt(sql).all(...params) as T[];
    },
    async run(sql, params = []) {
      if (current) await idle();
      return stmt(sql).run(...params).changes;
    },
    async tx(fn) {
      // Check and take in the same turn, so two waiters never both begin.
      while (current) await current;
      let release!: () => void;
      current = new Promise<void>((r) => (release = r));
      begin.run();
      try {
        const out = await fn(direct);
        commit.run();
        return out;
      } catch (err) {
        if (db.inTransaction) rollback.run();
        throw err;
      } finally {
        current = undefined;
        release();
      }
    },
    async exec(sql) {
      await idle();
      db.exec(sql);
    },
    async close() {
      await idle();
      db.close();
    },
  };
  return self;
}

const toDollar = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export function openPostgres(url: string): Db {
  const pool = new Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on the next query.
  });
  type Queryable = { query: Pool['query'] };
  const make = (q: Queryable, inTx: boolean): Db => {
    const self: Db = {
      dialect: 'postgres',
      async all<T>(sql: string, params: Param[] = []) {
        return (await q.query(toDollar(sql), params)).rows as T[];
      },
      async run(sql, params = []) {
        return (await q.query(toDollar(sql), params)).rowCount ?? 0;
      },
      async tx(fn) {
        if (inTx) return fn(self);
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const out = await fn(make(client as unknown as Queryable, true));
          await client.query('COMMIT');
          return out;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      },
      async exec(sql) {
        await q.query(sql);
      },
      async close() {
        await pool.end();
      },
    };
    return self;
  };
  return make(pool as unknown as Queryable, false);
}
