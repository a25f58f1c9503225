import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CorrelationRule } from '../../core/correlation';
import type { Book, BookIncident, CorrelationClaim, CorrelationDelivery } from '../../core/correlationBook';
import type { IncidentPolicy } from '../../core/policy';
import type { IncidentState } from './incident';

// The alert router's public contract. One router per page (`correlation-<pageId>`; drills have their
// own) takes every monitoring delivery in the order Temporal records them and decides, for its firing
// alerts, which incident they join or whether they open one (core/correlationBook.ts). The API hands
// deliveries over with signal-with-start, so a webhook is acknowledged once Temporal holds it; the
// API registers operator-declared incidents the same way, so alerts that follow join them.

export const CORRELATION_WORKFLOW = 'alertCorrelation';
export type CorrelationWorkflow = (input: CorrelationInput) => Promise<CorrelationResult>;

export function correlationWorkflowId(pageId: string): string {
  return `correlation-${pageId}`;
}

export interface CorrelationInput {
  pageId: string;
  /** A drill's own router: the incidents it opens are drill incidents with these ids and this policy. */
  drill?: { openAs: string; policy: IncidentPolicy; title: string; impact: string };
  /** Carried across continue-as-new. */
  book?: Book;
  runs?: number;
  /** Continue-as-new after this many steps (signals taken and changes sent; default 500, some 2,000 events). */
  continueAsNewAfterSteps?: number;
}

/** Deliveries from one API process, in the order it received them, with the plan's rule as that process has it. */
export interface CorrelationBatch {
  rule: CorrelationRule;
  deliveries: CorrelationDelivery[];
}

export interface CorrelationSummary {
  runs: number;
  incidents: BookIncident[];
  counts: Book['counts'];
  marks: number;
  /** Deliveries waiting for the next decision. */
  queued: number;
  /** Incidents being started or told what changed. */
  sending: number;
}

/** What a drill's router returns once sealed and every incident it opened has finished. */
export interface CorrelationResult {
  incidents: { id: string; final: IncidentState | null; error: string | null }[];
  counts: Book['counts'];
}

export const correlationBatchSignal = defineSignal<[CorrelationBatch]>('alertDeliveries');
export const claimIncidentSignal = defineSignal<[CorrelationClaim]>('claimIncident');
/** An incident says what the router cannot see: declared, widened, a new severity, or resolved (alerts no longer join it). */
export interface IncidentChange {
  incidentId: string;
  scenario: string;
  severity: string;
  components: string[];
  closed: boolean;
}
export const incidentChangedSignal = defineSignal<[IncidentChange]>('incidentChanged');
/** Drills only: no more deliveries will come; finish once the incidents have. */
export const sealCorrelationSignal = defineSignal('sealCorrelation');
export const correlationSummaryQuery = defineQuery<CorrelationSummary>('correlationSummary');
/** The incident an alert (core/correlation.ts alertId) went to, if the router still knows it. */
export const alertIncidentQuery = defineQuery<string | null, [string]>('alertIncident');
