import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { alertIncidentInput } from '../activities/correlation';
import { correlationRule } from '../core/correlation';
import { incidentPolicy, maintenancePolicy } from '../core/policy';
import type { CorrelationDelivery } from '../core/correlationBook';
import {
  CORRELATION_WORKFLOW,
  correlationBatchSignal,
  correlationSummaryQuery,
  correlationWorkflowId,
  type CorrelationBatch,
  type CorrelationWorkflow,
} from '../workflows/contracts/correlation';
import {
  approve,
  awaitingApprovalQuery,
  changeImpact,
  INCIDENT_WORKFLOW,
  type IncidentWorkflow,
  monitoringSignal,
  postUpdate,
  rejectMessage,
  resolveIncident,
  takeAlerts,
} from '../workflows/contracts/incident';
import {
  completeMaintenance,
  MAINTENANCE_WORKFLOW,
  type MaintenanceWorkflow,
  postMaintenanceUpdate,
  rescheduleMaintenance,
} from '../workflows/contracts/maintenance';
import { statusPageWorkflowId } from '../workflows/contracts/statusPage';
import { groupDelivery } from '../test/support/correlation';
import { startTestWorker } from '../test/support/herald';
import { eventually, testTemporal } from '../test/support/temporal';

// Records the histories of the lifecycles' main paths into test/replay/, where the replay test
// replays them against the current workflow code: a change that is not deterministic fails CI.
// Run it (`npm run replay:capture`) when a deliberate, versioned change makes new histories due;
// name the ones to record (`npm run replay:capture -- replay-incident-inline`) to keep the older
// files, which are what prove that histories from before a patch still replay.

const OUT = join(__dirname, '..', 'test', 'replay');

type IncidentStateView = { approvals: { decision: string }[] };

