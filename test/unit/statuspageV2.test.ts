import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildSnapshot } from '../../core/statuspage/snapshot';
import type { PageState } from '../../core/statuspage/types';
import { v2Documents } from '../../core/statuspage/v2';
import { examplePlan } from '../support/config';
import { STATE_NOW, pageState, pastIncident, type StateName } from '../support/pageStates';

// Contract: every v2 endpoint, field by field, against Atlassian Statuspage's public v2 shapes as
// written down in shared/reference/status-pages.md §2. The schema below is this test's own reading of
// that reference; Herald's extras are listed apart and are the only keys allowed beyond it.

type Type =
  | 'string'
  | 'string?'
  | 'number'
  | 'boolean'
  | 'iso'
  | 'iso?'
  | 'date?'
  | { enum: readonly (string | null)[] }
  | { arrayOf: Shape }
  | { arrayOfStrings: true }
  | { nullOrArrayOf: Shape }
  | { object: Shape };
interface Shape {
  [key: string]: Type;
}

const COMPONENT_STATUS = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'] as const;
const INCIDENT_STATUS = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] as const;
const MAINTENANCE_STATUS = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
const UPDATE_STATUS = [...INCIDENT_STATUS, ...MAINTENANCE_STATUS] as const;

// §2.1
const PAGE: Shape = { id: 'string', name: 'string', url: 'string', time_zone: 'string', updated_at: 'iso' };
// §2.2 (the undocumented `maintenance` indicator included)
const STATUS: Shape = { indicator: { enum: ['none', 'minor', 'major', 'critical', 'maintenance'] }, description: 'string' };
// §2.3
const COMPONENT: Shape = {
  id: 'string',
  name: 'string',
  status: { enum: COMPONENT_STATUS },
  created_at: 'iso',
  updated_at: 'iso',
  position: 'number',
  description: 'string?',
  showcase: 'boolean',
  start_date: 'date?',
  group_id: 'string?',
  page_id: 'string',
  group: 'boolean',
  only_show_if_degraded: 'boolean',
};
const GROUP: Shape = { ...COMPONENT, components: { arrayOfStrings: true } };
// §2.5
const AFFECTED: Shape = {
  code: 'string',
  name: 'string',
  old_status: { enum: COMPONENT_STATUS },
  new_status: { enum: COMPONENT_STATUS },
};
const UPDATE: Shape = {
  id: 'string',
  incident_id: 'string',
  status: { enum: UPDATE_STATUS },
  body: 'string',
  created_at: 'iso',
  updated_at: 'iso',
  display_at: 'iso',
  affected_components: { nullOrArrayOf: AFFECTED },
  deliver_notifications: 'boolean',
  custom_tweet: 'string?',
  tweet_id: 'string?',
};
// §2.4
const INCIDENT: Shape = {
  id: 'string',
  name: 'string',
  status: { enum: INCIDENT_STATUS },
  created_at: 'iso',
  updated_at: 'iso',
  monitoring_at: 'iso?',
  resolved_at: 'iso?',
  started_at: 'iso',
  impact: { enum: ['none', 'minor', 'major', 'critical'] },
  shortlink: 'string',
  page_id: 'string',
  incident_updates: { arrayOf: UPDATE },
  components: { arrayOf: COMPONENT },
};
const INCIDENT_EXTRAS: Shape = { eta: 'iso?', next_update_at: 'iso?' };
// §2.6: the incident object plus the window, maintenance statuses
const MAINTENANCE: Shape = {
  ...INCIDENT,
  status: { enum: MAINTENANCE_STATUS },
  impact: { enum: ['none', 'minor', 'major', 'critical', 'maintenance'] },
  scheduled_for: 'iso',
  scheduled_until: 'iso',
};
const MAINTENANCE_EXTRAS: Shape = { next_update_at: 'iso?' };

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function check(value: unknown, shape: Shape, extras: Shape, where: string): void {
  assert.ok(value && typeof value === 'object' && !Array.isArray(value), `${where}: an object`);
  const obj = value as Record<string, unknown>;
  const allowed = { ...shape, ...extras };
  for (const key of Object.keys(shape)) assert.ok(key in obj, `${where}: missing "${key}"`);
  for (const key of Object.keys(obj)) assert.ok(key in allowed, `${where}: unexpected key "${key}"`);
  for (const [key, type] of Object.entries(allowed)) if (key in obj) checkType(obj[key], type, `${where}.${key}`);
}

