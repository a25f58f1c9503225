import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { incidentPolicy, maintenancePolicy } from '../../core/policy';
import {
  INCIDENT_WORKFLOW,
  type IncidentWorkflow,
  incidentStateQuery,
  monitoringSignal,
  resolveIncident,
} from '../../workflows/contracts/incident';
import {
  completeMaintenance,
  MAINTENANCE_WORKFLOW,
  type MaintenanceWorkflow,
  maintenanceStateQuery,
} from '../../workflows/contracts/maintenance';
import { startTestWorker, type RunningWorker } from '../support/herald';
import { eventually, testTemporal, type TestTemporal } from '../support/temporal';

// Rounds to small audiences finish inside the lifecycle's workflow task (a local activity), and that
// completion wakes the main loop. On replay the completion arrives from its marker, possibly one
// activation earlier than it did live: the loop must emit no command for it, or the history does not
// replay. Each run here is fetched and replayed, and its timers are checked: a timer is cancelled only
// for a different deadline, never to start the same one again.

const RUNS = 10;
const SLACK_MS = 100;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

describe('main loop timers across inline rounds', () => {
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

  test(`incident with a quiet-period reminder: ${RUNS} runs replay, no timer restarted for the same deadline`, async () => {
    const runs = await Promise.all(Array.from({ length: RUNS }, () => quietReminderRun()));
    await assertReplaysAndKeepsTimers(runs);
  });

  test(`maintenance with reminders: ${RUNS} runs replay, no timer restarted for the same deadline`, async () => {
    const runs = await Promise.all(Array.from({ length: RUNS }, () => maintenanceRun()));
    await assertReplaysAndKeepsTimers(runs);
  });

  /** The workflow test that first produced a history that did not replay: quiet monitoring reminds staff, then re-fires. */
  async function quietReminderRun(): Promise<WorkflowHandle> {
    // outage: no auto-resolve; quiet period 30 min at time scale 900 = 2 s; sev3 cadence 2 h = 8 s.
    const h = await t.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
      workflowId: `loop-timer-incident-${randomBytes(4).toString('hex')}`,
      taskQueue: w.config.temporal.taskQueue,
      args: [
        {
          title: 'Card payments failing',
          scenario: 'outage',
          severity: 'sev3',
          components: ['payments'],
          impact: 'Card payments are failing for some customers.',
          drill: false,
          declaredBy: 'alice',
          owner: 'bob',
          policy: incidentPolicy(w.plan, 'outage', { timeScale: 900 }),
        },
      ],
    });
    const alert = { source: 'alertmanager', name: 'PaymentsDown', fingerprint: 'f2' };
    await h.signal(monitoringSignal, { state: 'resolved', alert });
    await eventually(
      async () => ((await h.query(incidentStateQuery)).timeline.some((e) => e.kind === 'reminder') ? true : undefined),
      20_000,
      'a reminder',
    );
    await h.signal(monitoringSignal, { state: 'firing', alert });
    await eventually(
      async () => ((await h.query(incidentStateQuery)).status === 'investigating' ? true : undefined),
      20_000,
      'back to investigating',
    );
    // The resolution's wording waits for approval and goes out in the plan's words after 10 min / 900 = 0.7 s.
    await h.executeUpdate(resolveIncident, { args: [{ message: 'Resolved.', by: 'alice' }] });
    await h.result();
    return h;
  }

  /** Announced, reminded (72 h, 24 h, 1 h before), started, completed: at time scale 18,000 a plan hour is 200 ms. */
  async function maintenanceRun(): Promise<WorkflowHandle> {
    const hour = 3_600_000 / 18_000;
    const start = Date.now() + 80 * hour;
    const h = await t.client.workflow.start<MaintenanceWorkflow>(MAINTENANCE_WORKFLOW, {
      workflowId: `loop-timer-maintenance-${randomBytes(4).toString('hex')}`,
      taskQueue: w.config.temporal.taskQueue,
      args: [
        {
          title: 'Database upgrade',
          scenario: 'maintenance',
          components: ['payments'],
          scheduledFor: new Date(start).toISOString(),
          scheduledUntil: new Date(start + 10 * hour).toISOString(),
          message: 'Payments will be unavailable during the upgrade.',
          drill: false,
          declaredBy: 'alice',
          policy: maintenancePolicy(w.plan, 'maintenance', { timeScale: 18_000 }),
        },
      ],
    });
    await eventually(
      async () => ((await h.query(maintenanceStateQuery)).status === 'in_progress' ? true : undefined),
      40_000,
      'the start',
    );
    await h.executeUpdate(completeMaintenance, { args: [{ by: 'alice' }] });
    await h.result();
    return h;
  }

  async function assertReplaysAndKeepsTimers(handles: WorkflowHandle[]): Promise<void> {
    const failures: string[] = [];
    for (const h of handles) {
      const history = await h.fetchHistory();
      try {
        await Worker.runReplayHistory({ workflowBundle: t.workflowBundle }, history, h.workflowId);
      } catch (err) {
        failures.push(`${h.workflowId} does not replay: ${(err as Error).message}`);
      }
      failures.push(...sameDeadlineRestarts(history.events ?? []).map((m) => `${h.workflowId}: ${m}`));
    }
    assert.deepEqual(failures, []);
  }
});

/**
 * Timers cancelled in a workflow task that starts a timer for the same moment again. The moment is
 * reckoned from the task's start, and the workflow's clock in a task moves on while its local
 * activities run: 100 ms of slack (the deadlines these runs move are at least 200 ms apart).
 */
function sameDeadlineRestarts(events: HistoryEvent[]): string[] {
  const ms = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    Number(ts?.seconds ?? 0) * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6);
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  // The workflow's clock in a task is the time its task started.
  const taskTime = (completedId: unknown) => {
    const completed = byId.get(Number(completedId))?.workflowTaskCompletedEventAttributes;
    return ms(byId.get(Number(completed?.startedEventId))?.eventTime);
  };
  const deadlines = new Map<number, number>(); // started event id → when it fires
  for (const e of events) {
    const a = e.timerStartedEventAttributes;
    if (a) deadlines.set(Number(e.eventId), taskTime(a.workflowTaskCompletedEventId) + ms(a.startToFireTimeout));
  }
  const found: string[] = [];
  for (const e of events) {
    const c = e.timerCanceledEventAttributes;
    if (!c) continue;
    const cancelled = deadlines.get(Number(c.startedEventId))!;
    const restarted = events.find(
      (s) =>
        s.timerStartedEventAttributes &&
        String(s.timerStartedEventAttributes.workflowTaskCompletedEventId) === String(c.workflowTaskCompletedEventId) &&
        Math.abs(deadlines.get(Number(s.eventId))! - cancelled) <= SLACK_MS,
    );
    if (restarted)
      found.push(
        `timer of event ${String(c.startedEventId)} cancelled and started again for the same moment (event ${String(restarted.eventId)})`,
      );
  }
  return found;
}
