import { allHandlersFinished, condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  approve,
  awaitingApprovalQuery,
  changeImpact,
  incidentStateQuery,
  monitoringSignal,
  postUpdate,
  rejectMessage,
  resolveIncident,
  type IncidentInput,
  type IncidentState,
  type IncidentWorkflow,
} from './contracts/incident';
import { registerAlertHandler, routerReports } from './incident/correlation';
import { IncidentPublications } from './incident/publication';
import { IncidentStateMachine, initialIncidentState } from './incident/state';
import { validateChangeImpact, validatePostUpdate, validateResolve } from './incident/validators';
import { LoopTimer, markLifecycleStart, refreshLifecycleAttributes, shouldContinueAsNew } from './lifecycle';
import { WIDENING_TELLS } from './patches';
import type { RoundTracker } from './rounds';

// One outage, degradation or regional failover, from the first notice to the resolution. The story:
// announce; then, until resolved, publish what operators post, and when they go quiet past the
// cadence publish the plan's holding update and escalate; tell customers honestly when the ETA
// passes; follow monitoring to `monitoring` and, after a quiet period, resolve or remind; announce
// the resolution on every channel that carried the incident.
//
// The transitions live in incident/state.ts, how each publication reaches people and the page in
// incident/publication.ts, the update validators in incident/validators.ts.

export async function incident(input: IncidentInput, carried?: IncidentState): Promise<IncidentState> {
  const policy = input.policy;
  const state = carried ?? initialIncidentState(input, workflowInfo().workflowId, new Date().toISOString());
  if (carried) state.runs += 1;
  const tracker: RoundTracker = { inFlight: 0, deliveries: state.deliveries };
  const reports = routerReports(input, state);
  const refreshSearchAttributes = () =>
    refreshLifecycleAttributes({ severity: state.severity, status: state.status, components: state.components });
  const machine: IncidentStateMachine = new IncidentStateMachine(
    state,
    policy,
    () => Date.now(),
    {
      publish: (p) => publications.publish(p),
      sendPage: () => void publications.sendPage(),
      refreshSearchAttributes,
      correlationChanged: reports.changed,
    },
    { wideningTells: patched(WIDENING_TELLS) },
  );
  const publications = new IncidentPublications(machine, tracker);
  const continueAsNewDue = () => shouldContinueAsNew(policy.continueAsNewAfterEvents);

  // The first notice is registered before any handler, so an approval arriving with the start finds it.
  if (!carried) {
    markLifecycleStart('incident', state.drill);
    refreshSearchAttributes();
    machine.declare(input);
    reports.onStart();
  } else {
    machine.scheduleNextUpdate();
  }

  // --- messages -------------------------------------------------------------------------------
  setHandler(incidentStateQuery, () => ({ ...state, awaitingApproval: publications.awaiting() }));
  setHandler(awaitingApprovalQuery, () => publications.awaiting());

  setHandler(postUpdate, async (u) => result(machine.postUpdate(u)), {
    validator: (u) => validatePostUpdate(state, policy, u, Date.now()),
  });

  setHandler(changeImpact, async (c) => result(machine.changeImpact(c)), {
    validator: (c) => validateChangeImpact(state, policy, c),
  });

  setHandler(approve, (a) => publications.approve(a), {
    validator: (a) => publications.checkApprove(a),
  });

  setHandler(rejectMessage, (r) => publications.reject(r), {
    validator: (r) => publications.checkReject(r),
  });

  setHandler(resolveIncident, async (r) => result(machine.resolve(r.message, r.by, r.reviewUrl)), {
    validator: (r) => validateResolve(state, policy, r),
  });

  setHandler(monitoringSignal, (m) => machine.onMonitoring(m));
  registerAlertHandler(machine, state);

  // --- the story ------------------------------------------------------------------------------
  const timer = new LoopTimer();
  while (!machine.isClosed()) {
    if (continueAsNewDue()) break;
    const seen = machine.changes;
    const at = machine.nextTimerAt();
    const due =
      (await timer.wait(at, () => machine.changes !== seen || machine.isClosed() || (at === undefined && continueAsNewDue()))) ===
      false;
    if (!due || machine.isClosed()) continue;
    machine.onTimersDue();
  }
  timer.stop();

  if (!machine.isClosed()) {
    // Continue-as-new at a quiet point: no publication or round of this run still running.
    await condition(() => publications.idle() && allHandlersFinished());
    await continueAsNew<IncidentWorkflow>(input, state);
  }
  await condition(() => publications.idle() && allHandlersFinished());
  refreshSearchAttributes();
  return state;

  function result(seq: number) {
    return machine.result(seq, publications.isPending(seq));
  }
}