async function main() {
  const t = await testTemporal();
  const w = await startTestWorker(t);
  const taskQueue = w.config.temporal.taskQueue;
  const named = process.argv.slice(2);
  const want = (id: string) => named.length === 0 || named.includes(id);
  // Each file is named by the workflow id the replay runs it under.
  // (A page workflow's id carries the test's random page id; its workflow never reads its own id.)
  const save = async (workflowId: string, name = workflowId) => {
    const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
    writeFileSync(join(OUT, `${name}.json`), historyToJSON(history) + '\n');
    console.log(`saved test/replay/${name}.json (${history.events?.length} events)`);
  };
  try {
    // Incident: declare, approval, update with ETA, added component, monitoring resolved, resolve.
    if (want('replay-incident-main')) {
      const i = await t.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
        workflowId: 'replay-incident-main',
        taskQueue,
        args: [
          {
            title: 'Card payments failing',
            scenario: 'outage',
            severity: 'sev2',
            components: ['payments'],
            impact: 'Card payments are failing for some customers.',
            drill: false,
            declaredBy: 'alice',
            owner: 'bob',
            policy: incidentPolicy(w.plan, 'outage', { timeScale: 60 }),
          },
        ],
      });
      await i.executeUpdate(approve, { args: [{ by: 'carol' }] });
      const u = await i.executeUpdate(postUpdate, {
        args: [
          {
            status: 'identified',
            message: 'We found the cause.',
            eta: new Date(Date.now() + 600_000).toISOString(),
            by: 'alice',
          },
        ],
      });
      await i.executeUpdate(approve, { args: [{ by: 'carol', seq: u.seq }] });
      await i.executeUpdate(changeImpact, { args: [{ components: ['payments', 'invoicing'], by: 'alice' }] });
      await i.signal(monitoringSignal, {
        state: 'resolved',
        alert: { source: 'alertmanager', name: 'PaymentsDown', fingerprint: 'x' },
      });
      const r = await i.executeUpdate(resolveIncident, { args: [{ message: 'Card payments work again.', by: 'alice' }] });
      await i.executeUpdate(approve, { args: [{ by: 'carol', seq: r.seq }] });
      await i.result();
      await save(i.workflowId);
    }

    // Incident: missed cadence (holding + escalation) and approval timeout, then resolve.
    if (want('replay-incident-holding')) {
      const h = await t.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
        workflowId: 'replay-incident-holding',
        taskQueue,
        args: [
          {
            title: 'API errors',
            scenario: 'outage',
            severity: 'sev1',
            components: ['api'],
            impact: 'Some API requests fail.',
            drill: false,
            declaredBy: 'alice',
            policy: incidentPolicy(w.plan, 'outage', { timeScale: 900 }),
          },
        ],
      });
      await eventually(
        async () =>
          ((await h.query('state')) as { timeline: { kind: string }[] }).timeline.some((e) => e.kind === 'holding') || undefined,
        30_000,
        'a holding update',
      );
      const hr = await h.executeUpdate(resolveIncident, { args: [{ message: 'Resolved.', by: 'alice' }] });
      await h.executeUpdate(approve, { args: [{ by: 'carol', seq: hr.seq }] });
      await h.result();
      await save(h.workflowId);
    }

    // Incident without approvals: both audiences small enough to be told inline (no notify child),
    // then resolved; and the status page workflow that published it (publishes as local activities).
    if (want('replay-incident-inline')) {
      const d = await t.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
        workflowId: 'replay-incident-inline',
        taskQueue,
        args: [
          {
            title: 'Checkout is slow',
            scenario: 'degradation',
            severity: 'sev2',
            components: ['payments'],
            impact: 'Card payments take longer than usual.',
            drill: false,
            declaredBy: 'alice',
            policy: incidentPolicy(w.plan, 'degradation', { timeScale: 60 }),
          },
        ],
      });
      await eventually(
        async () =>
          ((await d.query('state')) as { deliveries: { report: unknown }[] }).deliveries.filter((x) => x.report).length === 2 ||
          undefined,
        30_000,
        'the inline initial rounds',
      );
      await d.executeUpdate(resolveIncident, { args: [{ message: 'Checkout is fast again.', by: 'alice' }] });
      await d.result();
      await save(d.workflowId);
      await save(statusPageWorkflowId(w.plan.page.id, false), 'replay-statuspage-local');
    }

    // Incident with ordered approvals: the first notice waits and an update folds into it (approved
    // as one message); monitoring waits for approval and times out to the plan's wording; an update
    // is rejected; a widening tells everyone; the resolution waits and is approved.
    // The same story under a second name records it on the path of a later patch (approval-decided-once).
    for (const workflowId of ['replay-incident-approvals', 'replay-incident-decided-once'].filter(want)) {
      const waitFor = (h: { query: (q: string) => Promise<unknown> }, what: string, ok: (s: IncidentStateView) => boolean) =>
        eventually(async () => ok((await h.query('state')) as IncidentStateView) || undefined, 30_000, what);
      const a = await t.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
        workflowId,
        taskQueue,
        args: [
          {
            title: 'Card payments failing',
            scenario: 'outage',
            severity: 'sev2',
            components: ['payments'],
            impact: 'Card payments are failing for some customers.',
            drill: false,
            declaredBy: 'alice',
            owner: 'bob',
            // approval timeout 10 min / 120 = 5 s; sev2 cadence 1 h / 120 = 30 s
            policy: incidentPolicy(w.plan, 'outage', { timeScale: 120 }),
          },
        ],
      });
      const identified = await a.executeUpdate(postUpdate, {
        args: [{ status: 'identified', message: 'We found the cause.', by: 'alice' }],
      });
      await a.executeUpdate(approve, { args: [{ by: 'carol', seq: identified.seq }] });
      await a.signal(monitoringSignal, {
        state: 'resolved',
        alert: { source: 'alertmanager', name: 'PaymentsDown', fingerprint: 'x' },
      });
      await waitFor(a, 'the monitoring update timed out', (s) => s.approvals.some((r) => r.decision === 'timed-out'));
      const words = await a.executeUpdate(postUpdate, {
        args: [{ status: 'monitoring', message: 'Fixed, we think.', by: 'alice' }],
      });
      await a.executeUpdate(rejectMessage, { args: [{ seq: words.seq, reason: 'Too vague.', by: 'carol' }] });
      await a.executeUpdate(changeImpact, { args: [{ components: ['invoicing'], by: 'alice' }] });
      const r = await a.executeUpdate(resolveIncident, { args: [{ message: 'Card payments work again.', by: 'alice' }] });
      await a.executeUpdate(approve, { args: [{ by: 'carol', seq: r.seq }] });
      await a.result();
      await save(a.workflowId);
    }

    // Incident opened by the alert router (as its child would be): alerts join quietly, one widens it,
    // all resolve (monitoring, told once), one fires again and resolves (a flap, told to nobody), an
    // operator takes it back to identified, resolves; it reports widening and closing to the router.
    if (want('replay-incident-correlated')) {
      const routerId = correlationWorkflowId(w.plan.page.id);
      await t.client.workflow.signalWithStart<CorrelationWorkflow, [CorrelationBatch]>(CORRELATION_WORKFLOW, {
        workflowId: routerId,
        taskQueue,
        args: [{ pageId: w.plan.page.id }],
        signal: correlationBatchSignal,
        signalArgs: [{ rule: correlationRule(w.plan), deliveries: [] }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      const alert = (fp: string, name = 'PaymentsDown') => ({ source: 'alertmanager', name, fingerprint: fp });
      const opened = alertIncidentInput(
        w.plan,
        { routed: { scenario: 'outage', severity: 'sev2', components: ['payments'] }, alert: alert('a'), source: 'alertmanager' },
        'http://status.example.test',
      );
      const c = await t.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
        workflowId: 'replay-incident-correlated',
        taskQueue,
        args: [{ ...opened, correlationId: routerId, policy: incidentPolicy(w.plan, 'outage', { timeScale: 60 }) }],
      });
      const approveWaiting = async () => {
        const waiting = await c.query(awaitingApprovalQuery);
        if (waiting) await c.executeUpdate(approve, { args: [{ by: 'carol', seq: waiting.seq }] });
      };
      const status = (want: string) =>
        eventually(async () => ((await c.query('state')) as { status: string }).status === want || undefined, 30_000, want);
      await approveWaiting();
      const take = (
        joined: ReturnType<typeof alert>[],
        total: number,
        firing: number,
        routed?: { components: string[]; severity: string },
      ) =>
        c.executeUpdate(takeAlerts, { args: [{ source: 'alertmanager', joined, total, firing, ...(routed ? { routed } : {}) }] });
      await take([alert('b'), alert('c', 'InvoicingDown')], 3, 3, { components: ['payments', 'invoicing'], severity: 'sev2' });
      await take([], 3, 0);
      await status('monitoring');
      await approveWaiting();
      await take([], 3, 1);
      await status('investigating');
      await take([], 3, 0);
      await status('monitoring');
      const back = await c.executeUpdate(postUpdate, {
        args: [{ status: 'identified', message: 'The fix did not hold; we are working on another.', by: 'alice' }],
      });
      await c.executeUpdate(approve, { args: [{ by: 'carol', seq: back.seq }] });
      const r = await c.executeUpdate(resolveIncident, { args: [{ message: 'Card payments work again.', by: 'alice' }] });
      await c.executeUpdate(approve, { args: [{ by: 'carol', seq: r.seq }] });
      await c.result();
      await save(c.workflowId);
      await t.client.workflow.getHandle(routerId).terminate('capture done');
    }

    // The alert router's first run: a storm of 30 groups in three batches opens one incident, they all
    // resolve, a resolution arrives before its firing (the firing opens nothing), the incident is resolved
    // and says so, a new alert opens a second incident; then it continues as new.
    if (want('replay-correlation')) {
      const routerId = 'replay-correlation';
      const rule = correlationRule(w.plan);
      const router = t.client.workflow.getHandle(routerId);
      let decided = 0;
      const send = async (deliveries: CorrelationDelivery[]) => {
        const h = await t.client.workflow.signalWithStart<CorrelationWorkflow, [CorrelationBatch]>(CORRELATION_WORKFLOW, {
          workflowId: routerId,
          taskQueue,
          args: [{ pageId: w.plan.page.id, continueAsNewAfterSteps: 16 }],
          signal: correlationBatchSignal,
          signalArgs: [{ rule, deliveries }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        decided += deliveries.length;
        await eventually(
          async () => {
            const s = await router.query(correlationSummaryQuery);
            return s.counts.deliveries >= decided && s.queued === 0 && s.sending === 0 ? s : undefined;
          },
          60_000,
          `the router to decide ${decided} deliveries`,
        );
        return h.signaledRunId;
      };
      const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
      const groups = Array.from({ length: 30 }, (_, i) => `storm-${i}`);
      const firstRun = await send(groups.slice(0, 10).map((g) => groupDelivery(w.plan, g, 'api')));
      await send(groups.slice(10, 20).map((g) => groupDelivery(w.plan, g, 'api')));
      await send(groups.slice(20).map((g) => groupDelivery(w.plan, g, 'api')));
      await send(groups.map((g) => groupDelivery(w.plan, g, 'api', [{ fp: g, status: 'resolved', endsAt: ago(500) }])));
      const late = { fp: 'late', startsAt: ago(60_000) };
      await send([groupDelivery(w.plan, 'late', 'invoicing', [{ ...late, status: 'resolved', endsAt: ago(30_000) }])]);
      await send([groupDelivery(w.plan, 'late', 'invoicing', [late])]);
      const [first] = (await router.query(correlationSummaryQuery)).incidents;
      await t.client.workflow
        .getHandle(first!.id)
        .executeUpdate(resolveIncident, { args: [{ message: 'The API works again.', by: 'alice' }] });
      await eventually(
        async () =>
          (await router.query(correlationSummaryQuery)).incidents.find((i) => i.id === first!.id)?.closedAtMs || undefined,
        30_000,
        'the incident to tell the router it closed',
      );
      await send([groupDelivery(w.plan, 'after', 'api')]);
      for (let i = 0; i < 20 && (await router.query(correlationSummaryQuery)).runs < 2; i++) await send([]);
      const history = await t.client.workflow.getHandle(routerId, firstRun).fetchHistory();
      writeFileSync(join(OUT, `${routerId}.json`), historyToJSON(history) + '\n');
      console.log(`saved test/replay/${routerId}.json (first run, ${history.events?.length} events)`);
      await router.terminate('capture done');
    }

    // Incident whose rounds are told inline while the main loop's timer waits: quiet monitoring
    // reminds staff (outage: no auto-resolve; 30 min / 900 = 2 s), monitoring fires again, resolved
    // (the resolution's approval times out after 10 min / 900 = 0.7 s).
    if (want('replay-incident-reminder')) {
      const q = await t.client.workflow.start<IncidentWorkflow>(INCIDENT_WORKFLOW, {
        workflowId: 'replay-incident-reminder',
        taskQueue,
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
      const alert = { source: 'alertmanager', name: 'PaymentsDown', fingerprint: 'q' };
      await q.signal(monitoringSignal, { state: 'resolved', alert });
      await eventually(
        async () =>
          ((await q.query('state')) as { timeline: { kind: string }[] }).timeline.some((e) => e.kind === 'reminder') || undefined,
        30_000,
        'a reminder',
      );
      await q.signal(monitoringSignal, { state: 'firing', alert });
      await eventually(
        async () => ((await q.query('state')) as { status: string }).status === 'investigating' || undefined,
        30_000,
        'back to investigating',
      );
      await q.executeUpdate(resolveIncident, { args: [{ message: 'Card payments work again.', by: 'alice' }] });
      await q.result();
      await save(q.workflowId);
    }

    // Maintenance: announce, reminders, reschedule, start, update, complete (the same story again
    // under a second name, to record it on the path of a later patch and keep the first).
    for (const workflowId of ['replay-maintenance-main', 'replay-maintenance-timer'].filter(want)) {
      const scale = 18_000;
      const hour = 3_600_000 / scale;
      const start = Date.now() + 30 * hour;
      const m = await t.client.workflow.start<MaintenanceWorkflow>(MAINTENANCE_WORKFLOW, {
        workflowId,
        taskQueue,
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
            policy: maintenancePolicy(w.plan, 'maintenance', { timeScale: scale }),
          },
        ],
      });
      const later = start + 5 * hour;
      await m.executeUpdate(rescheduleMaintenance, {
        args: [
          { scheduledFor: new Date(later).toISOString(), scheduledUntil: new Date(later + 10 * hour).toISOString(), by: 'alice' },
        ],
      });
      await eventually(
        async () => ((await m.query('state')) as { status: string }).status === 'in_progress' || undefined,
        30_000,
        'the start',
      );
      await m.executeUpdate(postMaintenanceUpdate, { args: [{ message: 'Half done.', by: 'alice' }] });
      await m.executeUpdate(completeMaintenance, { args: [{ by: 'alice' }] });
      await m.result();
      await save(m.workflowId);
    }
  } finally {
    await w.stop();
    await t.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
