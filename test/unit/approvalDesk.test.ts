import assert from 'node:assert/strict';
import { test } from 'node:test';
import { incidentPolicy } from '../../core/policy';
import type { IncidentState } from '../../workflows/contracts/incident';
import { ApprovalDesk, originOf } from '../../workflows/incident/approvals';
import { initialIncidentState } from '../../workflows/incident/state';
import { examplePlan } from '../support/config';

// The approval desk without a server: what waits, what folds into it, and what a release tells whom.

const T0 = Date.parse('2026-03-10T10:00:00Z');
const GATED = ['customers', 'enterprise'];

function setup() {
  const policy = incidentPolicy(examplePlan(), 'outage');
  const state: IncidentState = initialIncidentState(
    {
      title: 'Card payments failing',
      scenario: 'outage',
      severity: 'sev1',
      components: ['payments'],
      impact: 'Card payments fail.',
      drill: false,
      declaredBy: 'alice',
      policy,
    },
    'incident-test',
    new Date(T0).toISOString(),
  );
  let now = T0;
  const desk = new ApprovalDesk(state, policy.approvalTimeoutMs, () => now);
  const record = (by: string) => {
    state.seq += 1;
    state.timeline.push({
      seq: state.seq,
      at: new Date(now).toISOString(),
      kind: 'update',
      status: state.status,
      message: null,
      by,
    });
    return state.seq;
  };
  return { state, desk, record, at: (ms: number) => (now = T0 + ms) };
}

test('a publication is held, later ones fold into it and keep its deadline; the words that stand are the latest', () => {
  const { state, desk, record, at } = setup();
  assert.equal(
    desk.offer({ seq: 1, phase: 'initial', message: 'Card payments fail.', newlyAffectedOnly: false }, 'operator', GATED),
    'hold',
  );
  at(60_000);
  const two = record('alice');
  assert.equal(
    desk.offer({ seq: two, phase: 'update', message: 'We found it.', newlyAffectedOnly: false }, 'operator', GATED),
    'fold',
  );
  const holding = record('herald');
  assert.equal(desk.offer({ seq: holding, phase: 'holding', message: null, newlyAffectedOnly: false }, 'herald', GATED), 'fold');
  const w = desk.waiting!;
  assert.deepEqual(w.carries, [1, two, holding]);
  assert.equal(w.seq, holding);
  assert.equal(w.words, 'We found it.', 'a holding update does not replace the words');
  assert.equal(w.wordsSeq, two);
  assert.equal(Date.parse(w.sendsAt!), T0 + 10 * 60_000, 'the first request’s deadline');
  const monitoring = record('monitoring:alertmanager');
  desk.offer({ seq: monitoring, phase: 'update', message: null, newlyAffectedOnly: false }, 'monitoring', GATED);
  assert.equal(desk.waiting!.words, null, 'a change of status without words replaces them');
  assert.deepEqual(
    state.approvals.map((a) => a.decision),
    ['folded', 'folded', 'folded', 'pending'],
  );
});

test('nothing waiting: the plan’s wording goes at once, monitoring and operator words wait', () => {
  const { desk } = setup();
  assert.equal(desk.offer({ seq: 2, phase: 'holding', message: null, newlyAffectedOnly: false }, 'herald', GATED), 'send');
  assert.equal(desk.offer({ seq: 3, phase: 'update', message: null, newlyAffectedOnly: false }, 'monitoring', GATED), 'hold');
});

test('a release tells readers told before an update naming what is new, and the others their first notice', () => {
  const { state, desk } = setup();
  assert.deepEqual(desk.plan(GATED, 'initial', true, false), [{ phase: 'initial', components: ['payments'] }]);
  state.components.push('invoicing');
  state.status = 'identified';
  assert.deepEqual(desk.plan(GATED, 'holding', false, false), [
    { phase: 'update', components: ['payments'], newlyAffected: ['invoicing'] },
    { phase: 'initial', components: ['invoicing'], excludeComponents: ['payments'] },
  ]);
  assert.deepEqual(desk.plan(GATED, 'initial', false, true), [], 'everyone has been told');
  state.status = 'resolved';
  assert.deepEqual(desk.plan(GATED, 'resolved', true, false), [{ phase: 'resolved', components: ['payments', 'invoicing'] }]);
});

test('runs from before the desk: who was told comes from the rounds the gated audiences got', () => {
  const { state, desk } = setup();
  state.deliveries.push({ standsFor: 'customers', components: ['payments'] } as IncidentState['deliveries'][number]);
  state.deliveries.push({ standsFor: 'staff', components: ['api'] } as IncidentState['deliveries'][number]);
  assert.deepEqual(desk.told(GATED), ['payments']);
});

test('who a publication comes from', () => {
  const { state, record } = setup();
  const seqs = ['alice', 'monitoring:sns', 'herald', 'herald:auto-resolve'].map(record);
  assert.deepEqual(
    seqs.map((s) => originOf(state, s)),
    ['operator', 'monitoring', 'herald', 'monitoring'],
  );
});
