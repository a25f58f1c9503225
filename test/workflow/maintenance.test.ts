import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { maintenancePolicy } from '../../core/policy';
import {
  cancelMaintenance,
  completeMaintenance,
  MAINTENANCE_WORKFLOW,
  type MaintenanceWorkflow,
  maintenanceStateQuery,
  postMaintenanceUpdate,
  rescheduleMaintenance,
  type MaintenanceInput,
  type MaintenanceState,
} from '../../workflows/contracts/maintenance';
import { pageStateQuery, statusPageWorkflowId } from '../../workflows/contracts/statusPage';
import { startTestWorker, type RunningWorker } from '../support/herald';
import { eventually, testTemporal, type TestTemporal } from '../support/temporal';

// Time scale 18,000: a plan hour is 200 ms, so the 72 h / 24 h / 1 h reminders come 14.4 s / 4.8 s /
// 0.2 s before the start. Timers on a busy machine fire late, never early: the test allows 2.5 s late.
const SCALE = 18_000;
const LATE_MS = 2_500;
const PLAN_HOUR = 3_600_000 / SCALE;

describe('maintenance windows on a real dev server', () => {
  let t: TestTemporal;
  let w: RunningWorker;

  before(async () => {
    t = await testTemporal();
    w = await startTestWorker(t);
  });
  after(async () => {
    await w.stop();
    await t.teardown();
  });

  function input(startInPlanHours: number, lengthPlanHours: number, over: Partial<MaintenanceInput> = {}): MaintenanceInput {
    const start = Date.now() + startInPlanHours * PLAN_HOUR;
    const policy = maintenancePolicy(w.plan, 'maintenance', { timeScale: SCALE });
    return {
      title: 'Database upgrade',
      scenario: 'maintenance',
      components: ['payments', 'invoicing'],
      scheduledFor: new Date(start).toISOString(),
      scheduledUntil: new Date(start + lengthPlanHours * PLAN_HOUR).toISOString(),
      message: 'Payments and invoicing will be unavailable while we upgrade our systems.',
      drill: false,
      declaredBy: 'alice',
      policy: { ...policy, overrunExtensionMs: 1500 },
      ...over,
    };
  }
  const schedule = (i: MaintenanceInput) =>
    t.client.workflow.start<MaintenanceWorkflow>(MAINTENANCE_WORKFLOW, {
      workflowId: `maintenance-test-${randomBytes(4).toString('hex')}`,
      taskQueue: w.config.temporal.taskQueue,
      args: [i],
    });
  const until = (
    h: WorkflowHandle<MaintenanceWorkflow>,
    check: (s: MaintenanceState) => boolean,
    what: string,
    timeoutMs = 20_000,
  ) =>
    eventually(
      async () => {
        const s = await h.query(maintenanceStateQuery);
        return check(s) ? s : undefined;
      },
      timeoutMs,
      what,
    );
  const phases = (s: MaintenanceState) => s.timeline.map((e) => e.phase);
  const page = async (id: string) =>
    (await t.client.workflow.getHandle(statusPageWorkflowId(w.plan.page.id, false)).query(pageStateQuery)).maintenances.find(
      (m) => m.id === id,
    );

  test('announcement, every reminder at its offset, start under maintenance, an update, completion', async () => {
    const h = await schedule(input(80, 10));
    let s = await until(h, (x) => x.status === 'in_progress', 'the window to start', 30_000);
    assert.deepEqual(phases(s), ['announce', 'reminder', 'reminder', 'reminder', 'start']);
    const reminders = s.timeline.filter((e) => e.phase === 'reminder');
    const start = Date.parse(s.scheduledFor);
    [72, 24, 1].forEach((hours, i) => {
      const due = start - hours * PLAN_HOUR;
      const at = Date.parse(reminders[i]!.at);
      assert.ok(at >= due && at - due <= LATE_MS, `the ${hours} h reminder came ${at - due} ms after its moment`);
    });
    const onPage = await eventually(
      async () => {
        const m = await page(h.workflowId);
        return m?.status === 'in_progress' ? m : undefined;
      },
      10_000,
      'the page to show the window in progress',
    );
    assert.deepEqual(onPage.componentStatuses, { payments: 'under_maintenance', invoicing: 'under_maintenance' });
    const summary = await t.client.workflow.getHandle(statusPageWorkflowId(w.plan.page.id, false)).query(pageStateQuery);
    assert.equal(summary.components.payments?.status, 'under_maintenance');

    await h.executeUpdate(postMaintenanceUpdate, { args: [{ message: 'The upgrade is half done.', by: 'alice' }] });
    await h.executeUpdate(completeMaintenance, { args: [{ by: 'alice' }] });
    s = await h.result();
    assert.equal(s.status, 'completed');
    assert.deepEqual(phases(s), ['announce', 'reminder', 'reminder', 'reminder', 'start', 'update', 'complete']);
    const rounds = (phase: string) =>
      s.deliveries
        .filter((d) => d.phase === phase)
        .map((d) => d.standsFor)
        .sort();
    for (const phase of ['announce', 'reminder', 'start', 'update', 'complete'])
      assert.deepEqual([...new Set(rounds(phase))], ['customers', 'enterprise', 'staff'], phase);
    const finalPage = await eventually(
      async () => {
        const m = await page(h.workflowId);
        return m?.status === 'completed' ? m : undefined;
      },
      10_000,
      'the page to show completion',
    );
    assert.deepEqual(finalPage.componentStatuses, {});
  });

  test('a reschedule re-times every reminder and says so', async () => {
    const h = await schedule(input(100, 10));
    await until(h, (x) => x.remindersSent.length === 1, 'the 72 h reminder');
    const before = await h.query(maintenanceStateQuery);
    const newStart = Date.now() + 90 * PLAN_HOUR;
    await h.executeUpdate(rescheduleMaintenance, {
      args: [
        {
          scheduledFor: new Date(newStart).toISOString(),
          scheduledUntil: new Date(newStart + 10 * PLAN_HOUR).toISOString(),
          by: 'alice',
        },
      ],
    });
    let s = await until(
      h,
      (x) => x.deliveries.filter((d) => d.phase === 'reschedule').length === 3,
      'the reschedule notice to every audience',
    );
    assert.deepEqual(s.remindersSent, [], 'every reminder is re-timed to the new start');
    s = await until(h, (x) => x.status === 'in_progress', 'the rescheduled start', 30_000);
    assert.deepEqual(phases(s), ['announce', 'reminder', 'reschedule', 'reminder', 'reminder', 'reminder', 'start']);
    assert.notEqual(s.scheduledFor, before.scheduledFor);
    await h.executeUpdate(completeMaintenance, { args: [{ by: 'alice' }] });
    await h.result();
  });

  test('a cancel withdraws the reminders and announces it', async () => {
    const h = await schedule(input(100, 10));
    await until(h, (x) => x.deliveries.length >= 3, 'the announcement');
    await h.executeUpdate(cancelMaintenance, { args: [{ by: 'alice', message: 'We no longer need this maintenance.' }] });
    const s = await h.result();
    assert.equal(s.status, 'cancelled');
    assert.deepEqual(phases(s), ['announce', 'cancel']);
    assert.equal(s.deliveries.filter((d) => d.phase === 'cancel').length, 3);
    // The workflow has ended: no reminder can fire any more.
    const onPage = await eventually(
      async () => {
        const m = await page(h.workflowId);
        return m?.status === 'completed' ? m : undefined;
      },
      10_000,
      'the page to close the window',
    );
    assert.match(onPage.updates.at(-1)!.body ?? '', /no longer need/);
  });

  test('an overrun extends the window and announces the new end', async () => {
    const h = await schedule(input(0.5, 20));
    const s = await until(
      h,
      (x) => x.deliveries.filter((d) => d.phase === 'overrun').length >= 3,
      'an overrun announced to every audience',
      30_000,
    );
    const overrun = s.timeline.find((e) => e.phase === 'overrun')!;
    assert.ok(Date.parse(s.scheduledUntil) > Date.parse(overrun.at), 'the new end is in the future');
    await h.executeUpdate(completeMaintenance, { args: [{ by: 'alice' }] });
    const final = await h.result();
    assert.equal(final.status, 'completed');
    assert.deepEqual(
      final.deliveries.filter((d) => d.error !== null || d.report === null).map((d) => d.roundId),
      [],
      'every round completed',
    );
  });

  test('validators refuse what cannot be done', async () => {
    const h = await schedule(input(200, 10));
    const refused: [string, () => Promise<unknown>, RegExp][] = [
      [
        'end before start',
        () =>
          h.executeUpdate(rescheduleMaintenance, {
            args: [
              {
                scheduledFor: new Date(Date.now() + 3_600_000).toISOString(),
                scheduledUntil: new Date(Date.now() + 60_000).toISOString(),
                by: 'a',
              },
            ],
          }),
        /after scheduledFor/,
      ],
      ['complete before the start', () => h.executeUpdate(completeMaintenance, { args: [{ by: 'a' }] }), /cannot complete/],
      [
        'guard',
        () => h.executeUpdate(postMaintenanceUpdate, { args: [{ message: 'Upgrading 10.0.3.7 now', by: 'a' }] }),
        /internal detail/,
      ],
    ];
    for (const [name, call, pattern] of refused) {
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError, name);
        assert.match(String(((err as Error).cause as Error | undefined)?.message), pattern, name);
        return true;
      });
    }
    await h.executeUpdate(cancelMaintenance, { args: [{ by: 'a' }] });
    await h.result();
  });
});
