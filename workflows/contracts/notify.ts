import { defineQuery } from '@temporalio/workflow';
import type { NotifyReport, NotifyRequest } from '../../core/notify';
import type { Channel } from '../../core/plan/schema';
import type { ChannelTally } from '../../activities/deliver';

// The notify workflow's public contract: one message round to one audience (core/notify.ts holds the
// request and the report), its progress query, its workflow id, and what a lifecycle records of it.

export type { NotifyReport, NotifyRequest };

export const NOTIFY_WORKFLOW = 'notify';
export type NotifyWorkflow = (request: NotifyRequest, progress?: NotifyProgress) => Promise<NotifyReport>;

/** A round's workflow id (and the ledger's round key): unique per lifecycle, publication, phase and audience. */
export function roundWorkflowId(ownerId: string, seq: number, phase: string, standsFor: string): string {
  return `notify-${ownerId}-${seq}-${phase}-${standsFor}`;
}

/** What a round carries into its next run when it continues as new after a page of recipients. */
export interface NotifyProgress {
  /** Audience cursor: every recipient up to it has been delivered (or settled). */
  cursor: string | null;
  pages: number;
  recipients: number;
  /** Audience size counted when the round was prepared. */
  expected: number;
  totals: Partial<Record<Channel, ChannelTally>>;
  startedAt: string;
  settings: { pageSize: number; batchSize: number; concurrency: number };
}

export interface NotifyProgressView {
  roundId: string;
  phase: 'preparing' | 'sending' | 'reporting' | 'done';
  expected: number;
  recipients: number;
  pages: number;
  batchesInFlight: number;
  sent: number;
  failed: number;
  suppressed: number;
  optedOut: number;
  byChannel: Partial<Record<Channel, ChannelTally>>;
  startedAt: string;
}

export const notifyProgressQuery = defineQuery<NotifyProgressView>('notifyProgress');

/** One round as a lifecycle (incident, maintenance) records it in its state. */
export interface DeliverySummary {
  roundId: string;
  seq: number;
  phase: string;
  audienceId: string;
  standsFor: string;
  requestedAt: string;
  components: string[];
  excludeComponents: string[];
  /** Whether the operator's own words went out (false: the plan's approved wording). */
  operatorWording: boolean;
  report: NotifyReport | null;
  error: string | null;
}
