import type { Plan } from '../plan/schema';
import type { PageIncident, PageMaintenance, PageState, PageUpdate } from './types';

// Atlassian Statuspage public API v2 shapes (shared/reference/status-pages.md §2), built from
// Herald's page state. Herald's extras (eta, next_update_at) are added fields only.

const MOST_RECENT = 50;

export type Indicator = 'none' | 'minor' | 'major' | 'critical' | 'maintenance';

export function v2Page(plan: Plan, state: PageState) {
  return {
    id: plan.page.id,
    name: plan.page.name,
    url: plan.page.url,
    time_zone: plan.page.timeZone,
    updated_at: state.updatedAt,
  };
}

/**
 * components.json rows in the plan's order: each group's row comes right before its first child,
 * carries `group: true` and its children's ids, and shows the worst of their statuses.
 */
export function v2Components(plan: Plan, state: PageState, locale = plan.page.defaultLocale) {
  const statusOf = (id: string) => state.components[id]?.status ?? 'operational';
  const updatedOf = (id: string) => state.components[id]?.updatedAt ?? state.createdAt;
  const pick = (text: Record<string, string> | undefined) => text?.[locale] ?? text?.[plan.page.defaultLocale];
  const rows: V2ComponentRow[] = [];
  const placed = new Set<string>();
  const groupRow = (groupId: string): V2ComponentRow | undefined => {
    const g = plan.groups.find((x) => x.id === groupId);
    if (!g) return undefined;
    const children = plan.components.filter((c) => c.group === g.id);
    return {
      id: g.id,
      name: pick(g.name) ?? g.id,
      status: worstStatus(children.map((c) => statusOf(c.id))),
      created_at: state.createdAt,
      updated_at: latest([state.createdAt, ...children.map((c) => updatedOf(c.id))]),
      position: 0,
      description: null,
      showcase: false,
      start_date: null,
      group_id: null,
      page_id: plan.page.id,
      group: true,
      only_show_if_degraded: false,
      components: children.map((c) => c.id),
    };
  };
  for (const c of plan.components) {
    if (c.group && !placed.has(c.group)) {
      const g = groupRow(c.group);
      if (g) rows.push(g);
      placed.add(c.group);
    }
    rows.push({
      id: c.id,
      name: pick(c.name) ?? c.id,
      status: statusOf(c.id),
      created_at: state.createdAt,
      updated_at: updatedOf(c.id),
      position: 0,
      description: pick(c.description) ?? null,
      showcase: true,
      start_date: state.createdAt.slice(0, 10),
      group_id: c.group && plan.groups.some((g) => g.id === c.group) ? c.group : null,
      page_id: plan.page.id,
      group: false,
      only_show_if_degraded: false,
    });
  }
  rows.forEach((r, i) => (r.position = i + 1));
  return rows;
}

export type ComponentStatusV2 = 'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage' | 'under_maintenance';

export interface V2ComponentRow {
  id: string;
  name: string;
  status: ComponentStatusV2;
  created_at: string;
  updated_at: string;
  position: number;
  description: string | null;
  showcase: boolean;
  start_date: string | null;
  group_id: string | null;
  page_id: string;
  group: boolean;
  only_show_if_degraded: boolean;
  /** Group rows only: the children's ids. */
  components?: string[];
}

type V2Component = V2ComponentRow;

function v2Updates(parentId: string, updates: PageUpdate[], components: Map<string, V2Component>) {
  // Newest first, whatever order they were recorded in; ties keep their recorded order, later first.
  const newestFirst = updates
    .map((u, i) => ({ u, i }))
    .sort((a, b) => (a.u.createdAt < b.u.createdAt ? 1 : a.u.createdAt > b.u.createdAt ? -1 : b.i - a.i));
  return newestFirst.map(({ u }) => ({
    id: u.id,
    incident_id: parentId,
    status: u.status,
    body: u.body,
    created_at: u.createdAt,
    updated_at: u.createdAt,
    display_at: u.createdAt,
    affected_components:
      u.affectedComponents && u.affectedComponents.length > 0
        ? u.affectedComponents.map((a) => ({
            code: a.id,
            name: components.get(a.id)?.name ?? a.id,
            old_status: a.oldStatus,
            new_status: a.newStatus,
          }))
        : null,
    deliver_notifications: true,
    custom_tweet: null,
    tweet_id: null,
  }));
}

