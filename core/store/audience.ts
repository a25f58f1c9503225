import type { Db, Param } from './db';
import { chunks, marks, nowIso } from './sql';
import type { Recipient } from './subscribers';

// Who a round reaches: keyset pages over the subscribers matching a plan audience and the affected
// components, and the suppressions (bounces, complaints, opt-outs) per channel address that a
// delivery checks before sending.

export interface AudienceFilter {
  /** Subscribers of any of these components (or of every component). */
  components: string[];
  excludeComponents?: string[];
  internal: boolean;
  /** Attribute name → accepted values; `internal` matches the internal flag ("true"/"false"). */
  attributes: Record<string, string[]>;
  /**
   * Audiences of the same message that outrank this one: their members with an address on one of
   * their channels hear it from them, so this audience leaves them out.
   */
  outrankedBy?: OutrankingAudience[];
}

export interface OutrankingAudience {
  internal: boolean;
  attributes: Record<string, string[]>;
  channels: string[];
}

/** The subscriber column that holds each channel's address. */
const ADDRESS_COLUMN: Record<string, string> = {
  email: 's.email',
  sms: 's.phone',
  voice: 's.phone',
  push: 's.push_token',
  webhook: 's.webhook_url',
  chat: 's.chat_url',
};

export interface SuppressionInput {
  channel: string;
  address: string;
  reason: 'bounce' | 'complaint' | 'opt-out' | 'manual';
  detail?: string;
}

function audienceWhere(f: AudienceFilter): { sql: string; params: Param[] } {
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
  for (const higher of f.outrankedBy ?? []) {
    const columns = [...new Set(higher.channels.map((c) => ADDRESS_COLUMN[c]).filter((c): c is string => !!c))];
    if (columns.length === 0) continue;
    const reached = audienceWhere({
      components: f.components,
      ...(f.excludeComponents ? { excludeComponents: f.excludeComponents } : {}),
      internal: higher.internal,
      attributes: higher.attributes,
    });
    parts.push(`NOT (${reached.sql} AND (${columns.map((c) => `${c} IS NOT NULL`).join(' OR ')}))`);
    params.push(...reached.params);
  }
  return { sql: parts.join(' AND '), params };
}

/** Ids of the next `limit` audience members after `afterId`, in order. */
export async function audienceIds(db: Db, f: AudienceFilter, afterId: string | null, limit: number): Promise<string[]> {
  const w = audienceWhere(f);
  const rows = await db.all<{ id: string }>(
    `SELECT s.id FROM subscribers s WHERE ${afterId === null ? '' : 's.id > ? AND '}${w.sql} ORDER BY s.id LIMIT ?`,
    [...(afterId === null ? [] : [afterId]), ...w.params, limit],
  );
  return rows.map((r) => r.id);
}

/** Audience members with afterId < id ≤ throughId, in order, at most `limit`. */
export async function audienceRange(
  db: Db,
  f: AudienceFilter,
  afterId: string | null,
  throughId: string,
  limit: number,
): Promise<Recipient[]> {
  const w = audienceWhere(f);
  return db.all<Recipient>(
    `SELECT s.id, s.email, s.phone, s.push_token AS push, s.webhook_url AS webhook, s.chat_url AS chat, s.locale, s.consent
     FROM subscribers s WHERE ${afterId === null ? '' : 's.id > ? AND '}s.id <= ? AND ${w.sql} ORDER BY s.id LIMIT ?`,
    [...(afterId === null ? [] : [afterId]), throughId, ...w.params, limit],
  );
}

export async function countAudience(db: Db, f: AudienceFilter): Promise<number> {
  const w = audienceWhere(f);
  const [r] = await db.all<{ n: number }>(`SELECT COUNT(*) AS n FROM subscribers s WHERE ${w.sql}`, w.params);
  return Number(r?.n ?? 0);
}

// -------------------------------------------------------------------------------------------
// Suppressions

export async function addSuppressions(db: Db, rows: SuppressionInput[]): Promise<void> {
  if (rows.length === 0) return;
  const now = nowIso();
  for (const part of chunks(rows)) {
    await db.run(
      `INSERT INTO suppressions (channel, address, reason, detail, created_at) VALUES ${part.map(() => '(?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (channel, address) DO UPDATE SET reason = excluded.reason, detail = excluded.detail`,
      part.flatMap((r) => [r.channel, normaliseAddress(r.channel, r.address), r.reason, r.detail ?? null, now]),
    );
  }
}

export async function removeSuppression(db: Db, channel: string, address: string): Promise<boolean> {
  return (
    (await db.run('DELETE FROM suppressions WHERE channel = ? AND address = ?', [channel, normaliseAddress(channel, address)])) >
    0
  );
}

/** The suppressions among these addresses, keyed "channel address". */
export async function suppressionsFor(
  db: Db,
  items: { channel: string; address: string }[],
): Promise<Map<string, SuppressionInput['reason']>> {
  const out = new Map<string, SuppressionInput['reason']>();
  const byChannel = new Map<string, string[]>();
  for (const i of items) {
    const list = byChannel.get(i.channel) ?? [];
    list.push(normaliseAddress(i.channel, i.address));
    byChannel.set(i.channel, list);
  }
  for (const [channel, addresses] of byChannel) {
    for (const part of chunks(addresses, 400)) {
      const rows = await db.all<{ address: string; reason: SuppressionInput['reason'] }>(
        `SELECT address, reason FROM suppressions WHERE channel = ? AND address IN (${marks(part.length)})`,
        [channel, ...part],
      );
      for (const r of rows) out.set(`${channel} ${r.address}`, r.reason);
    }
  }
  return out;
}

/** E-mail addresses compare case-insensitively; other addresses exactly. */
export function normaliseAddress(channel: string, address: string): string {
  return channel === 'email' ? address.trim().toLowerCase() : address.trim();
}
