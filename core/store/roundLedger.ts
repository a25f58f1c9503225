import { CHUNK, chunks, nowIso } from './sql';
import type { Db, Param } from './db';

// A message round as the store keeps it: its request and rendered content, saved once so every batch
// sends the same words, and the delivery ledger, one row per (round, recipient, channel), written
// before and after each provider request.

export type DeliveryState = 'sending' | 'sent' | 'failed' | 'suppressed' | 'opted_out' | 'retry';
export const FINAL_STATES: ReadonlySet<DeliveryState> = new Set(['sent', 'failed', 'suppressed', 'opted_out']);

export interface LedgerEntry {
  recipientId: string;
  channel: string;
  state: DeliveryState;
  attempts: number;
  possibleDuplicate: boolean;
}

export interface LedgerStart {
  recipientId: string;
  channel: string;
  address: string;
  /** The entry was "sending" when this attempt found it: the earlier request may have gone out. */
  possibleDuplicate: boolean;
}

export interface LedgerResult {
  recipientId: string;
  channel: string;
  address: string;
  state: DeliveryState;
  provider?: string;
  region?: string;
  messageId?: string;
  error?: string;
}

export interface LedgerCount {
  channel: string;
  state: DeliveryState;
  deliveries: number;
  /** Provider requests beyond the first, summed over the deliveries. */
  retries: number;
  possibleDuplicates: number;
}

export interface RoundRecord {
  id: string;
  request: unknown;
  content: unknown;
  recipients: number;
  createdAt: string;
  finishedAt: string | null;
  report: unknown;
}

/** Saves a round's request and rendered content once; a second call keeps the first (returns it). */
export async function saveRound(
  db: Db,
  id: string,
  request: unknown,
  content: unknown,
  recipients: number,
): Promise<RoundRecord> {
  await db.run(
    'INSERT INTO rounds (id, request, content, recipients, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    [id, JSON.stringify(request), JSON.stringify(content), recipients, nowIso()],
  );
  return (await getRound(db, id))!;
}

export async function getRound(db: Db, id: string): Promise<RoundRecord | undefined> {
  const [r] = await db.all<{
    id: string;
    request: string;
    content: string;
    recipients: number;
    created_at: string;
    finished_at: string | null;
    report: string | null;
  }>('SELECT * FROM rounds WHERE id = ?', [id]);
  if (!r) return undefined;
  return {
    id: r.id,
    request: JSON.parse(r.request),
    content: JSON.parse(r.content),
    recipients: Number(r.recipients),
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    report: r.report ? JSON.parse(r.report) : null,
  };
}

export async function finishRound(db: Db, id: string, report: unknown): Promise<void> {
  await db.run('UPDATE rounds SET finished_at = ?, report = ? WHERE id = ?', [nowIso(), JSON.stringify(report), id]);
}

// -------------------------------------------------------------------------------------------
// The delivery ledger

/** Runs fn directly when its rows fit one statement (atomic by itself), otherwise in a transaction. */
function inOne<T>(db: Db, rows: number, fn: (db: Db) => Promise<T>): Promise<T> {
  return rows <= CHUNK ? fn(db) : db.tx(fn);
}

export async function ledgerRange(
  db: Db,
  roundId: string,
  afterId: string | null,
  throughId: string,
): Promise<Map<string, LedgerEntry>> {
  const rows = await db.all<{
    recipient_id: string;
    channel: string;
    state: DeliveryState;
    attempts: number;
    possible_duplicate: number;
  }>(
    `SELECT recipient_id, channel, state, attempts, possible_duplicate FROM deliveries WHERE round_id = ? AND ${afterId === null ? '' : 'recipient_id > ? AND '}recipient_id <= ?`,
    [roundId, ...(afterId === null ? [] : [afterId]), throughId],
  );
  return new Map(
    rows.map((r) => [
      `${r.recipient_id} ${r.channel}`,
      {
        recipientId: r.recipient_id,
        channel: r.channel,
        state: r.state,
        attempts: Number(r.attempts),
        possibleDuplicate: Number(r.possible_duplicate) > 0,
      },
    ]),
  );
}

/**
 * Before a request: these deliveries are "sending" (attempts + 1). A delivery still "sending" from an
 * earlier request (a worker died, or a request timed out, while it was in flight) may have gone out:
 * each such resend adds one to possible_duplicate, so a delivery caught in flight at two kills counts
 * twice and the round's possible duplicates bound every repeat a provider can have seen.
 */
