import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as audience from './audience';
import type { AudienceFilter, SuppressionInput } from './audience';
import { openPostgres, openSqlite, type Db } from './db';
import { migrate } from './migrations';
import * as ledger from './roundLedger';
import type { LedgerCount, LedgerEntry, LedgerResult, LedgerStart, RoundRecord } from './roundLedger';
import * as subscribers from './subscriberRecords';
import type { ImportOutcome } from './subscriberRecords';
import type { ConsentState, Recipient, Subscriber, ValidSubscriber } from './subscribers';

export type { Recipient, Subscriber } from './subscribers';
export { normaliseAddress, type AudienceFilter, type SuppressionInput } from './audience';
export {
  FINAL_STATES,
  type LedgerCount,
  type LedgerEntry,
  type LedgerResult,
  type LedgerStart,
  type RoundRecord,
} from './roundLedger';
export type { ImportOutcome } from './subscriberRecords';

// Herald's store: subscribers, suppressions, message rounds and the delivery ledger, on SQLite (the
// embedded default) or PostgreSQL, through one query layer (db.ts). Every method is written once, in
// the module of its tables; this class is the one door callers use.

export class Store {
  constructor(readonly db: Db) {}

  get dialect() {
    return this.db.dialect;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  // Subscribers (subscriberRecords.ts)

  /** Inserts or replaces subscribers by id (their components and attributes too), in one transaction per chunk. */
  upsertSubscribers(rows: (ValidSubscriber & { id: string })[]): Promise<ImportOutcome> {
    return subscribers.upsertSubscribers(this.db, rows);
  }

  getSubscriber(id: string): Promise<Subscriber | undefined> {
    return subscribers.getSubscriber(this.db, id);
  }

  /** Every subscriber in id order, a page at a time (export). */
  subscribersPage(afterId: string | null, limit: number, onlyId?: string): Promise<Subscriber[]> {
    return subscribers.subscribersPage(this.db, afterId, limit, onlyId);
  }

  attributeNames(): Promise<string[]> {
    return subscribers.attributeNames(this.db);
  }

  /** Ids of the subscribers with this address on a channel (email compares case-insensitively), in id order. */
  subscriberIdsByAddress(channel: 'email' | 'sms' | 'webhook', address: string): Promise<string[]> {
    return subscribers.subscriberIdsByAddress(this.db, channel, address);
  }

  countSubscribers(): Promise<number> {
    return subscribers.countSubscribers(this.db);
  }

  /** Records a consent change (double opt-in confirmation, one-click unsubscribe). False when no such subscriber. */
  setConsent(id: string, state: ConsentState, at?: string): Promise<boolean> {
    return subscribers.setConsent(this.db, id, state, at);
  }

  // Audience and suppressions (audience.ts)

  /** Ids of the next `limit` audience members after `afterId`, in order. */
  audienceIds(f: AudienceFilter, afterId: string | null, limit: number): Promise<string[]> {
    return audience.audienceIds(this.db, f, afterId, limit);
  }

  /** Audience members with afterId < id ≤ throughId, in order, at most `limit`. */
  audienceRange(f: AudienceFilter, afterId: string | null, throughId: string, limit: number): Promise<Recipient[]> {
    return audience.audienceRange(this.db, f, afterId, throughId, limit);
  }

  countAudience(f: AudienceFilter): Promise<number> {
    return audience.countAudience(this.db, f);
  }

  addSuppressions(rows: SuppressionInput[]): Promise<void> {
    return audience.addSuppressions(this.db, rows);
  }

  removeSuppression(channel: string, address: string): Promise<boolean> {
    return audience.removeSuppression(this.db, channel, address);
  }

  /** The suppressions among these addresses, keyed "channel address". */
  suppressionsFor(items: { channel: string; address: string }[]): Promise<Map<string, SuppressionInput['reason']>> {
    return audience.suppressionsFor(this.db, items);
  }

  // Rounds and the delivery ledger (roundLedger.ts)

  /** Saves a round's request and rendered content once; a second call keeps the first (returns it). */
  saveRound(id: string, request: unknown, content: unknown, recipients: number): Promise<RoundRecord> {
    return ledger.saveRound(this.db, id, request, content, recipients);
  }

  getRound(id: string): Promise<RoundRecord | undefined> {
    return ledger.getRound(this.db, id);
  }

  finishRound(id: string, report: unknown): Promise<void> {
    return ledger.finishRound(this.db, id, report);
  }

  ledgerRange(roundId: string, afterId: string | null, throughId: string): Promise<Map<string, LedgerEntry>> {
    return ledger.ledgerRange(this.db, roundId, afterId, throughId);
  }

  /** Before a request: these deliveries are "sending"; one still "sending" from an earlier request counts as a possible duplicate. */
  markSending(roundId: string, rows: LedgerStart[]): Promise<void> {
    return ledger.markSending(this.db, roundId, rows);
  }

  /** After a request (or instead of one: suppressed, opted out): the outcome of each delivery. One transaction. */
  recordResults(roundId: string, rows: LedgerResult[]): Promise<void> {
    return ledger.recordResults(this.db, roundId, rows);
  }

  /** Counts per channel and state for a round, optionally for afterId < recipient ≤ throughId. */
  ledgerCounts(roundId: string, range?: { afterId: string | null; throughId: string }): Promise<LedgerCount[]> {
    return ledger.ledgerCounts(this.db, roundId, range);
  }

  /** When the round's first delivery was accepted by a provider (epoch ms), if any. */
  firstSentAt(roundId: string): Promise<number | null> {
    return ledger.firstSentAt(this.db, roundId);
  }

  deliveriesOf(roundId: string): Promise<(LedgerResult & { attempts: number; possibleDuplicate: boolean })[]> {
    return ledger.deliveriesOf(this.db, roundId);
  }
}

export interface StoreOptions {
  /** PostgreSQL URL; otherwise SQLite at `sqliteFile`. */
  databaseUrl?: string;
  sqliteFile?: string;
}

/** Opens the store and runs pending migrations. */
export async function openStore(o: StoreOptions): Promise<Store> {
  let db: Db;
  if (o.databaseUrl) db = openPostgres(o.databaseUrl);
  else {
    const file = o.sqliteFile ?? ':memory:';
    if (file !== ':memory:') mkdirSync(join(file, '..'), { recursive: true });
    db = openSqlite(file);
  }
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return new Store(db);
}

/** The store a Herald process uses: HERALD_DATABASE_URL, else $HERALD_DATA_DIR/herald.db. */
export function openConfiguredStore(config: { dataDir: string; delivery: { databaseUrl?: string } }): Promise<Store> {
  return openStore({ databaseUrl: config.delivery.databaseUrl, sqliteFile: join(config.dataDir, 'herald.db') });
}
