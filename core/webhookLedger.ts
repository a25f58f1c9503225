import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ownerOnlyDir, ownerOnlyFile } from './dataDir';

// Herald's own record of processed webhook deliveries. Temporal's workflow-id reuse rules only look
// back over the namespace retention, and a monitoring sender retries a delivery whose answer it
// did not see; so each delivery's identity (SNS MessageId, a hash of an Alertmanager body, …) is
// kept here, and a delivery seen before is acknowledged without signalling again.

export interface WebhookLedger {
  /** The workflow a delivery went to, when it was processed before. */
  seen(source: string, deliveryId: string): { workflowId: string | null; at: string } | undefined;
  record(source: string, deliveryId: string, workflowId: string | null, result: string): void;
  /** Forgets deliveries older than `keepDays`; returns how many. */
  prune(keepDays?: number): number;
  close(): void;
}

export function openWebhookLedger(file: string, { keepDays = 30 } = {}): WebhookLedger {
  if (file !== ':memory:') {
    ownerOnlyDir(dirname(file));
    // SQLite gives its -wal and -shm files the database file's mode.
    ownerOnlyFile(file);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS webhook_deliveries (
    source TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    workflow_id TEXT,
    result TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (source, delivery_id)
  ) WITHOUT ROWID`);
  db.exec('CREATE INDEX IF NOT EXISTS webhook_deliveries_received ON webhook_deliveries (received_at)');
  const get = db.prepare<[string, string], { workflow_id: string | null; received_at: number }>(
    'SELECT workflow_id, received_at FROM webhook_deliveries WHERE source = ? AND delivery_id = ?',
  );
  const put = db.prepare(
    'INSERT OR IGNORE INTO webhook_deliveries (source, delivery_id, workflow_id, result, received_at) VALUES (?, ?, ?, ?, ?)',
  );
  const del = db.prepare('DELETE FROM webhook_deliveries WHERE received_at < ?');
  const ledger: WebhookLedger = {
    seen(source, deliveryId) {
      const row = get.get(source, deliveryId);
      return row ? { workflowId: row.workflow_id, at: new Date(row.received_at).toISOString() } : undefined;
    },
    record(source, deliveryId, workflowId, result) {
      put.run(source, deliveryId, workflowId, result, Date.now());
    },
    prune(days = keepDays) {
      return del.run(Date.now() - days * 86_400_000).changes;
    },
    close() {
      db.close();
    },
  };
  ledger.prune();
  return ledger;
}