function checkType(v: unknown, type: Type, where: string): void {
  if (type === 'string') return assert.equal(typeof v, 'string', where);
  if (type === 'string?') return assert.ok(v === null || typeof v === 'string', `${where}: string or null`);
  if (type === 'number') return assert.ok(Number.isInteger(v), `${where}: integer`);
  if (type === 'boolean') return assert.equal(typeof v, 'boolean', where);
  if (type === 'iso') return assert.match(String(v), ISO, where);
  if (type === 'iso?') return v === null ? undefined : assert.match(String(v), ISO, where);
  if (type === 'date?') return v === null ? undefined : assert.match(String(v), /^\d{4}-\d{2}-\d{2}$/, where);
  if ('enum' in type)
    return assert.ok(type.enum.includes(v as string), `${where}: ${JSON.stringify(v)} not in ${type.enum.join('|')}`);
  if ('arrayOfStrings' in type)
    return assert.ok(Array.isArray(v) && v.every((x) => typeof x === 'string'), `${where}: array of strings`);
  if ('object' in type) return check(v, type.object, {}, where);
  if ('nullOrArrayOf' in type && v === null) return;
  const shape = 'arrayOf' in type ? type.arrayOf : type.nullOrArrayOf;
  assert.ok(Array.isArray(v), `${where}: array`);
  if ('nullOrArrayOf' in type) assert.ok((v as unknown[]).length > 0, `${where}: null when no component changed, never []`);
  (v as unknown[]).forEach((x, i) => check(x, shape, {}, `${where}[${i}]`));
}

const components = (v: unknown, where: string) => {
  assert.ok(Array.isArray(v), where);
  for (const [i, c] of (v as { group: boolean }[]).entries()) check(c, c.group ? GROUP : COMPONENT, {}, `${where}[${i}]`);
};
const incidents = (v: unknown, where: string) => {
  assert.ok(Array.isArray(v), where);
  (v as unknown[]).forEach((x, i) => check(x, INCIDENT, INCIDENT_EXTRAS, `${where}[${i}]`));
};
const maintenances = (v: unknown, where: string) => {
  assert.ok(Array.isArray(v), where);
  (v as unknown[]).forEach((x, i) => check(x, MAINTENANCE, MAINTENANCE_EXTRAS, `${where}[${i}]`));
};

const ENDPOINTS: Record<string, (doc: Record<string, unknown>, where: string) => void> = {
  'api/v2/summary.json': (d, w) => {
    assert.deepEqual(Object.keys(d).sort(), ['components', 'incidents', 'page', 'scheduled_maintenances', 'status']);
    check(d.status, STATUS, {}, `${w}.status`);
    components(d.components, `${w}.components`);
    incidents(d.incidents, `${w}.incidents`);
    maintenances(d.scheduled_maintenances, `${w}.scheduled_maintenances`);
  },
  'api/v2/status.json': (d, w) => {
    assert.deepEqual(Object.keys(d).sort(), ['page', 'status']);
    check(d.status, STATUS, {}, `${w}.status`);
  },
  'api/v2/components.json': (d, w) => {
    assert.deepEqual(Object.keys(d).sort(), ['components', 'page']);
    components(d.components, `${w}.components`);
  },
  'api/v2/incidents.json': (d, w) => {
    assert.deepEqual(Object.keys(d).sort(), ['incidents', 'page']);
    incidents(d.incidents, `${w}.incidents`);
  },
  'api/v2/incidents/unresolved.json': (d, w) => {
    assert.deepEqual(Object.keys(d).sort(), ['incidents', 'page']);
    incidents(d.incidents, `${w}.incidents`);
    for (const i of d.incidents as { status: string }[])
      assert.ok(['investigating', 'identified', 'monitoring'].includes(i.status), `${w}: only unresolved`);
  },
  'api/v2/scheduled-maintenances.json': (d, w) => {
    assert.deepEqual(Object.keys(d).sort(), ['page', 'scheduled_maintenances']);
    maintenances(d.scheduled_maintenances, `${w}.scheduled_maintenances`);
  },
  'api/v2/scheduled-maintenances/upcoming.json': (d, w) => {
    assert.deepEqual(Object.keys(d).sort(), ['page', 'scheduled_maintenances']);
    maintenances(d.scheduled_maintenances, `${w}.scheduled_maintenances`);
    for (const m of d.scheduled_maintenances as { status: string }[]) assert.equal(m.status, 'scheduled', `${w}: only scheduled`);
  },
  'api/v2/scheduled-maintenances/active.json': (d, w) => {
    assert.deepEqual(Object.keys(d).sort(), ['page', 'scheduled_maintenances']);
    maintenances(d.scheduled_maintenances, `${w}.scheduled_maintenances`);
    for (const m of d.scheduled_maintenances as { status: string }[])
      assert.ok(['in_progress', 'verifying'].includes(m.status), `${w}: only in progress or verifying`);
  },
};

