import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  cancelMaintenance,
  completeMaintenance,
  maintenanceStateQuery,
  postMaintenanceUpdate,
  rescheduleMaintenance,
  type MaintenanceInput,
  type MaintenanceState,
  type MaintenanceWorkflow,
} from './contracts/maintenance';
import { LoopTimer, markLifecycleStart, refreshLifecycleAttributes, shouldContinueAsNew } from './lifecycle';
import { MaintenancePublications } from './maintenance/publication';
import { initialMaintenanceState, MaintenanceStateMachine } from './maintenance/state';
import { validateCancel, validateComplete, validateNote, validateReschedule } from './maintenance/validators';
import type { RoundTracker } from './rounds';

// One planned maintenance window. The story: announce at creation; remind at the plan's offsets
// before the start; at the start mark the components under maintenance; post progress; complete.
// A reschedule re-times every reminder and says so; a cancel withdraws them and says so; a window
// whose end passes without completion is extended by the plan's overrun step, and customers hear
// the new end.
//
// The transitions and the window's clock live in maintenance/state.ts, how each phase reaches the
// page and the audiences in maintenance/publication.ts, the update validators in maintenance/validators.ts.

export async function maintenance(input: MaintenanceInput, carried?: MaintenanceState): Promise<MaintenanceState> {
  const policy = input.policy;
  const state = carried ?? initialMaintenanceState(input, workflowInfo().workflowId, new Date().toISOString());
  if (carried) state.runs += 1;
  const tracker: RoundTracker = { inFlight: 0, deliveries: state.deliveries };
  const refreshSearchAttributes = () => refreshLifecycleAttributes({ status: state.status });
  const machine: MaintenanceStateMachine = new MaintenanceStateMachine(state, policy, () => Date.now(), {
    publish: (p) => publications.publish(p),
    refreshSearchAttributes,
  });
  const publications = new MaintenancePublications(machine, tracker);

  // The announcement is made before any handler exists, so an update arriving with the start comes after it.
  if (!carried) {
    markLifecycleStart('maintenance', state.drill, state.components);
    refreshSearchAttributes();
    machine.announce(input.declaredBy);
  }

  setHandler(maintenanceStateQuery, () => state);
  setHandler(rescheduleMaintenance, (r) => machine.reschedule(r), {
    validator: (r) => validateReschedule(state, policy, r, Date.now()),
  });
  setHandler(cancelMaintenance, (c) => machine.cancel(c), { validator: (c) => validateCancel(state, policy, c) });
  setHandler(postMaintenanceUpdate, (u) => machine.note(u), { validator: (u) => validateNote(state, policy, u) });
  setHandler(completeMaintenance, (c) => machine.complete(c), { validator: (c) => validateComplete(state, policy, c) });

  const timer = new LoopTimer();
  while (!machine.isFinished()) {
    if (shouldContinueAsNew(policy.continueAsNewAfterEvents)) break;
    const seen = machine.changes;
    const next = machine.nextEvent();
    const due = (await timer.wait(next.at, () => machine.changes !== seen || machine.isFinished())) === false;
    if (!due || machine.isFinished()) continue;
    next.run();
  }
  timer.stop();

  await condition(() => publications.idle() && allHandlersFinished());
  if (!machine.isFinished()) await continueAsNew<MaintenanceWorkflow>(input, state);
  return state;
}
