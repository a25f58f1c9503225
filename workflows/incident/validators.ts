import { INCIDENT_STATUSES } from '../../core/incidentStatus';
import { MESSAGE_MAX } from '../../core/textLimits';
import type { IncidentPolicy } from '../../core/policy';
import type { ApproveInput, ChangeImpactInput, IncidentState, PostUpdateInput, ResolveInput } from '../contracts/incident';
import { guardOrThrow, requireBy } from '../validation';
import { STATUS_ORDER } from './state';

// The incident's update validators: what only the running state knows (status order, pending
// approvals, the plan's components and severities, the content guard). The API checked shape and
// bounds with the same limits (core/textLimits.ts) before. Pure; a throw refuses the update and
// nothing is written to history.

const isClosed = (s: IncidentState) => s.status === 'resolved' || s.status === 'postmortem';

function requireOpen(state: IncidentState): void {
  if (isClosed(state)) throw new Error(`the incident is already ${state.status}`);
}

function validateComponents(policy: IncidentPolicy, components: string[]): void {
  const unknown = components.filter((c) => !policy.componentIds.includes(c));
  if (unknown.length > 0)
    throw new Error(`components: unknown component${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')}`);
}

export function validatePostUpdate(state: IncidentState, policy: IncidentPolicy, u: PostUpdateInput, nowMs: number): void {
  requireOpen(state);
  requireBy(u.by, 'who posts the update');
  if (!INCIDENT_STATUSES.includes(u.status)) throw new Error(`status: must be one of ${INCIDENT_STATUSES.join(', ')}`);
  if (u.status === 'resolved' || u.status === 'postmortem') throw new Error('status: use resolve to resolve the incident');
  if (STATUS_ORDER[u.status] < STATUS_ORDER[state.status])
    throw new Error(`status: cannot go back from ${state.status} to ${u.status}`);
  if (!u.message?.trim()) throw new Error('message: an update needs words for customers');
  if (u.message.length > MESSAGE_MAX) throw new Error(`message: at most ${MESSAGE_MAX} characters`);
  guardOrThrow('message', u.message, policy.guard);
  if (u.eta !== undefined && u.eta !== null) {
    const eta = Date.parse(u.eta);
    if (Number.isNaN(eta)) throw new Error('eta: not a date-time');
    if (eta <= nowMs) throw new Error('eta: the ETA is in the past');
  }
  if (u.components) validateComponents(policy, u.components);
}

export function validateChangeImpact(state: IncidentState, policy: IncidentPolicy, c: ChangeImpactInput): void {
  requireOpen(state);
  requireBy(c.by, 'who is changing the impact');
  if (c.severity !== undefined && !policy.severities[c.severity]) throw new Error(`severity: unknown severity "${c.severity}"`);
  if (c.components) validateComponents(policy, c.components);
  if (c.componentStatuses) validateComponents(policy, Object.keys(c.componentStatuses));
  if (c.impact !== undefined) guardOrThrow('impact', c.impact, policy.guard);
  if (c.severity === undefined && !c.components && !c.componentStatuses && c.impact === undefined)
    throw new Error('nothing to change: give severity, components, componentStatuses or impact');
}

export function validateApprove(pending: number[], a: ApproveInput): void {
  requireBy(a.by, 'who approves');
  if (pending.length === 0) throw new Error('nothing is waiting for approval');
  if (a.seq !== undefined && !pending.includes(a.seq))
    throw new Error(`seq: publication ${a.seq} is not waiting for approval (pending: ${pending.join(', ')})`);
}

export function validateResolve(state: IncidentState, policy: IncidentPolicy, r: ResolveInput): void {
  requireOpen(state);
  requireBy(r.by, 'who resolves');
  if (!r.message?.trim()) throw new Error('message: a resolution message is required');
  guardOrThrow('message', r.message, policy.guard);
}
