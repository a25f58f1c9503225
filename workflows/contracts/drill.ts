import { defineQuery } from '@temporalio/workflow';
import type { DrillReport } from '../../core/drill';
import type { DrillInputShape } from '../../core/drillInput';

// The drill workflow's public contract: a drill replays a scenario through the real incident or
// maintenance workflow in drill mode and returns a report. The API and the CLI start it by name
// (DRILL_WORKFLOW) typed with DrillWorkflow; the drill's activities act on its target with DrillAction.

export const DRILL_WORKFLOW = 'drill';
export type DrillWorkflow = (input: DrillInput) => Promise<DrillReport>;

/** Built from a drill request and the plan by core/drillInput.ts. */
export type DrillInput = DrillInputShape;

/** The incident or maintenance a drill runs: `incident-drill-<id>` for drill `drill-<id>`. */
export function drillTargetWorkflowId(kind: 'incident' | 'maintenance', drillId: string): string {
  return `${kind}-drill-${drillId.replace(/^drill-/, '')}`;
}

export interface DrillProgress {
  drillId: string;
  scenario: string;
  step: number;
  steps: number;
  phase: 'running' | 'waiting-for-lifecycle' | 'checking' | 'done';
  targetId: string;
  log: string[];
  passed: boolean | null;
}

export const drillProgressQuery = defineQuery<DrillProgress>('drillProgress');

/** One operator step a drill takes on its target, through the same Updates operators use. */
export type DrillAction =
  | { kind: 'update'; status: 'investigating' | 'identified' | 'monitoring'; message: string; eta?: string }
  | { kind: 'resolve'; message: string }
  | { kind: 'approve' }
  | { kind: 'impact'; components?: string[]; severity?: string }
  | { kind: 'reschedule'; scheduledFor: string; scheduledUntil: string }
  | { kind: 'maintenance-update'; message: string }
  | { kind: 'complete' }
  | { kind: 'cancel' };
