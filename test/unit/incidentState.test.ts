import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { incidentPolicy, type PolicyOptions } from '../../core/policy';
import type { IncidentInput } from '../../workflows/contracts/incident';
import {
  IncidentStateMachine,
  initialIncidentState,
  type IncidentEffects,
  type PublicationRequest,
} from '../../workflows/incident/state';
import { validateApprove, validateChangeImpact, validatePostUpdate, validateResolve } from '../../workflows/incident/validators';
import { buildMessageContext } from '../../core/messageContext';
import { createTemplateRenderer } from '../../core/render';
import { examplePlan } from '../support/config';

// The incident's transitions without a server: a state machine over the state object, a clock the
// test moves, and effects recorded in the order the workflow would turn them into commands.

const plan = examplePlan();
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const MIN = 60_000;

function rig(over: Partial<IncidentInput> = {}, options: PolicyOptions & { scenario?: string } = {}) {
  const scenario = options.scenario ?? 'outage';
  const policy = incidentPolicy(plan, scenario, { timeScale: 1, ...options });
  const input: IncidentInput = {
    title: 'Card payments failing',
    scenario,
    severity: 'sev1',
    components: ['payments'],
    impact: 'Card payments are failing for some customers.',
    owner: 'bob',
    drill: false,
    declaredBy: 'alice',
    policy,
    ...over,
  };
  let now = T0;
  const effects: string[] = [];
  const published: PublicationRequest[] = [];
  const recorder: IncidentEffects = {
    publish: (p) => {
      published.push(p);
      effects.push(`publish:${p.phase}`);
    },
    sendPage: () => void effects.push('sendPage'),
    refreshSearchAttributes: () => void effects.push('searchAttributes'),
  };
  const state = initialIncidentState(input, 'incident-test', new Date(now).toISOString());
  const machine = new IncidentStateMachine(state, policy, () => now, recorder);
  return {
    input,
    policy,
    state,
    machine,
    effects,
    published,
    advance: (ms: number) => void (now += ms),
    nowMs: () => now,
  };
}

