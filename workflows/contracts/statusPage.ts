import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PageChange, PageState } from '../../core/statuspage/types';

// The statusPage workflow's public contract: one workflow per page (and one per drill page) applies
// incident and maintenance changes in order and publishes the snapshot. Lifecycles and the publish
// activity hand it changes with pageChangeSignal (signal-with-start by name).

export const STATUS_PAGE_WORKFLOW = 'statusPage';
export type StatusPageWorkflow = (input: StatusPageInput) => Promise<void>;

export interface StatusPageInput {
  pageId: string;
  /** Drill pages publish to the drill target, never the public one. */
  drill: boolean;
  state?: PageState;
  publishedVersion?: number;
}

export function statusPageWorkflowId(pageId: string, drill: boolean): string {
  return drill ? `statuspage-${pageId}-drill` : `statuspage-${pageId}`;
}

export const pageChangeSignal = defineSignal<[PageChange]>('pageChange');
export const pageStateQuery = defineQuery<PageState>('pageState');
export const publishedVersionQuery = defineQuery<number>('publishedVersion');
