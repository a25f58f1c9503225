import type { Db, Param } from './db';
import type { ComponentDay, PageIncident, PageMaintenance, PageState } from '../statuspage/types';

// The status page's history in the store, so a snapshot can be rebuilt at any time (publish
// --rebuild) and survives the statusPage workflow's continue-as-new and restarts:
//
// - page_items: every incident and maintenance as it was last published (the whole record, JSON),
//   by page and id, with its status and times for the queries below. Kept indefinitely (small).
// - page_component_days: each component's day in the page's time zone (worst status and seconds
//   in outage and maintenance), kept for the uptime window (90 days). A day is `final` once it was
//   recorded after the day had ended; a final day is never rewritten and wins over what a snapshot
//   computes, so the bars do not depend on the incidents still being at hand.
// - page_states: the page state last published (components, open and recent items), the fallback
//   when the statusPage workflow cannot be asked.
//
// Every write is an upsert that a retried publish repeats without effect, and an older record never
// replaces a newer one (compared by updated_at).

export type PageItemKind = 'incident' | 'maintenance';

export interface StoredDay extends ComponentDay {
  componentId: string;
  day: string;
  final: boolean;
}

export interface LoadedHistory {
  incidents: PageIncident[];
  maintenances: PageMaintenance[];
  days: StoredDay[];
}

interface DayRow {
  component_id: string;
  day: string;
  worst: ComponentDay['worst'];
  major_outage_seconds: number | string;
  partial_outage_seconds: number | string;
  maintenance_seconds: number | string;
  final: number;
}

const CHUNK = 100;
const marks = (rows: number, cols: number) =>
  Array.from({ length: rows }, () => `(${Array.from({ length: cols }, () => '?').join(', ')})`).join(', ');

/** What this process last recorded per database, page and item, so an unchanged record is not written again. */
const recorded = new WeakMap<Db, Map<string, Map<string, string>>>();

export class PageHistoryStore {
  constructor(private readonly db: Db) {}

  /**
   * Records every incident and maintenance of a published state. A record already stored with a
   * later updated_at is kept; an identical one is left alone. Returns the rows written.
   */
  async recordItems(pageKey: string, state: PageState, at = new Date().toISOString()): Promise<number> {
    let pages = recorded.get(this.db);
    if (!pages) recorded.set(this.db, (pages = new Map()));
    let seen = pages.get(pageKey);
    if (!seen) pages.set(pageKey, (seen = new Map()));
    const rows: { kind: PageItemKind; item: PageIncident | PageMaintenance; json: string }[] = [];
    for (const i of state.incidents) rows.push({ kind: 'incident', item: i, json: JSON.stringify(i) });
    for (const m of state.maintenances) rows.push({ kind: 'maintenance', item: m, json: JSON.stringify(m) });
    const todo = rows.filter((r) => seen.get(`${r.kind}:${r.item.id}`) !== r.json);
    let written = 0;
    for (let k = 0; k < todo.length; k += CHUNK) {
      const chunk = todo.slice(k, k + CHUNK);
      const params: Param[] = chunk.flatMap(({ kind, item, json }) => [
        pageKey,
        kind,
        item.id,
        item.status,
        item.createdAt,
        kind === 'incident' ? (item as PageIncident).startedAt : (item as PageMaintenance).scheduledFor,
        item.updatedAt,
        item.resolvedAt,
        json,
        at,
      ]);
      written += await this.db.run(
        `INSERT INTO page_items (page_id, kind, id, status, created_at, sort_at, updated_at, resolved_at, record, recorded_at) VALUES ${marks(chunk.length, 10)}
         ON CONFLICT (page_id, kind, id) DO UPDATE SET status = excluded.status, created_at = excluded.created_at, sort_at = excluded.sort_at,
           updated_at = excluded.updated_at, resolved_at = excluded.resolved_at, record = excluded.record, recorded_at = excluded.recorded_at
         WHERE excluded.updated_at >= page_items.updated_at AND excluded.record <> page_items.record`,
        params,
      );
    }
    for (const r of todo) seen.set(`${r.kind}:${r.item.id}`, r.json);
    return written;
  }

  /** Records the page state as published; an older state never replaces a newer one. */
  async recordState(pageKey: string, state: PageState, version: number, at = new Date().toISOString()): Promise<void> {
    await this.db.run(
      `INSERT INTO page_states (page_id, state, updated_at, version, recorded_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (page_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, version = excluded.version, recorded_at = excluded.recorded_at
       WHERE excluded.updated_at >= page_states.updated_at AND excluded.state <> page_states.state`,
      [pageKey, JSON.stringify(state), state.updatedAt, version, at],
    );
  }

  /** The page state last recorded, and the workflow's publish version then. */
  async lastState(pageKey: string): Promise<{ state: PageState; version: number; recordedAt: string } | undefined> {
    const [row] = await this.db.all<{ state: string; version: number | string; recorded_at: string }>(
      'SELECT state, version, recorded_at FROM page_states WHERE page_id = ?',
      [pageKey],
    );
    return row
      ? { state: JSON.parse(row.state) as PageState, version: Number(row.version), recordedAt: row.recorded_at }
      : undefined;
  }

