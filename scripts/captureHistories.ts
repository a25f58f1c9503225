import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { incidentPolicy, maintenancePolicy } from '../core/policy';
import { approve, changeImpact, incident, monitoringSignal, postUpdate, resolveIncident } from '../workflows/incident';
import { completeMaintenance, maintenance, postMaintenanceUpdate, rescheduleMaintenance } from '../workflows/maintenance';
import { startTestWorker } from '../test/support/herald';
import { eventually, testTemporal } from '../test/support/temporal';

// Records the histories of the lifecycles' main paths into test/replay/, where the replay test
// replays them against the current workflow code: a change that is not deterministic fails CI.
// Run it (`npm run replay:capture`) when a deliberate, versioned change makes new histories due.

const OUT = join(__dirname, '..', 'test', 'replay');

async function main() {
  const t = await testTemporal();
  const w = await startTestWorker(t);
  const taskQueue = w.config.temporal.taskQueue;
  // Each file is named by its workflow id: replay needs the id the history ran under.
  const save = async (workflowId: string) => {
    const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
    writeFileSync(join(OUT, `${workflowId}.json`), historyToJSON(history) + '\n');
    console.log(`saved test/replay/${workflowId}.json (${history.events?.length} events)`);
  };
  try {
    // Incident: declare, approval, update with ETA, added component, monitoring resolved, resolve.
    const i = await t.client.workflow.start(incident, {
      workflowId: 'replay-incident-main',
      taskQueue,
      args: [{ title: 'Card payments failing', scenario: 'outage', severity: 'sev2', components: ['payments'], impact: 'Card payments are failing for some customers.', drill: false, declaredBy: 'alice', owner: 'bob', policy: incidentPolicy(w.plan, 'outage', { timeScale: 60 }) }],
    });
    await i.executeUpdate(approve, { args: [{ by: 'carol' }] });
    const u = await i.executeUpdate(postUpdate, { args: [{ status: 'identified', message: 'We found the cause.', eta: new Date(Date.now() + 600_000).toISOString(), by: 'alice' }] });
    await i.executeUpdate(approve, { args: [{ by: 'carol', seq: u.seq }] });
    await i.executeUpdate(changeImpact, { args: [{ components: ['payments', 'invoicing'], by: 'alice' }] });
    await i.signal(monitoringSignal, { state: 'resolved', alert: { source: 'alertmanager', name: 'PaymentsDown', fingerprint: 'x' } });
    const r = await i.executeUpdate(resolveIncident, { args: [{ message: 'Card payments work again.', by: 'alice' }] });
    await i.executeUpdate(approve, { args: [{ by: 'carol', seq: r.seq }] });
    await i.result();
    await save(i.workflowId);

    // Incident: missed cadence (holding + escalation) and approval timeout, then resolve.
    const h = await t.client.workflow.start(incident, {
      workflowId: 'replay-incident-holding',
      taskQueue,
      args: [{ title: 'API errors', scenario: 'outage', severity: 'sev1', components: ['api'], impact: 'Some API requests fail.', drill: false, declaredBy: 'alice', policy: incidentPolicy(w.plan, 'outage', { timeScale: 900 }) }],
    });
    await eventually(async () => ((await h.query('state')) as { timeline: { kind: string }[] }).timeline.some((e) => e.kind === 'holding') || undefined, 30_000, 'a holding update');
    const hr = await h.executeUpdate(resolveIncident, { args: [{ message: 'Resolved.', by: 'alice' }] });
    await h.executeUpdate(approve, { args: [{ by: 'carol', seq: hr.seq }] });
    await h.result();
    await save(h.workflowId);

    // Maintenance: announce, reminders, reschedule, start, update, complete.
    const scale = 18_000;
    const hour = 3_600_000 / scale;
    const start = Date.now() + 30 * hour;
    const m = await t.client.workflow.start(maintenance, {
      workflowId: 'replay-maintenance-main',
      taskQueue,
      args: [{ title: 'Database upgrade', scenario: 'maintenance', components: ['payments'], scheduledFor: new Date(start).toISOString(), scheduledUntil: new Date(start + 10 * hour).toISOString(), message: 'Payments will be unavailable during the upgrade.', drill: false, declaredBy: 'alice', policy: maintenancePolicy(w.plan, 'maintenance', { timeScale: scale }) }],
    });
    const later = start + 5 * hour;
    await m.executeUpdate(rescheduleMaintenance, { args: [{ scheduledFor: new Date(later).toISOString(), scheduledUntil: new Date(later + 10 * hour).toISOString(), by: 'alice' }] });
    await eventually(async () => ((await m.query('state')) as { status: string }).status === 'in_progress' || undefined, 30_000, 'the start');
    await m.executeUpdate(postMaintenanceUpdate, { args: [{ message: 'Half done.', by: 'alice' }] });
    await m.executeUpdate(completeMaintenance, { args: [{ by: 'alice' }] });
    await m.result();
    await save(m.workflowId);
  } finally {
    await w.stop();
    await t.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
