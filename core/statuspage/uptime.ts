import type { ComponentStatus, Plan } from '../plan/schema';
import { lastDays, startOfDay } from './days';
import type { ComponentDay, PageHistory, PageIncident, PageMaintenance } from './types';

// 90-day uptime per component, from what the incidents and maintenances say each component went
// through and when. Like Statuspage, a major outage counts fully as downtime, a partial outage at 30 %,
// degraded performance and maintenance not at all; a day shows the worst status it saw. Uptime is
// taken over whole days since the component appeared on the page (today up to now): days before it
// existed have no data and count for nothing, so a fresh page does not read "0 %" after one outage.
// A component is charged from when it was affected, not from the incident's start when it was added later.

export const UPTIME_DAYS = 90;
const PARTIAL_WEIGHT = 0.3;
const RANK: ComponentStatus[] = ['operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage'];
const OPEN = new Set(['investigating', 'identified', 'monitoring']);

export interface UptimeDay extends ComponentDay {
  day: string;
  /** Before the component existed on the page: nothing to show. */
  noData: boolean;
  /** Incidents and maintenances that touched the component that day. */
  events: { id: string; name: string; kind: 'incident' | 'maintenance' }[];
}

export interface ComponentUptime {
  id: string;
  /** e.g. "99.95", or null when there is no observed time yet. */
  percent: string | null;
  days: UptimeDay[];
}

interface Segment {
  start: number;
  end: number;
  status: ComponentStatus;
  event: { id: string; name: string; kind: 'incident' | 'maintenance' };
}

const ms = (iso: string) => new Date(iso).getTime();

function incidentSegments(i: PageIncident, componentId: string, now: number): Segment[] {
  if (!i.components.includes(componentId) && !(componentId in i.componentStatuses)) return [];
  const start = ms(i.startedAt);
  const end = i.resolvedAt ? ms(i.resolvedAt) : OPEN.has(i.status) ? now : ms(i.updatedAt);
  if (!(end > start)) return [];
  const event = { id: i.id, name: i.name, kind: 'incident' as const };
  const transitions = [...i.updates]
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .flatMap((u) =>
      (u.affectedComponents ?? [])
        .filter((a) => a.id === componentId)
        .map((a) => ({ at: Math.max(start, ms(u.createdAt)), status: a.newStatus })),
    );
  if (transitions.length === 0) {
    const status = i.componentStatuses[componentId];
    return status && status !== 'operational' ? [{ start, end, status, event }] : [];
  }
  // From the start when the incident's first update affected it (else from the update that added it),
  // then each change until the next one.
  const firstUpdate = Math.min(...i.updates.map((u) => Math.max(start, ms(u.createdAt))));
  const segments: Segment[] = [];
  for (let k = 0; k < transitions.length; k++) {
    const from = k === 0 && transitions[0]!.at <= firstUpdate ? start : transitions[k]!.at;
    const to = Math.min(end, k + 1 < transitions.length ? transitions[k + 1]!.at : end);
    const status = transitions[k]!.status;
    if (to > from && status !== 'operational') segments.push({ start: from, end: to, status, event });
  }
  return segments;
}

function maintenanceSegments(m: PageMaintenance, componentId: string, now: number): Segment[] {
  if (!m.components.includes(componentId) || !m.startedAt) return [];
  const start = ms(m.startedAt);
  const end = m.resolvedAt ? ms(m.resolvedAt) : m.status === 'in_progress' || m.status === 'verifying' ? now : ms(m.updatedAt);
  if (!(end > start)) return [];
  return [
    {
      start,
      end,
      status: m.componentStatuses[componentId] ?? 'under_maintenance',
      event: { id: m.id, name: m.name, kind: 'maintenance' },
    },
  ];
}

