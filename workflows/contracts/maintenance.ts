import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LocalizedText } from '../../core/localizedText';
import type { MaintenancePolicy } from '../../core/policy';
import type { PageUpdate } from '../../core/statuspage/types';
import type { DeliverySummary } from './notify';

// The maintenance workflow's public contract: one planned window, what starts it, what it holds, and
// the updates operators send it. Clients start it by name (MAINTENANCE_WORKFLOW) typed with
// MaintenanceWorkflow, and never import workflows/maintenance.ts.

export const MAINTENANCE_WORKFLOW = 'maintenance';
export type MaintenanceWorkflow = (input: MaintenanceInput, carried?: MaintenanceState) => Promise<MaintenanceState>;

/** A maintenance window's id: the title's slug and a random suffix. */
export function maintenanceWorkflowId(slug: string, suffix: string): string {
  return `maintenance-${slug}-${suffix}`;
}

export type MaintenanceStatus = 'scheduled' | 'in_progress' | 'completed' | 'cancelled';
export type MaintenancePhase = 'announce' | 'reminder' | 'start' | 'update' | 'complete' | 'cancel' | 'reschedule' | 'overrun';

export interface MaintenanceInput {
  title: string;
  scenario: string;
  components: string[];
  scheduledFor: string;
  scheduledUntil: string;
  /** Customer-facing words on what the work means for them: per locale, or a plain string in the page's default locale. */
  message: LocalizedText;
  owner?: string;
  technicalDetail?: string;
  drill: boolean;
  declaredBy: string;
  policy: MaintenancePolicy;
}

export interface MaintenanceTimelineEntry {
  seq: number;
  at: string;
  phase: MaintenancePhase;
  status: MaintenanceStatus;
  /** The customer-facing words published with this entry; null when the plan's wording was used. */
  message: LocalizedText | null;
  by: string;
}

export interface MaintenanceState {
  id: string;
  title: string;
  scenario: string;
  status: MaintenanceStatus;
  components: string[];
  message: LocalizedText;
  owner: string | null;
  technicalDetail: string | null;
  drill: boolean;
  createdAt: string;
  scheduledFor: string;
  scheduledUntil: string;
  startedAt: string | null;
  completedAt: string | null;
  /** Reminder offsets (ms before the start) already sent for the current schedule. */
  remindersSent: number[];
  /** When the current schedule was set (creation or the last reschedule). */
  scheduleSetAt: string;
  overruns: number;
  timeline: MaintenanceTimelineEntry[];
  deliveries: DeliverySummary[];
  pageUpdates: PageUpdate[];
  seq: number;
  runs: number;
}

export interface RescheduleInput {
  scheduledFor: string;
  scheduledUntil: string;
  message?: LocalizedText;
  by: string;
}
export interface MaintenanceNoteInput {
  message: LocalizedText;
  by: string;
}
export interface FinishInput {
  message?: LocalizedText;
  by: string;
}

export const maintenanceStateQuery = defineQuery<MaintenanceState>('state');
export const rescheduleMaintenance = defineUpdate<MaintenanceState, [RescheduleInput]>('reschedule');
export const cancelMaintenance = defineUpdate<MaintenanceState, [FinishInput]>('cancel');
export const postMaintenanceUpdate = defineUpdate<MaintenanceState, [MaintenanceNoteInput]>('postUpdate');
export const completeMaintenance = defineUpdate<MaintenanceState, [FinishInput]>('complete');
