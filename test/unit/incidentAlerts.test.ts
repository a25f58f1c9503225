import assert from 'node:assert/strict';
import { test } from 'node:test';
import { incidentPolicy } from '../../core/policy';
import type { AlertInfo, IncidentInput } from '../../workflows/contracts/incident';
import { IncidentStateMachine, initialIncidentState, type PublicationRequest } from '../../workflows/incident/state';
import { validatePostUpdate } from '../../workflows/incident/validators';
import { examplePlan } from '../support/config';

// What an incident does with the alert router's news (the takeAlerts Update), without a server:
// joined alerts are quiet for customers and bounded on the internal timeline, the counts reach staff,
// monitoring waits for every alert, and a flap is told to nobody.

const plan = examplePlan();
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const alert = (fp: string): AlertInfo => ({
  source: 'alertmanager',
  name: 'HighLatency',
  fingerprint: fp,
  summary: `slow on ${fp}`,
});

function rig() {
  const policy = incidentPolicy(plan, 'outage', { timeScale: 1 });
  const input: IncidentInput = {
    title: 'Service outage: Payments',
    scenario: 'outage',
    severity: 'sev2',
    components: ['payments'],
    impact: 'Some customers may have problems with card payments and checkout.',
    drill: false,
    declaredBy: 'monitoring:alertmanager',
    alert: alert('a0'),
    correlationId: 'correlation-acme',
    policy,
  };
  let now = T0;
  const published: PublicationRequest[] = [];
  const effects: string[] = [];
  const state = initialIncidentState(input, 'incident-alertmanager-test', new Date(now).toISOString());
  const machine = new IncidentStateMachine(state, policy, () => now, {
    publish: (p) => void published.push(p),
    sendPage: () => void effects.push('sendPage'),
    refreshSearchAttributes: () => undefined,
    correlationChanged: () => void effects.push('router'),
  });
  machine.declare(input);
  return { state, machine, published, effects, policy, advance: (ms: number) => void (now += ms) };
}

test('joined alerts are recorded for staff (the first 20, then counts) and tell customers nothing', () => {
  const { state, machine, published } = rig();
  assert.equal(published.length, 1, 'the first notice');
  for (let batch = 0; batch < 5; batch++)
    machine.onAlerts({
      source: 'alertmanager',
      joined: Array.from({ length: 10 }, (_, i) => alert(`a${batch}-${i}`)),
      total: 1 + (batch + 1) * 10,
      firing: 1 + (batch + 1) * 10,
    });
  assert.equal(published.length, 1, 'no message for joined alerts');
  assert.equal(state.monitoring.alerts.length, 20, 'the details of the first 20 alerts');
  assert.equal(state.timeline.filter((e) => e.kind === 'alert').length, 20, 'and only those on the internal timeline');
  assert.equal(state.monitoring.total, 51);
  assert.match(machine.factsFor(null).technicalDetail ?? '', /Alerts: 51 \(51 firing\); first: HighLatency\./);
});

test('monitoring only when every alert resolved, told once; a flap goes back quietly; an operator can take it back', () => {
  const { state, machine, published, effects, policy } = rig();
  machine.onAlerts({ source: 'alertmanager', joined: [alert('b')], total: 2, firing: 2 });
  machine.onAlerts({ source: 'alertmanager', joined: [], total: 2, firing: 1 });
  assert.equal(state.status, 'investigating', 'one alert still fires');
  machine.onAlerts({ source: 'alertmanager', joined: [], total: 2, firing: 0 });
  assert.equal(state.status, 'monitoring');
  assert.deepEqual(
    published.map((p) => p.phase),
    ['initial', 'update'],
    'customers hear it is being monitored',
  );
  machine.onAlerts({ source: 'alertmanager', joined: [], total: 2, firing: 1 });
  assert.equal(state.status, 'investigating', 'back where it was');
  machine.onAlerts({ source: 'alertmanager', joined: [], total: 2, firing: 0 });
  assert.equal(state.status, 'monitoring');
  assert.equal(published.length, 2, 'the flap is told to nobody');
  assert.equal(effects.filter((e) => e === 'sendPage').length, 2, 'the page follows it');
  assert.equal(state.timeline.filter((e) => e.kind === 'monitoring').length, 3, 'every move is on the timeline');

  validatePostUpdate(state, policy, { status: 'identified', message: 'The fix did not hold.', by: 'alice' }, T0);
  machine.postUpdate({ status: 'identified', message: 'The fix did not hold.', by: 'alice' });
  assert.equal(state.status, 'identified');
  assert.equal(state.monitoring.statusBefore, null, 'monitoring no longer decides where it returns to');
  assert.throws(
    () => validatePostUpdate(state, policy, { status: 'investigating', message: 'x', by: 'alice' }, T0),
    /cannot go back/,
  );
});

test('alerts that widen the incident add components and tell the router; nothing is narrowed', () => {
  const { state, machine, effects } = rig();
  machine.onAlerts({
    source: 'alertmanager',
    joined: [alert('c')],
    total: 2,
    firing: 2,
    routed: { components: ['invoicing'], severity: 'sev3' },
  });
  assert.deepEqual(state.components, ['payments', 'invoicing']);
  assert.equal(state.severity, 'sev2', 'a less severe alert does not lower it');
  assert.ok(effects.includes('router'));
});