describe('incident state machine', () => {
  test('the first notice publishes the impact and sets the next update one cadence (sev1: 30 min) ahead', () => {
    const r = rig({ alert: { source: 'alertmanager', name: 'PaymentsDown', fingerprint: 'f1' } });
    r.machine.declare(r.input);
    assert.deepEqual(r.effects, ['publish:initial']);
    assert.equal(r.published[0]!.message, r.input.impact);
    assert.equal(r.state.nextUpdateDue, new Date(T0 + 30 * MIN).toISOString());
    assert.equal(r.state.monitoring.state, 'firing', 'monitoring opened it: it starts firing');
  });

  test('an update moves the status, restarts the cadence clock and announces added components with the initial notice', () => {
    const r = rig();
    r.machine.declare(r.input);
    r.advance(10 * MIN);
    const seq = r.machine.postUpdate({
      status: 'identified',
      message: 'We found the cause.',
      components: ['payments', 'invoicing'],
      by: 'alice',
    });
    assert.equal(r.state.status, 'identified');
    assert.equal(r.state.identifiedAt, new Date(T0 + 10 * MIN).toISOString());
    assert.deepEqual(r.state.components, ['payments', 'invoicing']);
    assert.equal(r.state.nextUpdateDue, new Date(T0 + 40 * MIN).toISOString());
    // Components first (search attributes), then the status change, then the update and the initial notice for the new component.
    assert.deepEqual(r.effects, ['publish:initial', 'searchAttributes', 'searchAttributes', 'publish:update', 'publish:initial']);
    const [, update, initial] = r.published;
    assert.equal(update!.seq, seq);
    assert.deepEqual(update!.components, ['payments']);
    assert.deepEqual(initial!.components, ['invoicing']);
    assert.deepEqual(initial!.excludeComponents, ['payments']);
    assert.equal(initial!.message, null, "the new component's subscribers get the plan's initial wording");
  });

  test('a missed cadence posts the holding update and escalates to the owner and internal audiences', () => {
    const r = rig();
    r.machine.declare(r.input);
    assert.equal(r.machine.msToNextTimer(), 30 * MIN);
    r.advance(30 * MIN);
    r.machine.onTimersDue();
    assert.deepEqual(
      r.state.timeline.map((e) => e.kind),
      ['declared', 'holding', 'escalation'],
    );
    assert.deepEqual(r.state.escalations[0]!.to, ['bob', 'staff']);
    assert.equal(r.published.at(-1)!.phase, 'holding');
    assert.equal(r.published.at(-1)!.message, null);
    assert.equal(r.state.nextUpdateDue, new Date(T0 + 60 * MIN).toISOString(), 'the holding update restarts the clock');
  });

  test("a drill's no-holding-updates fault stays silent instead", () => {
    const r = rig();
    r.policy.faults = { noHoldingUpdates: true };
    r.machine.declare(r.input);
    r.advance(30 * MIN);
    r.machine.onTimersDue();
    assert.deepEqual(r.effects, ['publish:initial']);
    assert.equal(r.state.nextUpdateDue, null);
  });

  test('a passed ETA is admitted before anything else', () => {
    const r = rig({ eta: new Date(T0 + 5 * MIN).toISOString() });
    r.machine.declare(r.input);
    assert.equal(r.machine.msToNextTimer(), 5 * MIN);
    r.advance(5 * MIN);
    r.machine.onTimersDue();
    assert.equal(r.state.eta, null);
    assert.equal(r.state.timeline.at(-1)!.kind, 'eta-missed');
    assert.equal(r.state.timeline.at(-1)!.eta, new Date(T0 + 5 * MIN).toISOString(), 'the entry keeps the ETA that was missed');
    assert.equal(r.published.at(-1)!.phase, 'etaMissed');
  });

  test('monitoring resolved moves the incident to monitoring; a re-fire takes it back to where it was', () => {
    const r = rig();
    r.machine.declare(r.input);
    const alert = { source: 'alertmanager', name: 'PaymentsDown', fingerprint: 'f1' };
    r.machine.onMonitoring({ state: 'resolved', alert });
    assert.equal(r.state.status, 'monitoring');
    assert.equal(r.state.monitoring.statusBefore, 'investigating');
    r.machine.onMonitoring({ state: 'firing', alert });
    assert.equal(r.state.status, 'investigating');
    assert.deepEqual(
      r.state.timeline.map((e) => e.kind),
      ['declared', 'monitoring', 'monitoring'],
    );
    assert.deepEqual(r.state.monitoring.alerts, [alert], 'the same alert is kept once');
    assert.deepEqual(r.effects, ['publish:initial', 'searchAttributes', 'publish:update', 'searchAttributes', 'publish:update']);
  });

  test('quiet monitoring reminds the internal audiences (not the page) when the plan does not auto-resolve', () => {
    const r = rig();
    r.machine.declare(r.input);
    r.machine.onMonitoring({ state: 'resolved', alert: { source: 'alertmanager', name: 'PaymentsDown' } });
    r.advance(30 * MIN);
    r.machine.onTimersDue();
    const reminder = r.published.at(-1)!;
    assert.equal(r.state.timeline.at(-1)!.kind, 'reminder');
    assert.equal(reminder.toPage, false);
    assert.deepEqual(
      reminder.audiences!.map((a) => a.standsFor),
      ['staff'],
    );
    assert.equal(r.state.status, 'monitoring', 'still open');
    assert.equal(r.state.monitoring.since, null, 'one reminder per quiet period');
    assert.equal(
      r.state.nextUpdateDue,
      new Date(T0 + 30 * MIN).toISOString(),
      'an internal reminder does not restart the cadence clock',
    );
  });

  test("the quiet-monitoring reminder reaches staff in their own language, never another's", () => {
    const r = rig();
    r.machine.declare(r.input);
    r.machine.onMonitoring({ state: 'resolved', alert: { source: 'alertmanager', name: 'PaymentsDown' } });
    r.advance(30 * MIN);
    r.machine.onTimersDue();
    const reminder = r.published.at(-1)!;
    assert.deepEqual(reminder.message, {
      en: 'Monitoring has been quiet for 30 minutes. Resolve the incident or post an update.',
      'zh-TW': '監控已連續 30 分鐘沒有告警。請解決此事件，或發布更新。',
    });
    const renderer = createTemplateRenderer();
    const read = (locale: string) =>
      renderer.render(
        buildMessageContext(plan, r.machine.factsFor(reminder.message), {
          locale,
          kind: 'internal',
          channel: 'email',
          phase: 'update',
          statusUrl: plan.page.url,
        }),
        r.policy.templates.update,
      ).text;
    assert.match(read('zh-TW'), /更新內容：監控已連續 30 分鐘沒有告警。/);
    assert.doesNotMatch(read('zh-TW'), /Monitoring has been quiet/);
    assert.match(read('en'), /Update: Monitoring has been quiet for 30 minutes\./);
  });

  test('quiet monitoring resolves the incident when the plan auto-resolves', () => {
    const r = rig({ severity: 'sev3' }, { scenario: 'degradation' });
    r.machine.declare(r.input);
    r.machine.onMonitoring({ state: 'resolved', alert: { source: 'alertmanager', name: 'Slow' } });
    r.advance(20 * MIN);
    r.machine.onTimersDue();
    assert.equal(r.state.status, 'resolved');
    assert.equal(r.state.timeline.at(-1)!.by, 'herald:auto-resolve');
    assert.equal(r.state.nextUpdateDue, null);
    assert.equal(r.machine.isClosed(), true);
    assert.equal(r.published.at(-1)!.phase, 'resolved');
  });

  test('a firing group that grew adds its components and raises the severity, never lowers it', () => {
    const r = rig({ severity: 'sev2' });
    r.machine.declare(r.input);
    assert.equal(r.state.nextUpdateDue, new Date(T0 + 60 * MIN).toISOString());
    const alert = { source: 'alertmanager', name: 'PaymentsDown' };
    r.machine.onMonitoring({ state: 'firing', alert, routed: { components: ['payments', 'invoicing'], severity: 'sev1' } });
    assert.equal(r.state.severity, 'sev1');
    assert.deepEqual(r.state.components, ['payments', 'invoicing']);
    assert.equal(r.state.nextUpdateDue, new Date(T0 + 30 * MIN).toISOString(), 'the cadence follows the new severity');
    r.machine.onMonitoring({ state: 'firing', alert, routed: { components: ['payments'], severity: 'sev3' } });
    assert.equal(r.state.severity, 'sev1', 'not lowered');
    assert.equal(r.state.timeline.filter((e) => e.kind === 'impact').length, 1);
  });

  test('resolving closes the incident, clears the next update and derives the components again', () => {
    const r = rig();
    r.machine.declare(r.input);
    r.machine.resolve('Card payments work again.', 'alice');
    assert.equal(r.state.status, 'resolved');
    assert.equal(r.state.nextUpdateDue, null);
    assert.equal(r.machine.msToNextTimer(), undefined);
    assert.deepEqual(r.effects.slice(1), ['searchAttributes', 'publish:resolved']);
  });
});