  /**
   * What a snapshot needs besides the current state: every item that started, was scheduled or
   * changed since `horizon` (the history pages and uptime bars), the `mostRecent` most recent of
   * each kind (the v2 lists and the feeds), and the component days from `firstDay` on.
   */
  async load(pageKey: string, horizon: string, firstDay: string, mostRecent = 50): Promise<LoadedHistory> {
    const items = async <T extends { id: string }>(kind: PageItemKind): Promise<T[]> => {
      const queries = [
        this.db.all<{ record: string }>(
          'SELECT record FROM page_items WHERE page_id = ? AND kind = ? AND (sort_at >= ? OR updated_at >= ?)',
          [pageKey, kind, horizon, horizon],
        ),
        this.db.all<{ record: string }>(
          'SELECT record FROM page_items WHERE page_id = ? AND kind = ? ORDER BY created_at DESC, id DESC LIMIT ?',
          [pageKey, kind, mostRecent],
        ),
        this.db.all<{ record: string }>(
          'SELECT record FROM page_items WHERE page_id = ? AND kind = ? ORDER BY sort_at DESC, id DESC LIMIT ?',
          [pageKey, kind, mostRecent],
        ),
        this.db.all<{ record: string }>(
          'SELECT record FROM page_items WHERE page_id = ? AND kind = ? ORDER BY updated_at DESC, id DESC LIMIT ?',
          [pageKey, kind, mostRecent],
        ),
      ];
      const byId = new Map<string, T>();
      for (const rows of await Promise.all(queries)) {
        for (const r of rows) {
          const item = JSON.parse(r.record) as T;
          if (!byId.has(item.id)) byId.set(item.id, item);
        }
      }
      return [...byId.values()];
    };
    const [incidents, maintenances, dayRows] = await Promise.all([
      items<PageIncident>('incident'),
      items<PageMaintenance>('maintenance'),
      this.db.all<DayRow>(
        'SELECT component_id, day, worst, major_outage_seconds, partial_outage_seconds, maintenance_seconds, final FROM page_component_days WHERE page_id = ? AND day >= ? ORDER BY component_id, day',
        [pageKey, firstDay],
      ),
    ]);
    const days = dayRows.map((r) => ({
      componentId: r.component_id,
      day: r.day,
      worst: r.worst,
      majorOutageSeconds: Number(r.major_outage_seconds),
      partialOutageSeconds: Number(r.partial_outage_seconds),
      maintenanceSeconds: Number(r.maintenance_seconds),
      final: Number(r.final) === 1,
    }));
    return { incidents, maintenances, days };
  }

  /**
   * Records component days: a day not stored yet, or stored but not final and now different (or
   * now final). A final day is never rewritten. Returns the rows written.
   */
  async recordDays(pageKey: string, days: StoredDay[], stored: StoredDay[], at = new Date().toISOString()): Promise<number> {
    const have = new Map(stored.map((d) => [`${d.componentId}|${d.day}`, d]));
    const same = (a: StoredDay, b: StoredDay) =>
      a.worst === b.worst &&
      a.majorOutageSeconds === b.majorOutageSeconds &&
      a.partialOutageSeconds === b.partialOutageSeconds &&
      a.maintenanceSeconds === b.maintenanceSeconds &&
      a.final === b.final;
    const todo = days.filter((d) => {
      const old = have.get(`${d.componentId}|${d.day}`);
      return !old || (!old.final && !same(old, d));
    });
    let written = 0;
    for (let k = 0; k < todo.length; k += CHUNK) {
      const chunk = todo.slice(k, k + CHUNK);
      const params: Param[] = chunk.flatMap((d) => [
        pageKey,
        d.componentId,
        d.day,
        d.worst,
        d.majorOutageSeconds,
        d.partialOutageSeconds,
        d.maintenanceSeconds,
        d.final ? 1 : 0,
        at,
      ]);
      written += await this.db.run(
        `INSERT INTO page_component_days (page_id, component_id, day, worst, major_outage_seconds, partial_outage_seconds, maintenance_seconds, final, recorded_at) VALUES ${marks(chunk.length, 9)}
         ON CONFLICT (page_id, component_id, day) DO UPDATE SET worst = excluded.worst, major_outage_seconds = excluded.major_outage_seconds,
           partial_outage_seconds = excluded.partial_outage_seconds, maintenance_seconds = excluded.maintenance_seconds, final = excluded.final, recorded_at = excluded.recorded_at
         WHERE page_component_days.final = 0`,
        params,
      );
    }
    return written;
  }

  /** Drops component days before `firstDay` (YYYY-MM-DD): the uptime window is all that is kept. */
  async pruneDays(pageKey: string, firstDay: string): Promise<number> {
    return this.db.run('DELETE FROM page_component_days WHERE page_id = ? AND day < ?', [pageKey, firstDay]);
  }

  /** How many items of each kind the store holds for a page. */
  async countItems(pageKey: string): Promise<{ incidents: number; maintenances: number }> {
    const rows = await this.db.all<{ kind: string; n: number | string }>(
      'SELECT kind, COUNT(*) AS n FROM page_items WHERE page_id = ? GROUP BY kind',
      [pageKey],
    );
    const n = (k: string) => Number(rows.find((r) => r.kind === k)?.n ?? 0);
    return { incidents: n('incident'), maintenances: n('maintenance') };
  }
}

/** The history of the status pages in a store. */
export function pageHistory(store: { db: Db }): PageHistoryStore {
  return new PageHistoryStore(store.db);
}

/** The key a page's history is stored under: drill pages keep theirs apart from the public page. */
export function pageKey(pageId: string, drill: boolean): string {
  return drill ? `${pageId}~drill` : pageId;
}
