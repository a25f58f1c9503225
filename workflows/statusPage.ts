import {
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ComponentStatus } from '../core/plan/schema';
import type { PageChange, PageIncident, PageMaintenance, PageState, PageUpdate } from '../core/statuspage/types';
import type { HeraldActivities } from '../activities';
import { pageChangeSignal, pageStateQuery, publishedVersionQuery, type StatusPageInput } from './contracts/statusPage';
import { PUBLISH_BY_ACTIVITY, PUBLISH_LOCAL } from './patches';

// One workflow per status page: applies incident and maintenance changes in arrival order, derives
// component statuses, and publishes the whole snapshot after each burst of changes. Changes that
// arrive while a publish is running are coalesced into the next one.

const publishOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
} as const;
const { publishPage } = proxyActivities<HeraldActivities>(publishOptions);
// Publishing is an ordinary activity, not a local one: a slow publish (a big page, S3 retries, a
// starved CPU) would hold the page's workflow task past its timeout, and each retry of the task would
// render the whole page again without progress. Only runs that recorded PUBLISH_LOCAL use this proxy.
const local = proxyLocalActivities<HeraldActivities>(publishOptions);

const HISTORY_KEPT = 50;
const OPEN_INCIDENT = new Set(['investigating', 'identified', 'monitoring']);
const STATUS_RANK: ComponentStatus[] = [
  'operational',
  'under_maintenance',
  'degraded_performance',
  'partial_outage',
  'major_outage',
];

export async function statusPage(input: StatusPageInput): Promise<void> {
  const now = () => new Date().toISOString();
  const state: PageState = input.state ?? { createdAt: now(), updatedAt: now(), components: {}, incidents: [], maintenances: [] };
  let version = input.publishedVersion ?? 0;
  let pending: PageChange[] = [];

  setHandler(pageChangeSignal, (change) => void pending.push(change));
  setHandler(pageStateQuery, () => state);
  setHandler(publishedVersionQuery, () => version);

  for (;;) {
    // A quiet page still republishes every quarter hour, so "last updated", the uptime bars and
    // the day boundaries (in any time zone) keep moving without a change.
    const woke = await condition(() => pending.length > 0 || workflowInfo().continueAsNewSuggested, msToNextQuarterHour());
    if (woke && pending.length === 0) break;
    const batch = pending;
    pending = [];
    for (const change of batch) apply(state, change);
    deriveComponents(state, now());
    state.updatedAt = now();
    version += 1;
    const viaLocal = !patched(PUBLISH_BY_ACTIVITY) && patched(PUBLISH_LOCAL);
    await (viaLocal ? local.publishPage : publishPage)({ pageId: input.pageId, drill: input.drill, state, version });
  }
  await continueAsNew<typeof statusPage>({ ...input, state, publishedVersion: version });
}

const QUARTER_HOUR = 15 * 60_000;
function msToNextQuarterHour(): number {
  return QUARTER_HOUR - (Date.now() % QUARTER_HOUR) + 1000;
}

function apply(state: PageState, change: PageChange): void {
  if (change.kind === 'incident') upsert(state.incidents, change.incident);
  else upsert(state.maintenances, change.maintenance);
  trimHistory(state);
}

/**
 * Replaces the record; its `updates` are a delta (new updates, and ones changed in place), merged by
 * id into what the page already has, so a long incident does not resend every update each time.
 */
function upsert<T extends { id: string; updates: PageUpdate[] }>(list: T[], item: T): void {
  const i = list.findIndex((x) => x.id === item.id);
  if (i < 0) return void list.push(item);
  const updates = [...list[i]!.updates];
  for (const u of item.updates) {
    const j = updates.findIndex((x) => x.id === u.id);
    if (j >= 0) updates[j] = u;
    else updates.push(u);
  }
  list[i] = { ...item, updates };
}

/** Keeps every open item and the most recent closed ones; older history lives in the store. */
function trimHistory(state: PageState): void {
  const closedIncidents = state.incidents.filter((i) => !OPEN_INCIDENT.has(i.status));
  if (closedIncidents.length > HISTORY_KEPT) {
    const drop = new Set(
      closedIncidents
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(0, closedIncidents.length - HISTORY_KEPT)
        .map((i) => i.id),
    );
    state.incidents = state.incidents.filter((i) => !drop.has(i.id));
  }
  const closedMaintenances = state.maintenances.filter((m) => m.status === 'completed');
  if (closedMaintenances.length > HISTORY_KEPT) {
    const drop = new Set(
      closedMaintenances
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(0, closedMaintenances.length - HISTORY_KEPT)
        .map((m) => m.id),
    );
    state.maintenances = state.maintenances.filter((m) => !drop.has(m.id));
  }
}

/** Each component shows the worst status any open incident or active maintenance gives it. */
function deriveComponents(state: PageState, at: string): void {
  const worst = new Map<string, ComponentStatus>();
  const raise = (id: string, status: ComponentStatus) => {
    const current = worst.get(id) ?? 'operational';
    if (STATUS_RANK.indexOf(status) > STATUS_RANK.indexOf(current)) worst.set(id, status);
  };
  for (const i of openIncidents(state.incidents)) for (const [id, s] of Object.entries(i.componentStatuses)) raise(id, s);
  for (const m of activeMaintenances(state.maintenances)) for (const [id, s] of Object.entries(m.componentStatuses)) raise(id, s);
  const ids = new Set([...Object.keys(state.components), ...worst.keys()]);
  for (const id of ids) {
    const status = worst.get(id) ?? 'operational';
    if (state.components[id]?.status !== status) state.components[id] = { status, updatedAt: at };
  }
}

const openIncidents = (list: PageIncident[]) => list.filter((i) => OPEN_INCIDENT.has(i.status));
const activeMaintenances = (list: PageMaintenance[]) =>
  list.filter((m) => m.status === 'in_progress' || m.status === 'verifying');
