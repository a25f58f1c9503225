import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadPlan } from '../../core/plan/load';
import type { PageIncident } from '../../core/statuspage/types';
import { componentUptime } from '../../core/statuspage/uptime';
import { pageState, pastIncident, STATE_NOW } from '../support/pageStates';

// Uptime that means something: whole days since a component appeared, charged only for the time it
// was affected.

const plan = loadPlan(join(__dirname, '..', '..', 'plans', 'example.yaml'));
const only = (id: string) => ({ ...plan, components: plan.components.filter((c) => c.id === id) });
const MIN = 60_000;

test('a fresh page with one 10-minute outage does not read "33 %": uptime is over whole days, today up to now', () => {
  // The page was set up at 09:45; the outage ran 09:50-10:00 (now).
  const incident: PageIncident = { ...pastIncident('x', 0, 10), components: ['payments'] };
  const start = new Date(STATE_NOW.getTime() - 10 * MIN).toISOString();
  Object.assign(incident, { startedAt: start, createdAt: start, resolvedAt: STATE_NOW.toISOString() });
  incident.updates[0]!.createdAt = start;
  const [payments] = componentUptime({
    plan: only('payments'),
    since: new Date(STATE_NOW.getTime() - 15 * MIN).toISOString(),
    now: STATE_NOW.toISOString(),
    incidents: [incident],
    maintenances: [],
  });
  // 600 s down out of 10 hours of today.
  assert.equal(payments!.percent, '98.33');
  assert.equal(payments!.days.filter((d) => !d.noData).length, 1, 'days before the page existed have no data');
});

test('a component added to an incident late is charged from when it was added, not from the incident start', () => {
  const incident = pastIncident('x', 12, 95);
  incident.components = ['payments', 'api'];
  // API joined one hour in; the page recorded it with the update that announced it.
  incident.updates.splice(1, 0, {
    id: 'x-widen',
    status: 'identified',
    body: 'API requests are affected too.',
    createdAt: new Date(Date.parse(incident.startedAt) + 60 * MIN).toISOString(),
    affectedComponents: [{ id: 'api', oldStatus: 'operational', newStatus: 'major_outage' }],
  });
  incident.updates.at(-1)!.affectedComponents!.push({ id: 'api', oldStatus: 'major_outage', newStatus: 'operational' });
  const [api, payments] = componentUptime({
    plan: { ...plan, components: plan.components.filter((c) => c.id === 'payments' || c.id === 'api') },
    since: '2025-01-01T00:00:00Z',
    now: STATE_NOW.toISOString(),
    incidents: [incident],
    maintenances: [],
  }).sort((a, b) => a.id.localeCompare(b.id));
  const day = (u: typeof api) => u!.days.find((d) => d.day === '2026-02-26')!;
  assert.equal(day(payments).majorOutageSeconds, 95 * 60);
  assert.equal(day(api).majorOutageSeconds, 35 * 60, 'api was down 35 minutes, not the whole 95');
});

test('a component the stored history does not know yet appeared after its last day: earlier days have no data', () => {
  const day = { worst: 'operational' as const, majorOutageSeconds: 0, partialOutageSeconds: 0, maintenanceSeconds: 0 };
  const [website, api] = componentUptime({
    plan: { ...plan, components: plan.components.filter((c) => c.id === 'website' || c.id === 'api') },
    since: '2026-03-01T00:00:00Z',
    now: STATE_NOW.toISOString(),
    incidents: [],
    maintenances: [],
    history: { componentDays: { website: { '2026-03-08': day, '2026-03-09': day } } },
  });
  assert.equal(website!.days.filter((d) => !d.noData).length, 10, 'website: since the page started');
  assert.deepEqual(
    api!.days.filter((d) => !d.noData).map((d) => d.day),
    ['2026-03-10'],
    'api: only today',
  );
  assert.equal(api!.percent, '100.00');
});

test('the status page says how uptime is computed, in each language', async () => {
  const { buildSnapshot } = await import('../../core/statuspage/snapshot');
  const { DEFAULT_TEMPLATES_DIR } = await import('../../core/render');
  const files = buildSnapshot(plan, pageState(plan, 'operational'), DEFAULT_TEMPLATES_DIR);
  const page = (path: string) => files.get(path)!.body.toString();
  assert.match(page('index.html'), /Uptime is measured over the past 90 days, in whole days since a service was added/);
  assert.match(page('zh-TW/index.html'), /可用率以過去 90 天計算，從服務加入此頁面的那一天起以整天計/);
});