describe('incident validators', () => {
  test('refuse going back, resolving through an update, too long or leaking words, and unknown components', () => {
    const r = rig();
    r.machine.declare(r.input);
    r.machine.postUpdate({ status: 'identified', message: 'Found it.', by: 'alice' });
    const update = (u: Partial<Parameters<typeof validatePostUpdate>[2]>) =>
      validatePostUpdate(r.state, r.policy, { status: 'identified', message: 'More news.', by: 'alice', ...u }, r.nowMs());
    assert.doesNotThrow(() => update({}));
    assert.throws(() => update({ status: 'investigating' }), /cannot go back from identified to investigating/);
    assert.throws(() => update({ status: 'resolved' }), /use resolve/);
    assert.throws(() => update({ by: ' ' }), /by: who posts the update is required/);
    assert.throws(() => update({ message: 'x'.repeat(4001) }), /at most 4000 characters/);
    assert.throws(() => update({ message: 'db-7.acme.internal is down' }), /customers would see internal detail/);
    assert.throws(() => update({ eta: new Date(T0 - MIN).toISOString() }), /in the past/);
    assert.throws(() => update({ components: ['nope'] }), /unknown component "nope"/);
    assert.throws(() => validateChangeImpact(r.state, r.policy, { by: 'alice' }), /nothing to change/);
    assert.throws(() => validateApprove([], { by: 'carol' }), /nothing is waiting/);
    assert.throws(() => validateApprove([2], { by: 'carol', seq: 3 }), /pending: 2/);
    r.machine.resolve('Fixed.', 'alice');
    assert.throws(() => validateResolve(r.state, r.policy, { message: 'Again.', by: 'alice' }), /already resolved/);
  });
});