/** Seconds per status within [from, to), the worst status winning wherever segments overlap. */
function tally(segments: Segment[], from: number, to: number): ComponentDay & { events: Segment['event'][] } {
  const inside = segments.filter((s) => s.end > from && s.start < to);
  const day: ComponentDay & { events: Segment['event'][] } = {
    worst: 'operational',
    majorOutageSeconds: 0,
    partialOutageSeconds: 0,
    maintenanceSeconds: 0,
    events: [],
  };
  if (inside.length === 0) return day;
  const seen = new Set<string>();
  for (const s of inside) {
    if (seen.has(s.event.id)) continue;
    seen.add(s.event.id);
    day.events.push(s.event);
  }
  const points = [...new Set([from, to, ...inside.flatMap((s) => [s.start, s.end]).filter((p) => p > from && p < to)])].sort(
    (a, b) => a - b,
  );
  for (let k = 0; k + 1 < points.length; k++) {
    const a = points[k]!;
    const b = points[k + 1]!;
    let worst = 0;
    for (const s of inside) if (s.start <= a && s.end >= b) worst = Math.max(worst, RANK.indexOf(s.status));
    const status = RANK[worst]!;
    const seconds = (b - a) / 1000;
    if (status === 'major_outage') day.majorOutageSeconds += seconds;
    else if (status === 'partial_outage') day.partialOutageSeconds += seconds;
    else if (status === 'under_maintenance') day.maintenanceSeconds += seconds;
    if (worst > RANK.indexOf(day.worst)) day.worst = status;
  }
  day.majorOutageSeconds = Math.round(day.majorOutageSeconds);
  day.partialOutageSeconds = Math.round(day.partialOutageSeconds);
  day.maintenanceSeconds = Math.round(day.maintenanceSeconds);
  return day;
}

export interface UptimeInput {
  plan: Plan;
  /** When the page (and its components) started: days before it have no data. */
  since: string;
  now: string;
  incidents: PageIncident[];
  maintenances: PageMaintenance[];
  history?: PageHistory;
  days?: number;
}

/** Each component's last `days` days in the page's time zone, oldest first, with its uptime over them. */
export function componentUptime({
  plan,
  since,
  now,
  incidents,
  maintenances,
  history,
  days = UPTIME_DAYS,
}: UptimeInput): ComponentUptime[] {
  const nowMs = ms(now);
  const pageSince = ms(since);
  const calendar = lastDays(nowMs, days, plan.page.timeZone);
  const storedDays = Object.values(history?.componentDays ?? {}).flatMap((d) => Object.keys(d));
  const lastStored = storedDays.length > 0 ? storedDays.reduce((a, b) => (a > b ? a : b)) : undefined;
  /** When a component appeared: its first recorded day; a component no recorded day knows came after the last one. */
  const componentSince = (id: string): number => {
    const own = Object.keys(history?.componentDays?.[id] ?? {}).sort();
    if (own.length > 0) return Math.min(pageSince, startOfDay(own[0]!, plan.page.timeZone));
    if (lastStored) return Math.max(pageSince, startOfDay(nextDay(lastStored), plan.page.timeZone));
    return pageSince;
  };
  return plan.components.map((c) => {
    const sinceMs = componentSince(c.id);
    const segments = [
      ...incidents.flatMap((i) => incidentSegments(i, c.id, nowMs)),
      ...maintenances.flatMap((m) => maintenanceSegments(m, c.id, nowMs)),
    ];
    const stored = history?.componentDays?.[c.id] ?? {};
    let observed = 0;
    let down = 0;
    const out: UptimeDay[] = calendar.map(({ day, start, end }) => {
      const from = Math.max(start, sinceMs);
      const to = Math.min(end, nowMs);
      const fromStore = stored[day];
      if (!fromStore && to <= from)
        return {
          day,
          noData: true,
          worst: 'operational',
          majorOutageSeconds: 0,
          partialOutageSeconds: 0,
          maintenanceSeconds: 0,
          events: [],
        };
      const computed = tally(segments, from, to);
      const d = fromStore ? { ...fromStore, events: computed.events } : computed;
      // Whole days: the day the component appeared counts from its start, today up to now.
      observed += (Math.min(end, nowMs) - start) / 1000;
      down += d.majorOutageSeconds + PARTIAL_WEIGHT * d.partialOutageSeconds;
      return { day, noData: false, ...d };
    });
    const percent = observed > 0 ? formatPercent(Math.max(0, 1 - down / observed) * 100) : null;
    return { id: c.id, percent, days: out };
  });
}

/** Two decimals, never rounding a real outage up to 100.00. */
function formatPercent(p: number): string {
  const floored = Math.floor(p * 100) / 100;
  return floored.toFixed(2);
}

/** The calendar day after `day` (YYYY-MM-DD). */
function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