export function v2Incident(plan: Plan, i: PageIncident, components: Map<string, V2Component>) {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    monitoring_at: i.monitoringAt,
    resolved_at: i.resolvedAt,
    impact: i.impact,
    shortlink: shortlink(plan, i.id),
    started_at: i.startedAt,
    page_id: plan.page.id,
    incident_updates: v2Updates(i.id, i.updates, components),
    components: i.components.map((c) => components.get(c)).filter((c): c is V2Component => !!c),
    eta: i.eta,
    next_update_at: i.nextUpdateAt,
  };
}

export function v2Maintenance(plan: Plan, m: PageMaintenance, components: Map<string, V2Component>) {
  return {
    id: m.id,
    name: m.name,
    status: m.status,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    monitoring_at: null,
    resolved_at: m.resolvedAt,
    impact: m.impact,
    shortlink: shortlink(plan, m.id),
    started_at: m.startedAt ?? m.scheduledFor,
    page_id: plan.page.id,
    incident_updates: v2Updates(m.id, m.updates, components),
    components: m.components.map((c) => components.get(c)).filter((c): c is V2Component => !!c),
    scheduled_for: m.scheduledFor,
    scheduled_until: m.scheduledUntil,
    next_update_at: m.nextUpdateAt,
  };
}

const SEVERITY_ORDER = ['operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage'] as const;
function worstStatus(statuses: string[]): (typeof SEVERITY_ORDER)[number] {
  let worst = 0;
  for (const s of statuses) worst = Math.max(worst, SEVERITY_ORDER.indexOf(s as (typeof SEVERITY_ORDER)[number]));
  return SEVERITY_ORDER[worst]!;
}

function latest(times: string[]): string {
  return times.reduce((a, b) => (a > b ? a : b));
}

export function shortlink(plan: Plan, id: string): string {
  return `${plan.page.url.replace(/\/+$/, '')}/incidents/${encodeURIComponent(id)}.html`;
}

const DESCRIPTIONS: Record<Indicator, string> = {
  none: 'All Systems Operational',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major System Outage',
  maintenance: 'Service Under Maintenance',
};

/** The page roll-up: the worst of the open incidents' impact and the components' statuses. */
export function v2Status(
  plan: Plan,
  fullState: PageState,
  options: V2Options = {},
): { indicator: Indicator; description: string } {
  const state = options.drill ? fullState : withoutDrills(fullState);
  const statuses = plan.components.map((c) => state.components[c.id]?.status ?? 'operational');
  const rank: Indicator[] = ['none', 'minor', 'major', 'critical'];
  let level = 0;
  for (const i of state.incidents)
    if (UNRESOLVED.has(i.status) && (options.drill || !i.drill)) level = Math.max(level, rank.indexOf(i.impact));
  const count = (s: string) => statuses.filter((x) => x === s).length;
  if (count('major_outage') > 0) level = Math.max(level, count('major_outage') * 2 >= statuses.length ? 3 : 2);
  if (count('partial_outage') > 0) level = Math.max(level, count('partial_outage') * 2 >= statuses.length ? 2 : 1);
  if (count('degraded_performance') > 0) level = Math.max(level, 1);
  if (level === 0 && count('under_maintenance') > 0) return { indicator: 'maintenance', description: DESCRIPTIONS.maintenance };
  const indicator = rank[level]!;
  const onlyDegraded =
    indicator === 'minor' && count('partial_outage') === 0 && count('major_outage') === 0 && count('degraded_performance') > 0;
  return { indicator, description: onlyDegraded ? 'Partially Degraded Service' : DESCRIPTIONS[indicator] };
}

const byNewest = <T extends { createdAt: string }>(a: T, b: T) =>
  a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0;
