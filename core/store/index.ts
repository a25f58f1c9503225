import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openPostgres, openSqlite, type Db, type Param } from './db';
import { migrate } from './migrations';
import type { ConsentState, Recipient, Subscriber, ValidSubscriber } from './subscribers';

export type { Recipient, Subscriber } from './subscribers';

// Herald's store: subscribers, suppressions, message rounds and the delivery ledger, on SQLite (the
// embedded default) or PostgreSQL, through one query layer (db.ts). Every method is written once.

export type DeliveryState = 'sending' | 'sent' | 'failed' | 'suppressed' | 'opted_out' | 'retry';
export const FINAL_STATES: ReadonlySet<DeliveryState> = new Set(['sent', 'failed', 'suppressed', 'opted_out']);

export interface AudienceFilter {
  /** Subscribers of any of these components (or of every component). */
  components: string[];
  excludeComponents?: string[];
  internal: boolean;
  /** Attribute name → accepted values; `internal` matches the internal flag ("true"/"false"). */
  attributes: Record<string, string[]>;
}

export interface SuppressionInput {
  channel: string;
  address: string;
  reason: 'bounce' | 'complaint' | 'opt-out' | 'manual';
  detail?: string;
}

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

export interface ImportOutcome {
  inserted: number;
  updated: number;
}

const CHUNK = 200;
const chunks = <T>(items: T[], size = CHUNK) => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
const nowIso = () => new Date().toISOString();

interface SubscriberRow {
  id: string;
  email: string | null;
  phone: string | null;
  push_token: string | null;
  webhook_url: string | null;
  chat_url: string | null;
  locale: string | null;
  internal: number;
  all_components: number;
  consent: ConsentState;
  consent_requested_at: string | null;
  confirmed_at: string | null;
  unsubscribed_at: string | null;
  created_at: string;
  updated_at: string;
}

export class Store {
  constructor(readonly db: Db) {}

