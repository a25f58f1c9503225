import { condition, defineQuery, defineUpdate, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { IncidentStatus } from '../core/incident';
import { HeraldComponents, HeraldDrill, HeraldKind, HeraldSeverity, HeraldStatus } from '../core/searchAttributes';

export interface IncidentInput {
  title: string;
  scenario: string;
  severity: string;
  components: string[];
  impact: string;
  eta?: string;
  owner?: string;
  technicalDetail?: string;
  drill: boolean;
  declaredBy: string;
}

export interface TimelineEntry {
  at: string;
  status: IncidentStatus;
  message: string;
  by: string;
}

export interface IncidentState {
  id: string;
  title: string;
  scenario: string;
  severity: string;
  status: IncidentStatus;
  components: string[];
  impact: string;
  eta: string | null;
  owner: string | null;
  drill: boolean;
  startedAt: string;
  resolvedAt: string | null;
  timeline: TimelineEntry[];
}

export const incidentStateQuery = defineQuery<IncidentState>('state');
export const resolveIncidentUpdate = defineUpdate<IncidentState, [{ message: string; by: string }]>('resolve');

export async function incident(input: IncidentInput): Promise<IncidentState> {
  const now = () => new Date().toISOString();
  const state: IncidentState = {
    id: workflowInfo().workflowId,
    title: input.title,
    scenario: input.scenario,
    severity: input.severity,
    status: 'investigating',
    components: [...input.components],
    impact: input.impact,
    eta: input.eta ?? null,
    owner: input.owner ?? null,
    drill: input.drill,
    startedAt: now(),
    resolvedAt: null,
    timeline: [{ at: now(), status: 'investigating', message: input.impact, by: input.declaredBy }],
  };

  setHandler(incidentStateQuery, () => state);
  setHandler(
    resolveIncidentUpdate,
    ({ message, by }) => {
      state.status = 'resolved';
      state.resolvedAt = now();
      state.timeline.push({ at: state.resolvedAt, status: 'resolved', message, by });
      return state;
    },
    {
      validator: ({ message }) => {
        if (state.status === 'resolved') throw new Error('the incident is already resolved');
        if (!message?.trim()) throw new Error('a resolution message is required');
      },
    },
  );

  upsertSearchAttributes([
    { key: HeraldKind, value: 'incident' },
    { key: HeraldSeverity, value: state.severity },
    { key: HeraldStatus, value: state.status },
    { key: HeraldComponents, value: state.components },
    { key: HeraldDrill, value: state.drill },
  ]);

  await condition(() => state.status === 'resolved');
  upsertSearchAttributes([{ key: HeraldStatus, value: state.status }]);
  return state;
}
