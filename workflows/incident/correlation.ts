import { getExternalWorkflowHandle, patched, setHandler } from '@temporalio/workflow';
import { correlationWorkflowId, incidentChangedSignal } from '../contracts/correlation';
import { takeAlerts, type IncidentInput, type IncidentState } from '../contracts/incident';
import { INCIDENT_REPORTS_TO_ROUTER } from '../patches';
import type { IncidentStateMachine } from './state';
import { validateTakeAlerts } from './validators';

// The incident's side of alert correlation (workflows/correlation.ts): it takes the alert router's
// news through an Update (refused once resolved, so the router decides those alerts again), and tells
// the router what the router cannot see: that an operator declared it, widened it, changed its
// severity, or resolved it.

export function registerAlertHandler(machine: IncidentStateMachine, state: IncidentState): void {
  setHandler(
    takeAlerts,
    (a) => {
      machine.onAlerts(a);
      return { taken: true as const };
    },
    { validator: (a) => validateTakeAlerts(state, a) },
  );
}

/** The router to tell (a drill's own router, or the page's), or none. */
function routerOf(input: IncidentInput): string | undefined {
  return input.correlationId ?? (input.drill ? undefined : correlationWorkflowId(input.policy.pageId));
}

/**
 * What the incident tells its router when its components, severity or state change (the
 * correlationChanged effect), and once at the start of a declared incident (alerts then join it even
 * if the API could not register it). A router that is not running is no one to tell.
 */
export function routerReports(input: IncidentInput, state: IncidentState): { onStart(): void; changed(): void } {
  const router = routerOf(input);
  const tell = () => {
    if (!router || !patched(INCIDENT_REPORTS_TO_ROUTER)) return;
    const closed = state.status === 'resolved' || state.status === 'postmortem';
    void getExternalWorkflowHandle(router)
      .signal(incidentChangedSignal, {
        incidentId: state.id,
        scenario: state.scenario,
        severity: state.severity,
        components: [...state.components],
        closed,
      })
      .catch(() => undefined);
  };
  return {
    onStart: () => {
      if (!input.alert) tell();
    },
    changed: tell,
  };
}
