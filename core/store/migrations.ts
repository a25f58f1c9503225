import type { Db } from './db';

// Migrations run at start (openStore), in order, each once, recorded in herald_migrations. `KEYTEXT` is
// a text key: bytewise-ordered on both engines so cursor pages agree. Add a migration by appending;
// never edit one that has shipped.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'subscribers, suppressions, rounds and the delivery ledger',
    sql: `
CREATE TABLE subscribers (
  id KEYTEXT PRIMARY KEY,
  email TEXT,
  phone TEXT,
  push_token TEXT,
  webhook_url TEXT,
  chat_url TEXT,
  locale TEXT,
  internal INTEGER NOT NULL DEFAULT 0,
  all_components INTEGER NOT NULL DEFAULT 0,
  consent TEXT NOT NULL DEFAULT 'confirmed',
  consent_requested_at TEXT,
  confirmed_at TEXT,
  unsubscribed_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE subscriber_components (
  subscriber_id KEYTEXT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  component_id TEXT NOT NULL,
  PRIMARY KEY (subscriber_id, component_id)
);
CREATE INDEX subscriber_components_by_component ON subscriber_components (component_id, subscriber_id);
CREATE TABLE subscriber_attributes (
  subscriber_id KEYTEXT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (subscriber_id, name)
);
CREATE TABLE suppressions (
  channel TEXT NOT NULL,
  address TEXT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (channel, address)
);
CREATE TABLE rounds (
  id KEYTEXT PRIMARY KEY,
  request TEXT NOT NULL,
  content TEXT NOT NULL,
  recipients BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  finished_at TEXT,
  report TEXT
);
CREATE TABLE deliveries (
  round_id KEYTEXT NOT NULL,
  recipient_id KEYTEXT NOT NULL,
  channel TEXT NOT NULL,
  address TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  possible_duplicate INTEGER NOT NULL DEFAULT 0,
  provider TEXT,
  region TEXT,
  message_id TEXT,
  error TEXT,
  sent_at BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (round_id, recipient_id, channel)
);
`,
  },
  {
    version: 2,
    name: 'status page history: published incidents and maintenances, daily component status, last page state',
    sql: `
CREATE TABLE page_items (
  page_id KEYTEXT NOT NULL,
  kind TEXT NOT NULL,
  id KEYTEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  sort_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  resolved_at TEXT,
  record TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (page_id, kind, id)
);
CREATE INDEX page_items_by_sort ON page_items (page_id, kind, sort_at);
CREATE TABLE page_component_days (
  page_id KEYTEXT NOT NULL,
  component_id KEYTEXT NOT NULL,
  day TEXT NOT NULL,
  worst TEXT NOT NULL,
  major_outage_seconds BIGINT NOT NULL,
  partial_outage_seconds BIGINT NOT NULL,
  maintenance_seconds BIGINT NOT NULL,
  final INTEGER NOT NULL DEFAULT 0,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (page_id, component_id, day)
);
CREATE TABLE page_states (
  page_id KEYTEXT PRIMARY KEY,
  state TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version BIGINT NOT NULL,
  recorded_at TEXT NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'subscribers by address: confirming a subscription finds them by index, not by scanning',
    sql: `
CREATE INDEX subscribers_by_email ON subscribers (lower(email), id);
CREATE INDEX subscribers_by_phone ON subscribers (phone, id);
CREATE INDEX subscribers_by_webhook ON subscribers (webhook_url, id);
`,
  },
];

export async function migrate(db: Db): Promise<number[]> {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS herald_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    // Each migration and its record commit together; a second process migrating at the same time
    // waits on the lock and then finds the version recorded.
    const did = await db.tx(async (tx) => {
      if (tx.dialect === 'postgres') await tx.exec('LOCK TABLE herald_migrations IN EXCLUSIVE MODE');
      const done = await tx.all('SELECT version FROM herald_migrations WHERE version = ?', [m.version]);
      if (done.length > 0) return false;
      await tx.exec(m.sql.replace(/\bKEYTEXT\b/g, tx.dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT'));
      await tx.run('INSERT INTO herald_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        new Date().toISOString(),
      ]);
      return true;
    });
    if (did) applied.push(m.version);
  }
  return applied;
}
