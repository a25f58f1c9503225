import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultTimeline, DrillTimeline, timelineFromIncident } from '../../core/drill';
import { buildDrillInput } from '../../core/drillInput';
import { incidentPolicy, maintenancePolicy } from '../../core/policy';
import { examplePlan } from '../support/config';

const plan = examplePlan();

test("an incident policy carries the plan's durations, divided by the time scale", () => {
  const real = incidentPolicy(plan, 'outage');
  assert.equal(real.severities.sev1!.cadenceMs, 30 * 60_000);
  assert.equal(real.initialNoticeWithinMs, 15 * 60_000);
  assert.equal(real.severities.sev2!.componentStatus, 'partial_outage');
  const fast = incidentPolicy(plan, 'outage', { timeScale: 600 });
  assert.equal(fast.severities.sev1!.cadenceMs, 3000);
  assert.equal(fast.approvalTimeoutMs, 1000);
  assert.deepEqual(
    real.audiences.map((a) => [a.audienceId, a.kind, a.requiresApproval]),
    [
      ['customers', 'external', true],
      ['enterprise', 'external', true],
      ['staff', 'internal', false],
    ],
  );
  assert.throws(() => incidentPolicy(plan, 'maintenance'), /not an incident scenario/);
});

test('in drills the sandbox audience stands in for every audience, on the channels it has of theirs', () => {
  const drill = incidentPolicy(plan, 'outage', { drill: true });
  assert.ok(drill.audiences.every((a) => a.audienceId === 'drill'));
  assert.deepEqual(
    drill.audiences.map((a) => a.standsFor),
    ['customers', 'enterprise', 'staff'],
  );
  assert.deepEqual(drill.audiences.find((a) => a.standsFor === 'staff')!.channels, ['email']);
  assert.equal(drill.audiences.find((a) => a.standsFor === 'staff')!.kind, 'internal');
});

test('maintenance reminders come largest offset first', () => {
  assert.deepEqual(
    maintenancePolicy(plan, 'maintenance').remindersMs,
    [72, 24, 1].map((h) => h * 3_600_000),
  );
});

test('default drill timelines are valid and follow the plan', () => {
  for (const id of Object.keys(plan.scenarios)) assert.ok(DrillTimeline.safeParse(defaultTimeline(plan, id)).success, id);
  const outage = defaultTimeline(plan, 'outage');
  assert.deepEqual(
    outage.map((s) => [s.at, s.action]),
    [
      ['0s', 'fire'],
      ['10m', 'update'],
      ['95m', 'resolve'],
    ],
  );
  assert.ok(
    defaultTimeline(plan, 'degradation').some((s) => s.action === 'monitoring'),
    'auto-resolving scenarios go quiet instead of resolving',
  );
});

test('a past incident exports as a timeline with its offsets', () => {
  const t0 = Date.parse('2026-03-10T10:00:00Z');
  const at = (min: number) => new Date(t0 + min * 60_000).toISOString();
  const steps = timelineFromIncident({
    startedAt: at(0),
    components: ['payments'],
    severity: 'sev1',
    impact: 'Payments fail.',
    title: 'Payments down',
    timeline: [
      { at: at(0), kind: 'declared', status: 'investigating', message: 'Payments fail.' },
      { at: at(12), kind: 'update', status: 'identified', message: 'Cause found.', eta: at(60) },
      { at: at(40), kind: 'holding', status: 'identified', message: null },
      { at: at(70), kind: 'resolved', status: 'resolved', message: 'Fixed.' },
    ],
  });
  assert.deepEqual(
    steps.map((s) => [s.at, s.action]),
    [
      ['0s', 'fire'],
      ['720s', 'update'],
      ['4200s', 'resolve'],
    ],
  );
  assert.equal((steps[1] as { eta?: string }).eta, '3600s');
});

test('drill requests with an unknown scenario or component are refused clearly', () => {
  assert.throws(
    () => buildDrillInput(plan, { scenario: 'meteor', inject: [] }, { statusUrl: 'http://x' }),
    /unknown scenario "meteor"/,
  );
  assert.throws(
    () =>
      buildDrillInput(
        plan,
        {
          scenario: 'outage',
          inject: [],
          timeline: [{ at: '0s', action: 'fire', alert: 'A', components: ['mainframe'], impact: 'x' }],
        },
        { statusUrl: 'http://x' },
      ),
    /unknown component "mainframe"/,
  );
  const withFault = buildDrillInput(plan, { scenario: 'outage', inject: ['cadence-missed'] }, { statusUrl: 'http://x' });
  assert.deepEqual((withFault.policy as { faults?: unknown }).faults, { noHoldingUpdates: true });
});
