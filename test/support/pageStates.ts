import type { Plan } from '../../core/plan/schema';
import type { PageIncident, PageMaintenance, PageState } from '../../core/statuspage/types';
import { operationalState } from '../../core/statuspage/v2';

// Realistic status-page states for the snapshot, contract, browser and bench runs: all operational,
// an open incident, a maintenance in progress (with another one scheduled), and everything resolved.
// Times are fixed relative to `now` so outputs are stable.

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export const STATE_NOW = new Date('2026-03-10T10:00:00Z');

const iso = (offsetMs: number, now = STATE_NOW) => new Date(now.getTime() + offsetMs).toISOString();

/** A resolved incident from `daysAgo` that took payments down for `minutes`. */
export function pastIncident(id: string, daysAgo: number, minutes: number, now = STATE_NOW): PageIncident {
  const start = -daysAgo * DAY;
  return {
    id,
    name: 'Card payments failing',
    names: { en: 'Card payments failing', 'zh-TW': '信用卡付款失敗' },
    status: 'resolved',
    impact: 'critical',
    createdAt: iso(start, now),
    updatedAt: iso(start + minutes * MIN, now),
    startedAt: iso(start, now),
    monitoringAt: iso(start + (minutes - 10) * MIN, now),
    resolvedAt: iso(start + minutes * MIN, now),
    components: ['payments'],
    updates: [
      {
        id: `${id}-u1`,
        status: 'investigating',
        body: 'Card payments are failing for some customers. Orders are saved; you can pay later.',
        bodies: { 'zh-TW': '部分客戶的信用卡付款失敗。訂單已保存，您可以稍後付款。' },
        createdAt: iso(start, now),
        affectedComponents: [{ id: 'payments', oldStatus: 'operational', newStatus: 'major_outage' }],
      },
      {
        id: `${id}-u2`,
        status: 'resolved',
        body: 'Card payments are working normally again.',
        bodies: { 'zh-TW': '信用卡付款已恢復正常。' },
        createdAt: iso(start + minutes * MIN, now),
        affectedComponents: [{ id: 'payments', oldStatus: 'major_outage', newStatus: 'operational' }],
      },
    ],
    eta: null,
    nextUpdateAt: null,
    componentStatuses: { payments: 'major_outage' },
  };
}

export function openIncident(now = STATE_NOW): PageIncident {
  return {
    id: 'inc-api-errors',
    name: 'Errors on the public API',
    names: { en: 'Errors on the public API', 'zh-TW': '公開 API 發生錯誤' },
    status: 'identified',
    impact: 'major',
    createdAt: iso(-45 * MIN, now),
    updatedAt: iso(-10 * MIN, now),
    startedAt: iso(-45 * MIN, now),
    monitoringAt: null,
    resolvedAt: null,
    components: ['api', 'website'],
    updates: [
      {
        id: 'inc-api-errors-u1',
        status: 'investigating',
        body: 'Some API requests from your applications fail with errors. Retry failed requests with back-off.',
        bodies: { 'zh-TW': '您的應用程式發出的部分 API 請求失敗。請以指數退避重試失敗的請求。' },
        createdAt: iso(-45 * MIN, now),
        affectedComponents: [
          { id: 'api', oldStatus: 'operational', newStatus: 'partial_outage' },
          { id: 'website', oldStatus: 'operational', newStatus: 'degraded_performance' },
        ],
      },
      {
        id: 'inc-api-errors-u2',
        status: 'identified',
        body: 'We have found the cause and are rolling out a fix. Most requests succeed again.',
        bodies: { 'zh-TW': '我們已找到原因，正在部署修正，大部分請求已恢復正常。' },
        createdAt: iso(-10 * MIN, now),
        affectedComponents: null,
      },
    ],
    eta: iso(2 * HOUR, now),
    nextUpdateAt: iso(20 * MIN, now),
    componentStatuses: { api: 'partial_outage', website: 'degraded_performance' },
  };
}