const UNRESOLVED = new Set(['investigating', 'identified', 'monitoring']);

export interface V2Options {
  /** A drill page shows drill incidents; the public page never does. */
  drill?: boolean;
}

const STATUS_RANK = ['operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage'] as const;

/**
 * The page as the public sees it: drill incidents removed, and the components they touched given
 * back the status the other open incidents and active maintenances give them.
 */
export function withoutDrills(state: PageState): PageState {
  if (!state.incidents.some((i) => i.drill)) return state;
  const incidents = state.incidents.filter((i) => !i.drill);
  const worst = new Map<string, ComponentStatusV2>();
  const raise = (id: string, s: ComponentStatusV2) => {
    if (STATUS_RANK.indexOf(s) > STATUS_RANK.indexOf(worst.get(id) ?? 'operational')) worst.set(id, s);
  };
  for (const i of incidents)
    if (UNRESOLVED.has(i.status)) for (const [id, s] of Object.entries(i.componentStatuses)) raise(id, s);
  for (const m of state.maintenances)
    if (m.status === 'in_progress' || m.status === 'verifying')
      for (const [id, s] of Object.entries(m.componentStatuses)) raise(id, s);
  const touched = new Set(state.incidents.filter((i) => i.drill).flatMap((i) => Object.keys(i.componentStatuses)));
  const components = { ...state.components };
  for (const id of touched) {
    const status = worst.get(id) ?? 'operational';
    if (components[id]?.status !== status) components[id] = { status, updatedAt: components[id]?.updatedAt ?? state.updatedAt };
  }
  return { ...state, incidents, components };
}

/** Every v2 endpoint's document, keyed by its path under the page root. */
export function v2Documents(plan: Plan, fullState: PageState, options: V2Options = {}) {
  const state = options.drill ? fullState : withoutDrills(fullState);
  const page = v2Page(plan, state);
  const components = v2Components(plan, state);
  const byId = new Map(components.map((c) => [c.id, c]));
  const shown = state.incidents.filter((i) => options.drill || !i.drill).sort(byNewest);
  const incidents = shown.map((i) => v2Incident(plan, i, byId));
  const unresolved = incidents.filter((i) => UNRESOLVED.has(i.status));
  // Maintenances: the most recent by their window (a window announced long ago for next week is recent).
  const maintenances = [...state.maintenances]
    .sort((a, b) => (a.scheduledFor < b.scheduledFor ? 1 : a.scheduledFor > b.scheduledFor ? -1 : byNewest(a, b)))
    .map((m) => v2Maintenance(plan, m, byId));
  const soonestFirst = <T extends { scheduled_for: string }>(list: T[]) =>
    [...list].sort((a, b) => a.scheduled_for.localeCompare(b.scheduled_for));
  const upcoming = soonestFirst(maintenances.filter((m) => m.status === 'scheduled'));
  const active = soonestFirst(maintenances.filter((m) => m.status === 'in_progress' || m.status === 'verifying'));
  const status = v2Status(plan, state, options);
  return {
    'api/v2/summary.json': { page, status, components, incidents: unresolved, scheduled_maintenances: [...active, ...upcoming] },
    'api/v2/status.json': { page, status },
    'api/v2/components.json': { page, components },
    'api/v2/incidents.json': { page, incidents: incidents.slice(0, MOST_RECENT) },
    'api/v2/incidents/unresolved.json': { page, incidents: unresolved },
    'api/v2/scheduled-maintenances.json': { page, scheduled_maintenances: maintenances.slice(0, MOST_RECENT) },
    'api/v2/scheduled-maintenances/upcoming.json': { page, scheduled_maintenances: upcoming },
    'api/v2/scheduled-maintenances/active.json': { page, scheduled_maintenances: active },
  };
}

/** A page with every component operational and nothing open. */
export function operationalState(plan: Plan, at: string): PageState {
  return {
    createdAt: at,
    updatedAt: at,
    components: Object.fromEntries(plan.components.map((c) => [c.id, { status: 'operational' as const, updatedAt: at }])),
    incidents: [],
    maintenances: [],
  };
}
