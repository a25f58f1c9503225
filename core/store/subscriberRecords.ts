import type { Db, Param } from './db';
import { chunks, marks, nowIso } from './sql';
import { normaliseAddress } from './audience';
import type { ConsentState, Subscriber, ValidSubscriber } from './subscribers';

// The subscriber tables: one row per subscriber, with the components they follow and their
// attributes in tables of their own; written by import and confirmation, read page by page.

export interface ImportOutcome {
  inserted: number;
  updated: number;
}

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

/** Inserts or replaces subscribers by id (their components and attributes too), in one transaction per chunk. */
export async function upsertSubscribers(db: Db, rows: (ValidSubscriber & { id: string })[]): Promise<ImportOutcome> {
  const outcome: ImportOutcome = { inserted: 0, updated: 0 };
  for (const part of chunks(rows)) {
    // The last row for an id wins, as if the rows were applied one by one.
    const byId = new Map(part.map((r) => [r.id, r]));
    const list = [...byId.values()];
    await db.tx(async (tx) => {
      const ids = list.map((r) => r.id);
      const existing = new Map(
        (await tx.all<SubscriberRow>(`SELECT * FROM subscribers WHERE id IN (${marks(ids.length)})`, ids)).map((r) => [r.id, r]),
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

export async function getSubscriber(db: Db, id: string): Promise<Subscriber | undefined> {
  const [s] = await subscribersPage(db, null, 1, id);
  return s?.id === id ? s : undefined;
}

/** Every subscriber in id order, a page at a time (export). */
export async function subscribersPage(db: Db, afterId: string | null, limit: number, onlyId?: string): Promise<Subscriber[]> {
  const rows = onlyId
    ? await db.all<SubscriberRow>('SELECT * FROM subscribers WHERE id = ?', [onlyId])
    : await db.all<SubscriberRow>(
        `SELECT * FROM subscribers ${afterId === null ? '' : 'WHERE id > ?'} ORDER BY id LIMIT ?`,
        afterId === null ? [limit] : [afterId, limit],
      );
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const comps = await db.all<{ subscriber_id: string; component_id: string }>(
    `SELECT subscriber_id, component_id FROM subscriber_components WHERE subscriber_id IN (${marks(ids.length)}) ORDER BY component_id`,
    ids,
  );
  const attrs = await db.all<{ subscriber_id: string; name: string; value: string }>(
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

export async function attributeNames(db: Db): Promise<string[]> {
  return (await db.all<{ name: string }>('SELECT DISTINCT name FROM subscriber_attributes ORDER BY name')).map((r) => r.name);
}

/**
 * Ids of the subscribers with this address on a channel (email compares case-insensitively), in
 * id order. Looked up by column scan: used when a subscription is confirmed, not per message.
 */
export async function subscriberIdsByAddress(db: Db, channel: 'email' | 'sms' | 'webhook', address: string): Promise<string[]> {
  const where = channel === 'email' ? 'lower(email) = ?' : channel === 'sms' ? 'phone = ?' : 'webhook_url = ?';
  const rows = await db.all<{ id: string }>(`SELECT id FROM subscribers WHERE ${where} ORDER BY id LIMIT 100`, [
    normaliseAddress(channel, address),
  ]);
  return rows.map((r) => r.id);
}

export async function countSubscribers(db: Db): Promise<number> {
  const [r] = await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM subscribers');
  return Number(r?.n ?? 0);
}

/** Records a consent change (double opt-in confirmation, one-click unsubscribe). False when no such subscriber. */
export async function setConsent(db: Db, id: string, state: ConsentState, at: string = nowIso()): Promise<boolean> {
  const column = state === 'confirmed' ? 'confirmed_at' : state === 'unsubscribed' ? 'unsubscribed_at' : 'consent_requested_at';
  return (
    (await db.run(`UPDATE subscribers SET consent = ?, ${column} = ?, updated_at = ? WHERE id = ?`, [state, at, at, id])) > 0
  );
}