const plan = examplePlan();
const TEMPLATES = join(__dirname, '..', '..', 'templates');
const published = (state: PageState) => {
  const snapshot = buildSnapshot(plan, state, TEMPLATES);
  return (path: string) => JSON.parse(snapshot.get(path)!.body.toString()) as Record<string, any>;
};

describe('Statuspage v2 contract, every endpoint field by field', () => {
  for (const name of ['operational', 'incident', 'maintenance', 'resolved'] as StateName[]) {
    test(`${name}: all eight endpoints match the v2 shapes`, () => {
      const doc = published(pageState(plan, name));
      for (const [path, validate] of Object.entries(ENDPOINTS)) {
        const d = doc(path);
        check(d.page, PAGE, {}, `${name} ${path}.page`);
        validate(d, `${name} ${path}`);
      }
    });
  }

  test('operational: indicator none, every component operational, nothing open', () => {
    const doc = published(pageState(plan, 'operational'));
    assert.deepEqual(doc('api/v2/status.json').status, { indicator: 'none', description: 'All Systems Operational' });
    assert.ok((doc('api/v2/components.json').components as { status: string }[]).every((c) => c.status === 'operational'));
    assert.deepEqual(doc('api/v2/summary.json').incidents, []);
    assert.deepEqual(doc('api/v2/summary.json').scheduled_maintenances, []);
    assert.equal(doc('api/v2/incidents.json').incidents.length, 2, 'resolved history is listed');
  });

  test('incident: unresolved incident in summary with updates newest first, affected_components null when none changed, Herald extras added', () => {
    const doc = published(pageState(plan, 'incident'));
    const summary = doc('api/v2/summary.json');
    assert.equal(summary.status.indicator, 'major');
    const [incident] = summary.incidents as Record<string, any>[];
    assert.equal(incident!.id, 'inc-api-errors');
    assert.deepEqual(
      incident!.incident_updates.map((u: { id: string }) => u.id),
      ['inc-api-errors-u2', 'inc-api-errors-u1'],
    );
    assert.equal(incident!.incident_updates[0].affected_components, null);
    assert.deepEqual(incident!.incident_updates[1].affected_components[0], {
      code: 'api',
      name: 'Public API',
      old_status: 'operational',
      new_status: 'partial_outage',
    });
    assert.deepEqual(
      incident!.components.map((c: { id: string; status: string }) => [c.id, c.status]),
      [
        ['api', 'partial_outage'],
        ['website', 'degraded_performance'],
      ],
    );
    assert.equal(incident!.eta, '2026-03-10T12:00:00.000Z');
    assert.equal(incident!.next_update_at, '2026-03-10T10:20:00.000Z');
    assert.equal(incident!.shortlink, 'http://localhost:8080/incidents/inc-api-errors.html');
    assert.deepEqual(
      doc('api/v2/incidents/unresolved.json').incidents.map((i: { id: string }) => i.id),
      ['inc-api-errors'],
    );
    assert.deepEqual(
      doc('api/v2/incidents.json').incidents.map((i: { id: string }) => i.id),
      ['inc-api-errors', 'inc-past-1', 'inc-past-2'],
      'newest first',
    );
  });

  test('maintenance: the maintenance indicator, under_maintenance components and group, active and upcoming split', () => {
    const doc = published(pageState(plan, 'maintenance'));
    assert.deepEqual(doc('api/v2/status.json').status, { indicator: 'maintenance', description: 'Service Under Maintenance' });
    const rows = doc('api/v2/components.json').components as {
      id: string;
      status: string;
      group: boolean;
      components?: string[];
      group_id: string | null;
      position: number;
    }[];
    assert.equal(rows.find((c) => c.id === 'invoicing')!.status, 'under_maintenance');
    const group = rows.find((c) => c.group)!;
    assert.deepEqual([group.id, group.status, group.components], ['commerce', 'under_maintenance', ['payments', 'invoicing']]);
    assert.ok(
      rows.filter((c) => c.group_id === 'commerce').every((c) => c.position > group.position),
      'a group row comes before its children',
    );
    assert.deepEqual(
      rows.map((r) => r.position),
      rows.map((_r, i) => i + 1),
    );
    assert.deepEqual(
      doc('api/v2/scheduled-maintenances/active.json').scheduled_maintenances.map((m: { id: string }) => m.id),
      ['mnt-db-upgrade'],
    );
    assert.deepEqual(
      doc('api/v2/scheduled-maintenances/upcoming.json').scheduled_maintenances.map((m: { id: string }) => m.id),
      ['mnt-network'],
    );
    assert.deepEqual(
      doc('api/v2/summary.json').scheduled_maintenances.map((m: { id: string }) => m.id),
      ['mnt-db-upgrade', 'mnt-network'],
      'in progress, then upcoming',
    );
    const m = doc('api/v2/scheduled-maintenances/active.json').scheduled_maintenances[0];
    assert.deepEqual(
      m.incident_updates.map((u: { status: string }) => u.status),
      ['in_progress', 'scheduled'],
    );
  });

  test('resolved: nothing unresolved, the resolved incident keeps its timeline, the completed maintenance listed', () => {
    const doc = published(pageState(plan, 'resolved'));
    assert.equal(doc('api/v2/status.json').status.indicator, 'none');
    assert.deepEqual(doc('api/v2/incidents/unresolved.json').incidents, []);
    const resolved = (doc('api/v2/incidents.json').incidents as Record<string, any>[]).find((i) => i.id === 'inc-api-errors')!;
    assert.equal(resolved.status, 'resolved');
    assert.ok(resolved.resolved_at);
    assert.equal(resolved.incident_updates[0].status, 'resolved');
    assert.deepEqual(
      doc('api/v2/scheduled-maintenances.json').scheduled_maintenances.map((m: { status: string }) => m.status),
      ['completed'],
    );
    assert.deepEqual(doc('api/v2/scheduled-maintenances/active.json').scheduled_maintenances, []);
  });

  test('incidents.json and scheduled-maintenances.json hold the 50 most recent', () => {
    const state = pageState(plan, 'operational');
    state.incidents = Array.from({ length: 60 }, (_, i) => pastIncident(`inc-${String(i).padStart(2, '0')}`, 60 - i, 10));
    const docs = v2Documents(plan, state);
    const ids = docs['api/v2/incidents.json'].incidents.map((i) => i.id);
    assert.equal(ids.length, 50);
    assert.equal(ids[0], 'inc-59', 'the newest first');
    assert.equal(ids[49], 'inc-10', 'the ten oldest dropped');
  });

  test('drill incidents never reach the public API but do reach a drill page', () => {
    const state = pageState(plan, 'incident');
    state.incidents.find((i) => i.id === 'inc-api-errors')!.drill = true;
    assert.equal(v2Documents(plan, state)['api/v2/status.json'].status.indicator, 'none');
    assert.deepEqual(v2Documents(plan, state)['api/v2/incidents/unresolved.json'].incidents, []);
    assert.deepEqual(
      v2Documents(plan, state, { drill: true })['api/v2/incidents/unresolved.json'].incidents.map((i) => i.id),
      ['inc-api-errors'],
    );
  });

  test('the rollup: partial outage of one of four components is minor, of half of them major, any major outage at least major', () => {
    const state = pageState(plan, 'operational');
    const at = STATE_NOW.toISOString();
    state.components.api = { status: 'partial_outage', updatedAt: at };
    assert.equal(v2Documents(plan, state)['api/v2/status.json'].status.indicator, 'minor');
    state.components.website = { status: 'partial_outage', updatedAt: at };
    assert.equal(v2Documents(plan, state)['api/v2/status.json'].status.indicator, 'major');
    state.components.website = { status: 'operational', updatedAt: at };
    state.components.api = { status: 'major_outage', updatedAt: at };
    assert.equal(v2Documents(plan, state)['api/v2/status.json'].status.indicator, 'major');
    state.components.payments = { status: 'major_outage', updatedAt: at };
    assert.equal(v2Documents(plan, state)['api/v2/status.json'].status.indicator, 'critical');
    state.components.api = { status: 'degraded_performance', updatedAt: at };
    state.components.payments = { status: 'operational', updatedAt: at };
    assert.deepEqual(v2Documents(plan, state)['api/v2/status.json'].status, {
      indicator: 'minor',
      description: 'Partially Degraded Service',
    });
  });
});
