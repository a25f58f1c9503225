import type { MaintenancePolicy } from '../../core/policy';
import type {
  FinishInput,
  MaintenanceNoteInput,
  MaintenanceState,
  MaintenanceStatus,
  RescheduleInput,
} from '../contracts/maintenance';
import { beyondHorizon } from '../../core/horizon';
import { guardOrThrow, requireBy, requireWords } from '../validation';

// The maintenance window's update validators: what only the running window knows (its status, its
// schedule, the content guard). The API checked shape and bounds before. Pure; a throw refuses the
// update and nothing is written to history.

function requireStatus(state: MaintenanceState, allowed: MaintenanceStatus[], action: string): void {
  if (!allowed.includes(state.status)) throw new Error(`cannot ${action}: the maintenance is ${state.status}`);
}

const WHO = 'who makes the change';

export function validateReschedule(state: MaintenanceState, policy: MaintenancePolicy, r: RescheduleInput, nowMs: number): void {
  requireStatus(state, ['scheduled', 'in_progress'], 'reschedule');
  requireBy(r.by, WHO);
  const start = Date.parse(r.scheduledFor);
  const end = Date.parse(r.scheduledUntil);
  if (Number.isNaN(start) || Number.isNaN(end)) throw new Error('scheduledFor, scheduledUntil: must be date-times');
  if (end <= start) throw new Error('scheduledUntil: must be after scheduledFor');
  if (end <= nowMs) throw new Error('scheduledUntil: the window would already be over');
  if (state.status === 'scheduled' && start <= nowMs) throw new Error('scheduledFor: must be in the future');
  for (const [field, at] of [
    ['scheduledFor', r.scheduledFor],
    ['scheduledUntil', r.scheduledUntil],
  ] as const) {
    const far = beyondHorizon(at, nowMs, policy.horizonMs);
    if (far) throw new Error(`${field}: ${far}`);
  }
  if (state.status === 'in_progress' && r.scheduledFor !== state.scheduledFor)
    throw new Error('scheduledFor: the window has started; only its end can move');
  if (r.message !== undefined) guardOrThrow('message', r.message, policy.guard);
}

export function validateCancel(state: MaintenanceState, policy: MaintenancePolicy, c: FinishInput): void {
  requireStatus(state, ['scheduled'], 'cancel (complete a window that has started)');
  requireBy(c.by, WHO);
  if (c.message !== undefined) guardOrThrow('message', c.message, policy.guard);
}

export function validateNote(state: MaintenanceState, policy: MaintenancePolicy, u: MaintenanceNoteInput): void {
  requireStatus(state, ['scheduled', 'in_progress'], 'post an update');
  requireBy(u.by, WHO);
  requireWords('message', u.message, 'an update needs words for customers');
  guardOrThrow('message', u.message, policy.guard);
}

export function validateComplete(state: MaintenanceState, policy: MaintenancePolicy, c: FinishInput): void {
  requireStatus(state, ['in_progress'], 'complete (cancel a window that has not started)');
  requireBy(c.by, WHO);
  if (c.message !== undefined) guardOrThrow('message', c.message, policy.guard);
}
