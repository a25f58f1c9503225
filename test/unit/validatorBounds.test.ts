import { test } from 'node:test';
import assert from 'node:assert/strict';
import { incidentPolicy, maintenancePolicy } from '../../core/policy';
import { parsePlan } from '../../core/plan/load';
import { initialIncidentState } from '../../workflows/incident/state';
import { validateChangeImpact, validatePostUpdate } from '../../workflows/incident/validators';
import { initialMaintenanceState } from '../../workflows/maintenance/state';
import { validateReschedule } from '../../workflows/maintenance/validators';
import { examplePlan } from '../support/config';

// What a running incident or window accepts is bounded: dates within the plan's horizon (default
// one year), a change of impact that changes something, and plan keys looked up as the plan's own.

const plan = examplePlan();
const NOW = Date.parse('2026-03-02T10:00:00.000Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

const incident = () => {
  const policy = incidentPolicy(plan, 'outage', { timeScale: 1 });
  const state = initialIncidentState(
    {
      title: 'Card payments failing',
      scenario: 'outage',
      severity: 'sev1',
      components: ['payments'],
      impact: 'Card payments are failing for some customers.',
      drill: false,
      declaredBy: 'alice',
      policy,
    },
    'incident-test',
    iso(NOW),
  );
  return { policy, state };
};

test('the plan states the date horizon; one year when it does not', () => {
  assert.equal(plan.limits.dateHorizon, '365d');
  assert.equal(incidentPolicy(plan, 'outage').horizonMs, 365 * DAY);
  const text = `${JSON.stringify({ ...plan, limits: { ...plan.limits, dateHorizon: '30d' } })}`;
  const parsed = parsePlan(text, () => true);
  assert.equal(parsed.plan?.limits.dateHorizon, '30d', JSON.stringify(parsed.problems));
  assert.equal(maintenancePolicy(parsed.plan!, 'maintenance').horizonMs, 30 * DAY);
});

test('an ETA beyond the horizon is refused; one within it is accepted', () => {
  const { policy, state } = incident();
  const update = (eta: string) => ({ status: 'identified' as const, message: 'We found the cause.', eta, by: 'alice' });
  assert.throws(() => validatePostUpdate(state, policy, update('9999-12-31T00:00:00Z'), NOW), /eta: more than 365 days ahead/);
  assert.throws(() => validatePostUpdate(state, policy, update(iso(NOW + 400 * DAY)), NOW), /eta: more than 365 days ahead/);
  validatePostUpdate(state, policy, update(iso(NOW + 2 * 3_600_000)), NOW);
  validatePostUpdate(state, { ...policy, horizonMs: undefined }, update(iso(NOW + 300 * DAY)), NOW);
});

test('a maintenance window in year 9999 or ten years long is refused', () => {
  const policy = maintenancePolicy(plan, 'maintenance', { timeScale: 1 });
  const state = initialMaintenanceState(
    {
      title: 'Database upgrade',
      scenario: 'maintenance',
      components: ['payments'],
      scheduledFor: iso(NOW + DAY),
      scheduledUntil: iso(NOW + DAY + 3_600_000),
      message: 'Payments pause for up to an hour.',
      drill: false,
      declaredBy: 'alice',
      policy,
    },
    'maintenance-test',
    iso(NOW),
  );
  const reschedule = (from: number, until: number) => ({ scheduledFor: iso(from), scheduledUntil: iso(until), by: 'alice' });
  assert.throws(
    () =>
      validateReschedule(
        state,
        policy,
        { ...reschedule(0, 0), scheduledFor: '9999-01-01T00:00:00Z', scheduledUntil: '9999-01-01T02:00:00Z' },
        NOW,
      ),
    /scheduledFor: more than 365 days ahead/,
  );
  assert.throws(
    () => validateReschedule(state, policy, reschedule(NOW + DAY, NOW + 3650 * DAY), NOW),
    /scheduledUntil: more than/,
  );
  validateReschedule(state, policy, reschedule(NOW + 2 * DAY, NOW + 2 * DAY + 7_200_000), NOW);
});

test('a change of impact that changes nothing is refused', () => {
  const { policy, state } = incident();
  const same = [
    { by: 'alice' },
    { by: 'alice', severity: state.severity },
    { by: 'alice', components: [...state.components] },
    { by: 'alice', componentStatuses: {} },
    { by: 'alice', impact: state.impact },
    { by: 'alice', severity: state.severity, components: ['payments'], impact: state.impact },
  ];
  for (const c of same)
    assert.throws(() => validateChangeImpact(state, policy, c as never), /nothing to change/, JSON.stringify(c));
  validateChangeImpact(state, policy, { by: 'alice', severity: 'sev2' });
  validateChangeImpact(state, policy, { by: 'alice', components: ['payments', 'api'] });
  validateChangeImpact(state, policy, { by: 'alice', componentStatuses: { payments: 'partial_outage' } });
  validateChangeImpact(state, policy, { by: 'alice', impact: 'Card payments are slow.' } as never);
});

test('a severity named like an inherited property is unknown, not accepted', () => {
  const { policy, state } = incident();
  for (const severity of ['constructor', 'toString', '__proto__'])
    assert.throws(() => validateChangeImpact(state, policy, { by: 'alice', severity }), /unknown severity/, severity);
});
