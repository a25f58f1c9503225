import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maintenancePolicy } from '../../core/policy';
import type { MaintenanceInput } from '../../workflows/contracts/maintenance';
import { initialMaintenanceState, MaintenanceStateMachine, type MaintenancePublication } from '../../workflows/maintenance/state';
import { validateCancel, validateComplete, validateNote, validateReschedule } from '../../workflows/maintenance/validators';
import { examplePlan } from '../support/config';

// The maintenance window's clock and transitions without a server.

const plan = examplePlan();
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function rig(
  startsInHours = 100,
  lastsHours = 2,
  message: MaintenanceInput['message'] = 'Card payments pause for up to two hours.',
) {
  const policy = maintenancePolicy(plan, 'maintenance', { timeScale: 1 });
  const input: MaintenanceInput = {
    title: 'Database upgrade',
    scenario: 'maintenance',
    components: ['payments'],
    scheduledFor: iso(T0 + startsInHours * HOUR),
    scheduledUntil: iso(T0 + (startsInHours + lastsHours) * HOUR),
    message,
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

  test('page updates carry the operator words, or the plan wording by key with the window as instants', () => {
    const r = rig(100, 2);
    r.machine.announce('alice');
    r.fireNext();
    r.machine.cancel({ by: 'alice' });
    const [announce, reminder, cancel] = r.state.pageUpdates;
    assert.equal(announce!.body, r.input.message);
    assert.deepEqual(reminder!.wording, [
      { key: 'maintenance.reminder', params: { from: '2026-03-06T14:00:00.000Z', until: '2026-03-06T16:00:00.000Z' } },
    ]);
    assert.deepEqual(cancel!.wording, [{ key: 'maintenance.cancel' }]);
    assert.equal(cancel!.status, 'completed', 'the page shows a cancelled window as completed');
    assert.equal(r.machine.isFinished(), true);
  });

  test("words per locale: every round's facts carry them all, the page shows each locale's and the plan's wording where none", () => {
    const words = { en: 'Card payments pause for up to two hours.', 'zh-TW': '刷卡付款將暫停最多兩小時。' };
    const r = rig(100, 2, words);
    r.machine.announce('alice');
    r.machine.note({ message: { en: 'Preparations are on track.' }, by: 'alice' });
    r.machine.complete({ message: { 'zh-TW': '升級已完成。' }, by: 'alice' });
    const [announce, note, complete] = r.published;
    assert.deepEqual(announce!.facts.message, words, 'the announcement carries the words in both languages');
    assert.deepEqual(note!.facts.impact, words, 'later rounds carry what the window means, per locale');
    assert.deepEqual(note!.facts.message, { en: 'Preparations are on track.' });
    assert.deepEqual(complete!.facts.message, { 'zh-TW': '升級已完成。' });
    const [announcePage, notePage, completePage] = r.state.pageUpdates;
    assert.deepEqual(announcePage!.bodies, words);
    assert.equal(announcePage!.body, undefined);
    assert.deepEqual(notePage!.bodies, { en: 'Preparations are on track.' });
    assert.deepEqual(
      notePage!.wording?.map((s) => s.key),
      ['maintenance.scheduled'],
      'a locale without words gets the plan wording of the phase',
    );
    assert.deepEqual(completePage!.wording, [{ key: 'maintenance.complete' }]);
    assert.deepEqual(r.state.timeline.at(-1)!.message, { 'zh-TW': '升級已完成。' });
  });

  test('a plain string is words in the page language, shown as before', () => {
    const r = rig(100, 2, 'Card payments pause for up to two hours.');
    r.machine.announce('alice');
    r.machine.note({ message: 'Preparations are on track.', by: 'alice' });
    const [announcePage, notePage] = r.state.pageUpdates;
    assert.equal(announcePage!.body, 'Card payments pause for up to two hours.');
    assert.equal(notePage!.body, 'Preparations are on track.');
    assert.equal(notePage!.bodies, undefined);
    assert.equal(notePage!.wording, undefined);
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

  test('words per locale: at least one locale has words, and the content guard reads every locale', () => {
    const r = rig(100, 2);
    r.machine.announce('alice');
    assert.throws(() => validateNote(r.state, r.policy, { message: { en: ' ', 'zh-TW': '' }, by: 'a' }), /needs words/);
    assert.doesNotThrow(() => validateNote(r.state, r.policy, { message: { 'zh-TW': '準備工作進行順利。' }, by: 'a' }));
    assert.throws(
      () => validateNote(r.state, r.policy, { message: { en: 'Fine.', 'zh-TW': '資料庫 10.0.3.7 升級中。' }, by: 'a' }),
      /message: customers would see internal detail/,
    );
    assert.throws(
      () => validateCancel(r.state, r.policy, { message: { 'zh-TW': '請見 db-main-1.acme.internal' }, by: 'a' }),
      /customers would see internal detail/,
    );
  });
});
