import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maintenancePolicy } from '../../core/policy';
import type { MaintenanceInput } from '../../workflows/contracts/maintenance';
import { initialMaintenanceState, MaintenanceStateMachine, type MaintenancePublication } from '../../workflows/maintenance/state';
import { validateCancel, validateComplete, validateReschedule } from '../../workflows/maintenance/validators';
import { examplePlan } from '../support/config';

// The maintenance window's clock and transitions without a server.

const plan = examplePlan();
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function rig(startsInHours = 100, lastsHours = 2) {
  const policy = maintenancePolicy(plan, 'maintenance', { timeScale: 1 });
  const input: MaintenanceInput = {
    title: 'Database upgrade',
    scenario: 'maintenance',
    components: ['payments'],
    scheduledFor: iso(T0 + startsInHours * HOUR),
    scheduledUntil: iso(T0 + (startsInHours + lastsHours) * HOUR),
    message: 'Card payments pause for up to two hours.',
    drill: false,
    declaredBy: 'alice',
    policy,
  };
  let now = T0;
  const published: MaintenancePublication[] = [];
  const effects: string[] = [];
  const state = initialMaintenanceState(input, 'maintenance-test', iso(now));
  const machine = new MaintenanceStateMachine(state, policy, () => now, {
    publish: (p) => {
      published.push(p);
      effects.push(`publish:${p.phase}`);
    },
    refreshSearchAttributes: () => void effects.push('searchAttributes'),
  });
  /** Runs the clock to its next event and lets it fire. */
  const fireNext = () => {
    const next = machine.nextEvent();
    now = Math.max(now, next.at);
    next.run();
    return next.at;
  };
  return { input, policy, state, machine, published, effects, fireNext, set: (ms: number) => void (now = ms) };
}

describe('maintenance state machine', () => {
  test('announce, a reminder at each offset (72 h, 24 h, 1 h), the start, then the overrun step past the end', () => {
    const r = rig(100, 2);
    r.machine.announce('alice');
    const start = T0 + 100 * HOUR;
    assert.equal(r.fireNext(), start - 72 * HOUR);
    assert.equal(r.fireNext(), start - 24 * HOUR);
    assert.equal(r.fireNext(), start - 1 * HOUR);
    assert.equal(r.published.at(-1)!.facts.startsInMs, 1 * HOUR, 'the reminder says how long until the start');
    assert.equal(r.fireNext(), start);
    assert.equal(r.state.status, 'in_progress');
    assert.equal(r.fireNext(), start + 2 * HOUR);
    assert.equal(r.state.overruns, 1);
    assert.equal(r.state.scheduledUntil, iso(start + 2.5 * HOUR), 'extended by the plan overrun step (30 min)');
    assert.deepEqual(r.published.at(-1)!.facts.previousScheduledUntil, iso(start + 2 * HOUR));
    assert.deepEqual(
      r.state.timeline.map((e) => e.phase),
      ['announce', 'reminder', 'reminder', 'reminder', 'start', 'overrun'],
    );
    assert.deepEqual(r.effects, [
      'publish:announce',
      'publish:reminder',
      'publish:reminder',
      'publish:reminder',
      'searchAttributes',
      'publish:start',
      'publish:overrun',
    ]);
  });

  test('reminders whose moment had passed when the window was scheduled are skipped', () => {
    const r = rig(30, 2);
    r.machine.announce('alice');
    assert.equal(r.fireNext(), T0 + 6 * HOUR, 'the 72-hour reminder was already past: the 24-hour one is first');
    assert.equal(r.fireNext(), T0 + 29 * HOUR);
    assert.equal(r.state.remindersSent.length, 2);
  });

  test('a reschedule re-times every reminder and says what the schedule was', () => {
    const r = rig(100, 2);
    r.machine.announce('alice');
    r.fireNext(); // 72 h reminder
    const moved = T0 + 200 * HOUR;
    r.machine.reschedule({ scheduledFor: iso(moved), scheduledUntil: iso(moved + HOUR), by: 'alice' });
    assert.deepEqual(r.state.remindersSent, []);
    assert.equal(r.published.at(-1)!.facts.previousScheduledFor, iso(T0 + 100 * HOUR));
    assert.equal(r.machine.nextEvent().at, moved - 72 * HOUR);
  });

  test('page updates carry the operator words, or the plan wording by key with the window', () => {
    const r = rig(100, 2);
    r.machine.announce('alice');
    r.fireNext();
    r.machine.cancel({ by: 'alice' });
    const [announce, reminder, cancel] = r.state.pageUpdates;
    assert.equal(announce!.body, r.input.message);
    assert.deepEqual(reminder!.wording, [
      { key: 'maintenance.reminder', params: { from: '2026-03-06 14:00', until: '2026-03-06 16:00' } },
    ]);
    assert.deepEqual(cancel!.wording, [{ key: 'maintenance.cancel' }]);
    assert.equal(cancel!.status, 'completed', 'the page shows a cancelled window as completed');
    assert.equal(r.machine.isFinished(), true);
  });
});

describe('maintenance validators', () => {
  test('refuse what the window cannot do now', () => {
    const r = rig(100, 2);
    r.machine.announce('alice');
    const now = T0;
    assert.throws(
      () =>
        validateReschedule(r.state, r.policy, { scheduledFor: iso(now - HOUR), scheduledUntil: iso(now + HOUR), by: 'a' }, now),
      /must be in the future/,
    );
    assert.throws(
      () =>
        validateReschedule(
          r.state,
          r.policy,
          { scheduledFor: iso(now + 2 * HOUR), scheduledUntil: iso(now + HOUR), by: 'a' },
          now,
        ),
      /must be after scheduledFor/,
    );
    assert.throws(() => validateComplete(r.state, r.policy, { by: 'a' }), /cannot complete/);
    assert.throws(() => validateCancel(r.state, r.policy, { by: '' }), /by: who makes the change is required/);
    assert.doesNotThrow(() => validateCancel(r.state, r.policy, { by: 'a' }));
  });
});
