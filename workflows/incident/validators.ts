import { INCIDENT_STATUSES } from '../../core/incidentStatus';
import type { IncidentPolicy } from '../../core/policy';
import type {
  ApproveInput,
  AwaitingApproval,
  ChangeImpactInput,
  IncidentState,
  PostUpdateInput,
  RejectInput,
  ResolveInput,
} from '../contracts/incident';
import { beyondHorizon } from '../../core/horizon';
import { own } from '../../core/own';
import { guardOrThrow, requireBy, requireWords } from '../validation';
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
  // The one step back: from monitoring to identified, when the fix did not hold.
  const backToIdentified = state.status === 'monitoring' && u.status === 'identified';
  if (STATUS_ORDER[u.status] < STATUS_ORDER[state.status] && !backToIdentified)
    throw new Error(`status: cannot go back from ${state.status} to ${u.status}`);
  requireWords('message', u.message, 'an update needs words for customers');
  guardOrThrow('message', u.message, policy.guard);
  if (u.eta !== undefined && u.eta !== null) {
    const eta = Date.parse(u.eta);
    if (Number.isNaN(eta)) throw new Error('eta: not a date-time');
    if (eta <= nowMs) throw new Error('eta: the ETA is in the past');
    const far = beyondHorizon(u.eta, nowMs, policy.horizonMs);
    if (far) throw new Error(`eta: ${far}`);
  }
  if (u.components) validateComponents(policy, u.components);
}

export function validateChangeImpact(state: IncidentState, policy: IncidentPolicy, c: ChangeImpactInput): void {
  requireOpen(state);
  requireBy(c.by, 'who is changing the impact');
  if (c.severity !== undefined && !own(policy.severities, c.severity))
    throw new Error(`severity: unknown severity "${c.severity}"`);
  if (c.components) validateComponents(policy, c.components);
  if (c.componentStatuses) validateComponents(policy, Object.keys(c.componentStatuses));
  if (c.impact !== undefined) guardOrThrow('impact', c.impact, policy.guard);
  if (!changesSomething(state, c))
    throw new Error(
      'nothing to change: give a severity, components, componentStatuses or impact that differ from the current ones',
    );
}

/** A change of impact that leaves everything as it is would record an entry and republish for nothing. */
function changesSomething(state: IncidentState, c: ChangeImpactInput): boolean {
  if (c.severity !== undefined && c.severity !== state.severity) return true;
  if (c.components?.some((id) => !state.components.includes(id))) return true;
  if (Object.entries(c.componentStatuses ?? {}).some(([id, s]) => own(state.componentStatusOverrides, id) !== s)) return true;
  return c.impact !== undefined && JSON.stringify(c.impact) !== JSON.stringify(state.impact);
}

export function validateApprove(pending: number[], a: ApproveInput): void {
  requireBy(a.by, 'who approves');
  if (pending.length === 0) throw new Error('nothing is waiting for approval');
  if (a.seq !== undefined && !pending.includes(a.seq))
    throw new Error(`seq: publication ${a.seq} is not waiting for approval (pending: ${pending.join(', ')})`);
}

/** The waiting message by its seq: an earlier publication folded into it is named by the one that carries it now. */
function requireWaiting(waiting: AwaitingApproval | null, seq: number | undefined, verb: 'approve' | 'reject'): void {
  if (!waiting) throw new Error('nothing is waiting for approval');
  if (seq === undefined || seq === waiting.seq) return;
  if (waiting.carries.includes(seq))
    throw new Error(
      `seq: ${seq} was folded into ${waiting.seq}, the message as it stands now (it carries ${waiting.carries.join(', ')}): ${verb} ${waiting.seq}`,
    );
  throw new Error(`seq: publication ${seq} is not waiting for approval (waiting: ${waiting.seq})`);
}

export function validateApproveWaiting(waiting: AwaitingApproval | null, a: ApproveInput): void {
  requireBy(a.by, 'who approves');
  requireWaiting(waiting, a.seq, 'approve');
}

export const REJECT_REASON_MAX = 500;

export function validateReject(waiting: AwaitingApproval | null, r: RejectInput): void {
  requireBy(r.by, 'who rejects');
  if (!Number.isInteger(r.seq)) throw new Error('seq: the waiting message to reject is required');
  if (typeof r.reason !== 'string' || !r.reason.trim()) throw new Error('reason: say why the message should not go out');
  if (r.reason.length > REJECT_REASON_MAX) throw new Error(`reason: at most ${REJECT_REASON_MAX} characters`);
  requireWaiting(waiting, r.seq, 'reject');
}

export function validateResolve(state: IncidentState, policy: IncidentPolicy, r: ResolveInput): void {
  requireOpen(state);
  requireBy(r.by, 'who resolves');
  requireWords('message', r.message, 'a resolution message is required');
  guardOrThrow('message', r.message, policy.guard);
  if (r.reviewUrl !== undefined && !/^https?:\/\/\S+$/.test(r.reviewUrl)) throw new Error('reviewUrl: an http(s) link');
  if (r.reviewUrl !== undefined) guardOrThrow('reviewUrl', r.reviewUrl, policy.guard);
}

/** The alert router's news is refused once the incident is resolved: the router then decides those alerts again. */
export function validateTakeAlerts(state: IncidentState, a: { total: number; firing: number; joined: unknown[] }): void {
  requireOpen(state);
  if (!(a.total >= 0 && a.firing >= 0 && a.firing <= a.total)) throw new Error('alerts: counts out of range');
  if (a.joined.length > 100) throw new Error('alerts: at most 100 details at a time');
}
