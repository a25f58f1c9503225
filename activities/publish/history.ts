import type { Plan } from '../../core/plan/schema';
import { pageHistory, pageKey, type StoredDay } from '../../core/store/history';
import type { Store } from '../../core/store';
import { lastDays } from '../../core/statuspage/days';
import { buildSnapshot, type Snapshot } from '../../core/statuspage/snapshot';
import type { ComponentDay, PageHistory, PageState } from '../../core/statuspage/types';
import { UPTIME_DAYS, componentUptime } from '../../core/statuspage/uptime';
import { withoutDrills } from '../../core/statuspage/v2';

// A page's snapshot with its history from the store. Publishing records the state first (its items,
// the state itself, and the component days it implies), then renders from the state plus what the
// store holds beyond it, so the history pages, the v2 lists, the feeds and the uptime bars do not
// depend on what the statusPage workflow still carries. Rebuilding (publish --rebuild) does the
// same from a state it queried or the last one recorded.

const DAY_MS = 86_400_000;

export interface RenderInput {
  plan: Plan;
  store: Store;
  templatesDir: string;
  pageId: string;
  drill: boolean;
  state: PageState;
  version: number;
  /** Record the state and its days (default true); false only renders from what is stored. */
  record?: boolean;
  /** Where the status page's subscribe form posts (subscribeUrlOf(config)); no form without it. */
  subscribeUrl?: string;
}

export interface RenderResult {
  snapshot: Snapshot;
  /** Store rows written: items, component days. */
  recorded: { items: number; days: number };
  /** Items the history added beyond the state. */
  fromHistory: { incidents: number; maintenances: number };
}

export async function renderWithHistory(input: RenderInput): Promise<RenderResult> {
  const { plan, store, state, drill } = input;
  const key = pageKey(input.pageId, drill);
  const history = pageHistory(store);
  const record = input.record !== false;
  let items = 0;
  if (record) {
    items = await history.recordItems(key, state);
    await history.recordState(key, state, input.version);
  }
  const nowMs = new Date(state.updatedAt).getTime();
  const calendar = lastDays(nowMs, UPTIME_DAYS, plan.page.timeZone);
  const firstDay = calendar[0]!.day;
  // A day or two of margin: an item that started just before the window may still show in it.
  const horizon = new Date(nowMs - (UPTIME_DAYS + 2) * DAY_MS).toISOString();
  const loaded = await history.load(key, horizon, firstDay);

  const componentDays: Record<string, Record<string, ComponentDay>> = {};
  for (const d of loaded.days) {
    if (!d.final) continue;
    (componentDays[d.componentId] ??= {})[d.day] = {
      worst: d.worst,
      majorOutageSeconds: d.majorOutageSeconds,
      partialOutageSeconds: d.partialOutageSeconds,
      maintenanceSeconds: d.maintenanceSeconds,
    };
  }
  const inState = (kind: 'i' | 'm') => new Set((kind === 'i' ? state.incidents : state.maintenances).map((x) => x.id));
  const incidentIds = inState('i');
  const maintenanceIds = inState('m');
  const pageHistoryInput: PageHistory = {
    incidents: loaded.incidents.filter((i) => !incidentIds.has(i.id)),
    maintenances: loaded.maintenances.filter((m) => !maintenanceIds.has(m.id)),
    componentDays,
  };

  let days = 0;
  if (record) {
    // The days as the snapshot shows them, recorded: final once the day has ended.
    const merged: PageState = {
      ...state,
      incidents: [...state.incidents, ...pageHistoryInput.incidents!],
      maintenances: [...state.maintenances, ...pageHistoryInput.maintenances!],
    };
    const visible = drill ? merged : withoutDrills(merged);
    const uptime = componentUptime({
      plan,
      since: state.createdAt,
      now: state.updatedAt,
      incidents: visible.incidents,
      maintenances: merged.maintenances,
      history: pageHistoryInput,
    });
    const ends = new Map(calendar.map((c) => [c.day, c.end]));
    const rows: StoredDay[] = uptime.flatMap((c) =>
      c.days
        .filter((d) => !d.noData)
        .map((d) => ({
          componentId: c.id,
          day: d.day,
          worst: d.worst,
          majorOutageSeconds: d.majorOutageSeconds,
          partialOutageSeconds: d.partialOutageSeconds,
          maintenanceSeconds: d.maintenanceSeconds,
          final: (ends.get(d.day) ?? Infinity) <= nowMs,
        })),
    );
    days = await history.recordDays(key, rows, loaded.days);
    await history.pruneDays(key, firstDay);
  }

  const snapshot = buildSnapshot(plan, state, input.templatesDir, {
    drill,
    history: pageHistoryInput,
    subscribeUrl: input.subscribeUrl,
  });
  return {
    snapshot,
    recorded: { items, days },
    fromHistory: { incidents: pageHistoryInput.incidents!.length, maintenances: pageHistoryInput.maintenances!.length },
  };
}
