import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { DrillReport } from '../core/drill';
import { parseDuration } from '../core/duration';
import type { IncidentPolicy, MaintenancePolicy } from '../core/policy';
import { HeraldDrill, HeraldKind, HeraldStatus } from '../core/searchAttributes';
import type { HeraldActivities } from '../activities';
import {
  drillProgressQuery,
  drillTargetWorkflowId,
  type DrillAction,
  type DrillInput,
  type DrillProgress,
} from './contracts/drill';
import { INCIDENT_WORKFLOW, monitoringSignal, type IncidentState, type IncidentWorkflow } from './contracts/incident';
import { MAINTENANCE_WORKFLOW, type MaintenanceState, type MaintenanceWorkflow } from './contracts/maintenance';
import { evaluateDrill } from './drillChecks';
import { fireStorm, waitForIncident, type DrillStorm } from './drillStorm';

// A drill replays a scenario's timeline through the real incident or maintenance workflow in
// drill mode: time divided by the time scale, messages to the plan's sandbox audience only, the
// status page published to the drill target. Operator steps go through the same Updates operators
// use. Then it checks what happened against the plan and writes a report.

const acts = proxyActivities<HeraldActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } });

export async function drill(input: DrillInput): Promise<DrillReport> {
  const drillId = input.drillId ?? workflowInfo().workflowId;
  const targetId = drillTargetWorkflowId(input.kind, drillId);
  const scale = input.timeScale;
  const startedAtMs = Date.now();
  const steps = [...input.timeline].sort((a, b) => parseDuration(a.at) - parseDuration(b.at));
  const progress: DrillProgress = {
    drillId,
    scenario: input.scenario,
    step: 0,
    steps: steps.length,
    phase: 'running',
    targetId,
    log: [],
    passed: null,
  };
  setHandler(drillProgressQuery, () => progress);
  upsertSearchAttributes([
    { key: HeraldKind, value: 'drill' },
    { key: HeraldDrill, value: true },
    { key: HeraldStatus, value: 'running' },
  ]);

  const at = (offset: string) => new Date(startedAtMs + parseDuration(offset) / scale).toISOString();
  const log = (line: string) => void progress.log.push(`${new Date().toISOString()} ${line}`);
  const approving = !input.inject.includes('approval-never');
  let target: ChildWorkflowHandle<IncidentWorkflow> | ChildWorkflowHandle<MaintenanceWorkflow> | undefined;
  let finalState: IncidentState | MaintenanceState | undefined;
  let storm: DrillStorm | undefined;
  let stormIncidents = 0;

  const act = async (action: DrillAction) => {
    const r = await acts.drillAct({ workflowId: targetId, action });
    log(r.ok ? `${action.kind}: ok` : r.detail);
  };
  const approveIfWanted = async () => {
    if (approving && input.kind === 'incident') await act({ kind: 'approve' });
  };

  for (const step of steps) {
    const due = startedAtMs + parseDuration(step.at) / scale;
    if (due > Date.now()) await sleep(due - Date.now());
    progress.step += 1;
    switch (step.action) {
      case 'fire': {
        const policy = input.policy as IncidentPolicy;
        if (input.storm) {
          // The incident is opened by a storm of alert groups through the drill's own alert router.
          storm = await fireStorm({
            drillId,
            targetId,
            step,
            scenario: input.scenario,
            title: `Drill: ${input.scenarioName}`,
            policy,
            storm: input.storm,
          });
          const opened = await waitForIncident(targetId);
          log(
            `fire: a storm of ${input.storm.alerts} alert groups ${opened ? `opened ${targetId}` : 'opened no incident in a minute'}`,
          );
          await approveIfWanted();
          break;
        }
        target = await startChild<IncidentWorkflow>(INCIDENT_WORKFLOW, {
          workflowId: targetId,
          args: [
            {
              title: `Drill: ${input.scenarioName}`,
              scenario: input.scenario,
              severity: step.severity ?? Object.keys(policy.severities)[0]!,
              components: step.components,
              impact: step.impact,
              drill: true,
              declaredBy: 'drill',
              alert: { source: 'drill', name: step.alert, labels: {} },
              policy,
            },
          ],
          typedSearchAttributes: [
            { key: HeraldKind, value: 'incident' },
            { key: HeraldDrill, value: true },
          ],
        });
        log(`fire: ${step.alert} opened ${targetId}`);
        await approveIfWanted();
        break;
      }
      case 'schedule': {
        const start = Date.now() + parseDuration(step.startsIn) / scale;
        target = await startChild<MaintenanceWorkflow>(MAINTENANCE_WORKFLOW, {
          workflowId: targetId,
          args: [
            {
              title: step.title,
              scenario: input.scenario,
              components: step.components,
              scheduledFor: new Date(start).toISOString(),
              scheduledUntil: new Date(start + parseDuration(step.lasts) / scale).toISOString(),
              message: step.message,
              drill: true,
              declaredBy: 'drill',
              policy: input.policy as MaintenancePolicy,
            },
          ],
          typedSearchAttributes: [
            { key: HeraldKind, value: 'maintenance' },
            { key: HeraldDrill, value: true },
          ],
        });
        log(`schedule: ${targetId}`);
        break;
      }
      case 'update':
        await act({ kind: 'update', status: step.status, message: step.message, ...(step.eta ? { eta: at(step.eta) } : {}) });
        await approveIfWanted();
        break;
      case 'resolve':
        await act({ kind: 'resolve', message: step.message });
        await approveIfWanted();
        break;
      case 'monitoring':
        await getExternalWorkflowHandle(targetId).signal(monitoringSignal, {
          state: step.state,
          alert: { source: 'drill', name: 'drill-alert', fingerprint: drillId },
        });
        log(`monitoring: ${step.state}`);
        break;
      case 'impact':
        await act({ kind: 'impact', components: step.components, severity: step.severity });
        break;
      case 'reschedule': {
        const start = Date.now() + parseDuration(step.startsIn) / scale;
        await act({
          kind: 'reschedule',
          scheduledFor: new Date(start).toISOString(),
          scheduledUntil: new Date(start + parseDuration(step.lasts) / scale).toISOString(),
        });
        break;
      }
      case 'maintenance-update':
        await act({ kind: 'maintenance-update', message: step.message });
        break;
      case 'complete':
        await act({ kind: 'complete' });
        break;
      case 'cancel':
        await act({ kind: 'cancel' });
        break;
    }
  }
  if (!target && !storm)
    throw ApplicationFailure.nonRetryable(
      'the drill timeline never opens an incident or schedules a maintenance',
      'InvalidDrill',
    );

  // The lifecycle finishes on its own (auto-resolve, holding updates, last rounds); give it a bounded while.
  progress.phase = 'waiting-for-lifecycle';
  const lastStepMs = parseDuration(steps.at(-1)!.at) / scale;
  const graceMs = Math.max(30_000, lastStepMs * 2);
  let unfinished: string | undefined;
  const result = storm
    ? storm.result.then((r) => {
        stormIncidents = r.incidents;
        return r.final;
      })
    : (target!.result() as Promise<IncidentState | MaintenanceState>);
  void result
    .then((s) => void (finalState = s))
    .catch((err: Error) => void (unfinished = `the lifecycle failed: ${err.message}`));
  const finished = await condition(() => finalState !== undefined || unfinished !== undefined, graceMs);
  if (!finished) unfinished = `the lifecycle had not finished ${Math.round(graceMs / 1000)} s after the last step`;
  const state =
    finalState ?? ((await acts.drillTargetState({ workflowId: targetId, kind: input.kind })) as IncidentState | MaintenanceState);

  progress.phase = 'checking';
  const channels = [...new Set(input.policy.audiences.flatMap((a) => a.channels))];
  const [rendered, regions] = await Promise.all([
    acts.drillCheckTemplates({ scenario: input.scenario, audiences: input.audiences, inject: input.inject }),
    acts.drillProbeProviders({ channels, inject: input.inject }),
  ]);
  const byRecipient = storm
    ? await acts.drillNoticesPerRecipient({
        rounds: state.deliveries.map((d) => ({ roundId: d.roundId, phase: d.phase, standsFor: d.standsFor })),
        initialPhase: 'initial',
      })
    : undefined;
  const finishedAtMs = Date.now();
  const evaluated = evaluateDrill({
    kind: input.kind,
    ...(input.kind === 'incident' ? { incident: state as IncidentState } : { maintenance: state as MaintenanceState }),
    policy: input.policy,
    timeline: steps,
    startedAtMs,
    finishedAtMs,
    unfinished,
    activityChecks: { templates: rendered.templates, guard: rendered.guard, regions },
    renderedByLocale: rendered.renderedByLocale,
    ...(storm && byRecipient ? { storm: { alerts: input.storm!.alerts, incidents: stormIncidents, byRecipient } } : {}),
  });
  const report: DrillReport = {
    drillId,
    scenario: input.scenario,
    kind: input.kind,
    timeScale: scale,
    inject: input.inject,
    startedAt: new Date(startedAtMs).toISOString(),
    finishedAt: new Date(finishedAtMs).toISOString(),
    passed: evaluated.checks.every((c) => c.passed),
    checks: evaluated.checks,
    counts: evaluated.counts,
    latencies: { initialNoticeMs: evaluated.initialNoticeMs, drillMs: finishedAtMs - startedAtMs },
    targetId,
  };
  report.reportFiles = await acts.writeDrillReport(report);
  progress.phase = 'done';
  progress.passed = report.passed;
  upsertSearchAttributes([{ key: HeraldStatus, value: report.passed ? 'passed' : 'failed' }]);
  return report;
}