export async function markSending(db: Db, roundId: string, rows: LedgerStart[]): Promise<void> {
  if (rows.length === 0) return;
  const now = Date.now();
  // One statement (a request's worth, up to 200 rows) is atomic by itself; more take a transaction.
  await inOne(db, rows.length, async (tx) => {
    for (const part of chunks(rows)) {
      await tx.run(
        `INSERT INTO deliveries (round_id, recipient_id, channel, address, state, attempts, possible_duplicate, updated_at)
         VALUES ${part.map(() => "(?, ?, ?, ?, 'sending', 1, ?, ?)").join(', ')}
         ON CONFLICT (round_id, recipient_id, channel) DO UPDATE SET state = 'sending', attempts = deliveries.attempts + 1,
           possible_duplicate = deliveries.possible_duplicate + CASE WHEN deliveries.state = 'sending' THEN 1 ELSE 0 END,
           address = excluded.address, updated_at = excluded.updated_at`,
        part.flatMap((r) => [roundId, r.recipientId, r.channel, r.address, r.possibleDuplicate ? 1 : 0, now]),
      );
    }
  });
}

/** After a request (or instead of one: suppressed, opted out): the outcome of each delivery. One transaction. */
export async function recordResults(db: Db, roundId: string, rows: LedgerResult[]): Promise<void> {
  if (rows.length === 0) return;
  const now = Date.now();
  await inOne(db, rows.length, async (tx) => {
    for (const part of chunks(rows)) {
      await tx.run(
        `INSERT INTO deliveries (round_id, recipient_id, channel, address, state, attempts, provider, region, message_id, error, sent_at, updated_at)
         VALUES ${part.map(() => '(?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)').join(', ')}
         ON CONFLICT (round_id, recipient_id, channel) DO UPDATE SET state = excluded.state, provider = excluded.provider,
           region = excluded.region, message_id = excluded.message_id, error = excluded.error,
           sent_at = COALESCE(excluded.sent_at, deliveries.sent_at), updated_at = excluded.updated_at`,
        part.flatMap((r) => [
          roundId,
          r.recipientId,
          r.channel,
          r.address,
          r.state,
          r.provider ?? null,
          r.region ?? null,
          r.messageId ?? null,
          r.error ?? null,
          r.state === 'sent' ? now : null,
          now,
        ]),
      );
    }
  });
}

/** Counts per channel and state for a round, optionally for afterId < recipient ≤ throughId. */
export async function ledgerCounts(
  db: Db,
  roundId: string,
  range?: { afterId: string | null; throughId: string },
): Promise<LedgerCount[]> {
  const params: Param[] = [roundId];
  let where = 'round_id = ?';
  if (range) {
    if (range.afterId !== null) {
      where += ' AND recipient_id > ?';
      params.push(range.afterId);
    }
    where += ' AND recipient_id <= ?';
    params.push(range.throughId);
  }
  const rows = await db.all<{ channel: string; state: DeliveryState; n: number; retries: number; dups: number }>(
    `SELECT channel, state, COUNT(*) AS n, SUM(CASE WHEN attempts > 1 THEN attempts - 1 ELSE 0 END) AS retries, SUM(possible_duplicate) AS dups
     FROM deliveries WHERE ${where} GROUP BY channel, state`,
    params,
  );
  return rows.map((r) => ({
    channel: r.channel,
    state: r.state,
    deliveries: Number(r.n),
    retries: Number(r.retries ?? 0),
    possibleDuplicates: Number(r.dups ?? 0),
  }));
}

/** When the round's first delivery was accepted by a provider (epoch ms), if any. */
export async function firstSentAt(db: Db, roundId: string): Promise<number | null> {
  const [r] = await db.all<{ t: number | null }>(
    "SELECT MIN(sent_at) AS t FROM deliveries WHERE round_id = ? AND state = 'sent'",
    [roundId],
  );
  return r?.t == null ? null : Number(r.t);
}

export async function deliveriesOf(
  db: Db,
  roundId: string,
): Promise<(LedgerResult & { attempts: number; possibleDuplicate: boolean })[]> {
  const rows = await db.all<{
    recipient_id: string;
    channel: string;
    address: string;
    state: DeliveryState;
    provider: string | null;
    region: string | null;
    message_id: string | null;
    error: string | null;
    attempts: number;
    possible_duplicate: number;
  }>('SELECT * FROM deliveries WHERE round_id = ? ORDER BY recipient_id, channel', [roundId]);
  return rows.map((r) => ({
    recipientId: r.recipient_id,
    channel: r.channel,
    address: r.address,
    state: r.state,
    ...(r.provider ? { provider: r.provider } : {}),
    ...(r.region ? { region: r.region } : {}),
    ...(r.message_id ? { messageId: r.message_id } : {}),
    ...(r.error ? { error: r.error } : {}),
    attempts: Number(r.attempts),
    possibleDuplicate: Number(r.possible_duplicate) > 0,
  }));
}