  get dialect() {
    return this.db.dialect;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  // -------------------------------------------------------------------------------------------
  // Subscribers

  /** Inserts or replaces subscribers by id (their components and attributes too), in one transaction per chunk. */
  async upsertSubscribers(rows: (ValidSubscriber & { id: string })[]): Promise<ImportOutcome> {
    const outcome: ImportOutcome = { inserted: 0, updated: 0 };
    for (const part of chunks(rows)) {
      // The last row for an id wins, as if the rows were applied one by one.
      const byId = new Map(part.map((r) => [r.id, r]));
      const list = [...byId.values()];
      await this.db.tx(async (tx) => {
        const ids = list.map((r) => r.id);
        const existing = new Map(
          (await tx.all<SubscriberRow>(`SELECT * FROM subscribers WHERE id IN (${marks(ids.length)})`, ids)).map((r) => [
            r.id,
            r,
          ]),
        );
        const now = nowIso();
        const values: Param[] = [];
        for (const r of list) {
          const old = existing.get(r.id);
          const state: ConsentState = r.consent ?? old?.consent ?? 'confirmed';
          const changed = !old || old.consent !== state;
          values.push(
            r.id,
            r.email ?? null,
            r.phone ?? null,
            r.push ?? null,
            r.webhook ?? null,
            r.chat ?? null,
            r.locale ?? null,
            r.internal ? 1 : 0,
            r.components === undefined || r.components === '*' ? 1 : 0,
            state,
            r.consentRequestedAt ?? old?.consent_requested_at ?? (state === 'pending' && changed ? now : null),
            r.confirmedAt ?? (state === 'confirmed' ? (changed ? now : (old?.confirmed_at ?? now)) : (old?.confirmed_at ?? null)),
            r.unsubscribedAt ?? (state === 'unsubscribed' ? (changed ? now : (old?.unsubscribed_at ?? now)) : null),
            old?.created_at ?? now,
            now,
          );
        }
        await tx.run(
          `INSERT INTO subscribers (id, email, phone, push_token, webhook_url, chat_url, locale, internal, all_components, consent, consent_requested_at, confirmed_at, unsubscribed_at, created_at, updated_at)
           VALUES ${list.map(() => `(${marks(15)})`).join(', ')}
           ON CONFLICT (id) DO UPDATE SET email = excluded.email, phone = excluded.phone, push_token = excluded.push_token,
             webhook_url = excluded.webhook_url, chat_url = excluded.chat_url, locale = excluded.locale, internal = excluded.internal,
             all_components = excluded.all_components, consent = excluded.consent, consent_requested_at = excluded.consent_requested_at,
             confirmed_at = excluded.confirmed_at, unsubscribed_at = excluded.unsubscribed_at, updated_at = excluded.updated_at`,
          values,
        );
        const oldIds = ids.filter((id) => existing.has(id));
        if (oldIds.length > 0) {
          await tx.run(`DELETE FROM subscriber_components WHERE subscriber_id IN (${marks(oldIds.length)})`, oldIds);
          await tx.run(`DELETE FROM subscriber_attributes WHERE subscriber_id IN (${marks(oldIds.length)})`, oldIds);
        }
        const comps = list.flatMap((r) => (Array.isArray(r.components) ? [...new Set(r.components)].map((c) => [r.id, c]) : []));
        for (const c of chunks(comps, 400))
          await tx.run(
            `INSERT INTO subscriber_components (subscriber_id, component_id) VALUES ${c.map(() => '(?, ?)').join(', ')}`,
            c.flat(),
          );
        const attrs = list.flatMap((r) => Object.entries(r.attributes ?? {}).map(([k, v]) => [r.id, k, v]));
        for (const a of chunks(attrs, 300))
          await tx.run(
            `INSERT INTO subscriber_attributes (subscriber_id, name, value) VALUES ${a.map(() => '(?, ?, ?)').join(', ')}`,
            a.flat(),
          );
        outcome.inserted += list.length - existing.size;
        outcome.updated += existing.size;
      });
    }
    return outcome;
  }

  async getSubscriber(id: string): Promise<Subscriber | undefined> {
    const [s] = await this.subscribersPage(null, 1, id);
    return s?.id === id ? s : undefined;
  }

  /** Every subscriber in id order, a page at a time (export). */
  async subscribersPage(afterId: string | null, limit: number, onlyId?: string): Promise<Subscriber[]> {
    const rows = onlyId
      ? await this.db.all<SubscriberRow>('SELECT * FROM subscribers WHERE id = ?', [onlyId])
      : await this.db.all<SubscriberRow>(
          `SELECT * FROM subscribers ${afterId === null ? '' : 'WHERE id > ?'} ORDER BY id LIMIT ?`,
          afterId === null ? [limit] : [afterId, limit],
        );
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const comps = await this.db.all<{ subscriber_id: string; component_id: string }>(
      `SELECT subscriber_id, component_id FROM subscriber_components WHERE subscriber_id IN (${marks(ids.length)}) ORDER BY component_id`,
      ids,
    );
    const attrs = await this.db.all<{ subscriber_id: string; name: string; value: string }>(
      `SELECT subscriber_id, name, value FROM subscriber_attributes WHERE subscriber_id IN (${marks(ids.length)}) ORDER BY name`,
      ids,
    );
    return rows.map((r) => ({
      id: r.id,
      email: r.email,
      phone: r.phone,
      push: r.push_token,
      webhook: r.webhook_url,
      chat: r.chat_url,
      locale: r.locale,
      internal: Number(r.internal) === 1,
      components: Number(r.all_components) === 1 ? '*' : comps.filter((c) => c.subscriber_id === r.id).map((c) => c.component_id),
      attributes: Object.fromEntries(attrs.filter((a) => a.subscriber_id === r.id).map((a) => [a.name, a.value])),
      consent: {
        state: r.consent,
        requestedAt: r.consent_requested_at,
        confirmedAt: r.confirmed_at,
        unsubscribedAt: r.unsubscribed_at,
      },
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  async attributeNames(): Promise<string[]> {
    return (await this.db.all<{ name: string }>('SELECT DISTINCT name FROM subscriber_attributes ORDER BY name')).map(
      (r) => r.name,
    );
  }

  /**
   * Ids of the subscribers with this address on a channel (email compares case-insensitively), in
   * id order. Looked up by column scan: used when a subscription is confirmed, not per message.
   */
  async subscriberIdsByAddress(channel: 'email' | 'sms' | 'webhook', address: string): Promise<string[]> {
    const where = channel === 'email' ? 'lower(email) = ?' : channel === 'sms' ? 'phone = ?' : 'webhook_url = ?';
    const rows = await this.db.all<{ id: string }>(`SELECT id FROM subscribers WHERE ${where} ORDER BY id LIMIT 100`, [
      normaliseAddress(channel, address),
    ]);
    return rows.map((r) => r.id);
  }

  async countSubscribers(): Promise<number> {
    const [r] = await this.db.all<{ n: number }>('SELECT COUNT(*) AS n FROM subscribers');
    return Number(r?.n ?? 0);
  }

  /** Records a consent change (double opt-in confirmation, one-click unsubscribe). False when no such subscriber. */
  async setConsent(id: string, state: ConsentState, at: string = nowIso()): Promise<boolean> {
    const column = state === 'confirmed' ? 'confirmed_at' : state === 'unsubscribed' ? 'unsubscribed_at' : 'consent_requested_at';
    return (
      (await this.db.run(`UPDATE subscribers SET consent = ?, ${column} = ?, updated_at = ? WHERE id = ?`, [state, at, at, id])) >
      0
    );
  }

  // -------------------------------------------------------------------------------------------
  // Audience: keyset pages over subscribers matching a plan audience and the affected components.

  private audienceWhere(f: AudienceFilter): { sql: string; params: Param[] } {
    const parts: string[] = ["s.consent <> 'pending'"];
    const params: Param[] = [];
    const internal = f.attributes.internal;
    if (internal) {
      const wanted = [...new Set(internal.map((v) => (v === 'true' || v === '1' ? 1 : 0)))];
      parts.push(`s.internal IN (${marks(wanted.length)})`);
      params.push(...wanted);
    } else {
      parts.push('s.internal = ?');
      params.push(f.internal ? 1 : 0);
    }
    if (f.components.length === 0) parts.push('1 = 0');
    else {
      parts.push(
        `(s.all_components = 1 OR EXISTS (SELECT 1 FROM subscriber_components c WHERE c.subscriber_id = s.id AND c.component_id IN (${marks(f.components.length)})))`,
      );
      params.push(...f.components);
    }
    if (f.excludeComponents && f.excludeComponents.length > 0) {
      // Subscribers of every component followed the excluded ones too: they were told already.
      parts.push(
        `s.all_components = 0 AND NOT EXISTS (SELECT 1 FROM subscriber_components x WHERE x.subscriber_id = s.id AND x.component_id IN (${marks(f.excludeComponents.length)}))`,
      );
      params.push(...f.excludeComponents);
    }
    for (const [name, values] of Object.entries(f.attributes)) {
      if (name === 'internal') continue;
      parts.push(
        `EXISTS (SELECT 1 FROM subscriber_attributes a WHERE a.subscriber_id = s.id AND a.name = ? AND a.value IN (${marks(values.length)}))`,
      );
      params.push(name, ...values);
    }
    return { sql: parts.join(' AND '), params };
  }

  /** Ids of the next `limit` audience members after `afterId`, in order. */
  async audienceIds(f: AudienceFilter, afterId: string | null, limit: number): Promise<string[]> {
    const w = this.audienceWhere(f);
    const rows = await this.db.all<{ id: string }>(
      `SELECT s.id FROM subscribers s WHERE ${afterId === null ? '' : 's.id > ? AND '}${w.sql} ORDER BY s.id LIMIT ?`,
      [...(afterId === null ? [] : [afterId]), ...w.params, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Audience members with afterId < id ≤ throughId, in order, at most `limit`. */
  async audienceRange(f: AudienceFilter, afterId: string | null, throughId: string, limit: number): Promise<Recipient[]> {
    const w = this.audienceWhere(f);
    return this.db.all<Recipient>(
      `SELECT s.id, s.email, s.phone, s.push_token AS push, s.webhook_url AS webhook, s.chat_url AS chat, s.locale, s.consent
       FROM subscribers s WHERE ${afterId === null ? '' : 's.id > ? AND '}s.id <= ? AND ${w.sql} ORDER BY s.id LIMIT ?`,
      [...(afterId === null ? [] : [afterId]), throughId, ...w.params, limit],
    );
  }

  async countAudience(f: AudienceFilter): Promise<number> {
    const w = this.audienceWhere(f);
    const [r] = await this.db.all<{ n: number }>(`SELECT COUNT(*) AS n FROM subscribers s WHERE ${w.sql}`, w.params);
    return Number(r?.n ?? 0);
  }

  // -------------------------------------------------------------------------------------------
  // Suppressions: bounces, complaints and opt-outs per channel address.

  async addSuppressions(rows: SuppressionInput[]): Promise<void> {
    if (rows.length === 0) return;
    const now = nowIso();
    for (const part of chunks(rows)) {
      await this.db.run(
        `INSERT INTO suppressions (channel, address, reason, detail, created_at) VALUES ${part.map(() => '(?, ?, ?, ?, ?)').join(', ')}
         ON CONFLICT (channel, address) DO UPDATE SET reason = excluded.reason, detail = excluded.detail`,
        part.flatMap((r) => [r.channel, normaliseAddress(r.channel, r.address), r.reason, r.detail ?? null, now]),
      );
    }
  }

  async removeSuppression(channel: string, address: string): Promise<boolean> {
    return (
      (await this.db.run('DELETE FROM suppressions WHERE channel = ? AND address = ?', [
        channel,
        normaliseAddress(channel, address),
      ])) > 0
    );
  }

  /** The suppressions among these addresses, keyed "channel address". */
  async suppressionsFor(items: { channel: string; address: string }[]): Promise<Map<string, SuppressionInput['reason']>> {
    const out = new Map<string, SuppressionInput['reason']>();
    const byChannel = new Map<string, string[]>();
    for (const i of items) {
      const list = byChannel.get(i.channel) ?? [];
      list.push(normaliseAddress(i.channel, i.address));
      byChannel.set(i.channel, list);
    }
    for (const [channel, addresses] of byChannel) {
      for (const part of chunks(addresses, 400)) {
        const rows = await this.db.all<{ address: string; reason: SuppressionInput['reason'] }>(
          `SELECT address, reason FROM suppressions WHERE channel = ? AND address IN (${marks(part.length)})`,
          [channel, ...part],
        );
        for (const r of rows) out.set(`${channel} ${r.address}`, r.reason);
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Rounds

  /** Saves a round's request and rendered content once; a second call keeps the first (returns it). */
  async saveRound(id: string, request: unknown, content: unknown, recipients: number): Promise<RoundRecord> {
    await this.db.run(
      'INSERT INTO rounds (id, request, content, recipients, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
      [id, JSON.stringify(request), JSON.stringify(content), recipients, nowIso()],
    );
    return (await this.getRound(id))!;
  }

  async getRound(id: string): Promise<RoundRecord | undefined> {
    const [r] = await this.db.all<{
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

  async finishRound(id: string, report: unknown): Promise<void> {
    await this.db.run('UPDATE rounds SET finished_at = ?, report = ? WHERE id = ?', [nowIso(), JSON.stringify(report), id]);
  }

  // -------------------------------------------------------------------------------------------
  // The delivery ledger: one row per (round, recipient, channel), written before and after each
  // provider request.

  /** Runs fn directly when its rows fit one statement (atomic by itself), otherwise in a transaction. */
  private inOne<T>(rows: number, fn: (db: Db) => Promise<T>): Promise<T> {
    return rows <= CHUNK ? fn(this.db) : this.db.tx(fn);
  }

  async ledgerRange(roundId: string, afterId: string | null, throughId: string): Promise<Map<string, LedgerEntry>> {
    const rows = await this.db.all<{
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
  async markSending(roundId: string, rows: LedgerStart[]): Promise<void> {
    if (rows.length === 0) return;
    const now = Date.now();
    // One statement (a request's worth, up to 200 rows) is atomic by itself; more take a transaction.
    await this.inOne(rows.length, async (tx) => {
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
  async recordResults(roundId: string, rows: LedgerResult[]): Promise<void> {
    if (rows.length === 0) return;
    const now = Date.now();
    await this.inOne(rows.length, async (tx) => {
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
  async ledgerCounts(roundId: string, range?: { afterId: string | null; throughId: string }): Promise<LedgerCount[]> {
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
    const rows = await this.db.all<{ channel: string; state: DeliveryState; n: number; retries: number; dups: number }>(
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
  async firstSentAt(roundId: string): Promise<number | null> {
    const [r] = await this.db.all<{ t: number | null }>(
      "SELECT MIN(sent_at) AS t FROM deliveries WHERE round_id = ? AND state = 'sent'",
      [roundId],
    );
    return r?.t == null ? null : Number(r.t);
  }

  async deliveriesOf(roundId: string): Promise<(LedgerResult & { attempts: number; possibleDuplicate: boolean })[]> {
    const rows = await this.db.all<{
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
}

/** E-mail addresses compare case-insensitively; other addresses exactly. */
export function normaliseAddress(channel: string, address: string): string {
  return channel === 'email' ? address.trim().toLowerCase() : address.trim();
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