export function activeMaintenance(now = STATE_NOW): PageMaintenance {
  return {
    id: 'mnt-db-upgrade',
    name: 'Invoicing database upgrade',
    names: { en: 'Invoicing database upgrade', 'zh-TW': '帳單資料庫升級' },
    status: 'in_progress',
    impact: 'maintenance',
    createdAt: iso(-3 * DAY, now),
    updatedAt: iso(-30 * MIN, now),
    startedAt: iso(-30 * MIN, now),
    resolvedAt: null,
    scheduledFor: iso(-30 * MIN, now),
    scheduledUntil: iso(90 * MIN, now),
    components: ['invoicing'],
    updates: [
      {
        id: 'mnt-db-upgrade-u1',
        status: 'scheduled',
        body: 'We will upgrade the invoicing database. Creating and downloading invoices will be unavailable.',
        bodies: { 'zh-TW': '我們將升級帳單資料庫，期間無法建立與下載帳單。' },
        createdAt: iso(-3 * DAY, now),
        affectedComponents: null,
      },
      {
        id: 'mnt-db-upgrade-u2',
        status: 'in_progress',
        body: 'The maintenance has started.',
        bodies: { 'zh-TW': '維護作業已開始。' },
        createdAt: iso(-30 * MIN, now),
        affectedComponents: [{ id: 'invoicing', oldStatus: 'operational', newStatus: 'under_maintenance' }],
      },
    ],
    nextUpdateAt: iso(30 * MIN, now),
    componentStatuses: { invoicing: 'under_maintenance' },
  };
}

export function scheduledMaintenance(now = STATE_NOW): PageMaintenance {
  return {
    id: 'mnt-network',
    name: 'Network maintenance',
    names: { en: 'Network maintenance', 'zh-TW': '網路維護' },
    status: 'scheduled',
    impact: 'none',
    createdAt: iso(-DAY, now),
    updatedAt: iso(-DAY, now),
    startedAt: null,
    resolvedAt: null,
    scheduledFor: iso(20 * HOUR, now),
    scheduledUntil: iso(22 * HOUR, now),
    components: ['website', 'api'],
    updates: [
      {
        id: 'mnt-network-u1',
        status: 'scheduled',
        body: 'Short interruptions of a few seconds are possible while we replace network equipment.',
        bodies: { 'zh-TW': '更換網路設備期間，可能會有數秒的短暫中斷。' },
        createdAt: iso(-DAY, now),
        affectedComponents: null,
      },
    ],
    nextUpdateAt: null,
    componentStatuses: {},
  };
}

function withComponents(state: PageState, at: string): PageState {
  for (const i of state.incidents)
    if (['investigating', 'identified', 'monitoring'].includes(i.status))
      for (const [id, s] of Object.entries(i.componentStatuses)) state.components[id] = { status: s, updatedAt: i.updatedAt };
  for (const m of state.maintenances)
    if (m.status === 'in_progress' || m.status === 'verifying')
      for (const [id, s] of Object.entries(m.componentStatuses)) state.components[id] = { status: s, updatedAt: m.updatedAt };
  state.updatedAt = at;
  return state;
}

const history = (now: Date) => [pastIncident('inc-past-1', 12, 95, now), pastIncident('inc-past-2', 40, 30, now)];

export type StateName = 'operational' | 'incident' | 'maintenance' | 'resolved';

/** The page a hundred days after it started, in one of four situations. */
export function pageState(plan: Plan, name: StateName, now = STATE_NOW): PageState {
  const state = operationalState(plan, iso(-100 * DAY, now));
  state.incidents = history(now);
  if (name === 'incident') state.incidents.push(openIncident(now));
  if (name === 'maintenance') state.maintenances.push(activeMaintenance(now), scheduledMaintenance(now));
  if (name === 'resolved') {
    const i = openIncident(now);
    i.status = 'resolved';
    i.resolvedAt = iso(-2 * MIN, now);
    i.updatedAt = i.resolvedAt;
    i.eta = null;
    i.nextUpdateAt = null;
    i.updates.push({
      id: 'inc-api-errors-u3',
      status: 'resolved',
      body: 'API requests are succeeding normally again.',
      bodies: { 'zh-TW': 'API 請求已恢復正常。' },
      createdAt: i.resolvedAt,
      affectedComponents: [
        { id: 'api', oldStatus: 'partial_outage', newStatus: 'operational' },
        { id: 'website', oldStatus: 'degraded_performance', newStatus: 'operational' },
      ],
    });
    state.incidents.push(i);
    const m = activeMaintenance(now);
    m.status = 'completed';
    m.resolvedAt = iso(-5 * MIN, now);
    m.updatedAt = m.resolvedAt;
    m.nextUpdateAt = null;
    m.updates.push({
      id: 'mnt-db-upgrade-u3',
      status: 'completed',
      body: 'The maintenance is complete.',
      createdAt: m.resolvedAt,
      affectedComponents: null,
    });
    state.maintenances.push(m);
  }
  return withComponents(state, now.toISOString());
}
