import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { HeraldConfig } from '../../core/config';
import { DEFAULT_TEMPLATES_DIR } from '../../core/plan/load';
import type { Plan } from '../../core/plan/schema';
import type { Store } from '../../core/store';
import type { Snapshot } from '../../core/statuspage/snapshot';
import type { PageChange, PageState } from '../../core/statuspage/types';
import {
  pageChangeSignal,
  STATUS_PAGE_WORKFLOW,
  statusPageWorkflowId,
  type StatusPageWorkflow,
} from '../../workflows/contracts/statusPage';
import { publishToDirectory } from './directory';
import { renderWithHistory } from './history';
import { subscribeUrlOf } from '../../core/subscriptions';
import { createS3Target, type S3Target, type TargetReport } from './s3';
import { snapshotVersion } from './version';

export interface PublishDeps {
  config: HeraldConfig;
  plan: Plan;
  client: Client;
  /** Where the page's history is recorded and read back from (core/store/history.ts). */
  store: Store;
}

export interface PublishPageInput {
  pageId: string;
  drill: boolean;
  state: PageState;
  version: number;
}

/** Where a page's snapshot is published: the public directory, or the drill directory for drills. */
export function publishDirectory(config: HeraldConfig, drill: boolean): string {
  return drill ? join(config.dataDir, 'drill', 'public') : config.publicDir;
}

export interface PublishPageResult {
  version: number;
  files: number;
  publishedAt: string;
  /** One report per target: the directory first, then each S3 bucket. */
  targets: TargetReport[];
  /** Store rows this publish wrote (items, component days); a retried publish writes none. */
  recorded?: { items: number; days: number };
}

/**
 * Writes a snapshot to every target: the directory (atomically; a failure throws), then each S3
 * bucket at once (a failing bucket is reported, never thrown). Drill pages go to the drill directory only.
 */
export async function publishEverywhere(
  config: HeraldConfig,
  snapshot: Snapshot,
  version: string,
  drill: boolean,
  buckets: S3Target[],
): Promise<TargetReport[]> {
  const started = Date.now();
  const dir = publishDirectory(config, drill);
  await publishToDirectory(dir, snapshot, version);
  const targets: TargetReport[] = [
    { target: `dir:${dir}`, ok: true, written: snapshot.size, skipped: 0, ms: Date.now() - started },
  ];
  if (!drill) targets.push(...(await Promise.all(buckets.map((b) => b.publish(snapshot, version)))));
  return targets;
}

/** The S3 buckets of the configuration, one target per region. */
export function s3Targets(config: HeraldConfig): S3Target[] {
  return config.publish.s3.map((b) =>
    createS3Target({ region: b.region, bucket: b.bucket, endpoint: config.publish.s3Endpoint, prefix: config.publish.s3Prefix }),
  );
}

export function createPublishActivities({ config, plan, client, store }: PublishDeps) {
  const templatesDir = config.templatesDir ?? DEFAULT_TEMPLATES_DIR;
  const buckets = s3Targets(config);
  return {
    /**
     * Renders the whole snapshot of a page state and publishes it to every target, atomically per
     * target. The directory is the primary target: if it fails the activity fails and is retried.
     * A bucket that fails does not stop the others or fail the activity (a region being down must
     * not hold back the page); its report says so, and the next publish writes it again. Drill
     * pages go to the drill directory only.
     */
    async publishPage(input: PublishPageInput): Promise<PublishPageResult> {
      // The state, its items and its component days are recorded first, so the store is never
      // behind what a reader can see; the snapshot is rendered from the state plus the stored history.
      const { snapshot, recorded } = await renderWithHistory({
        plan,
        store,
        templatesDir,
        pageId: input.pageId,
        drill: input.drill,
        state: input.state,
        version: input.version,
        subscribeUrl: subscribeUrlOf(config),
      });
      const targets = await publishEverywhere(config, snapshot, snapshotVersion(), input.drill, buckets);
      return { version: input.version, files: snapshot.size, publishedAt: new Date().toISOString(), targets, recorded };
    },

    /** Hands a change to the page's workflow, starting it if it is not running (idempotent by workflow id). */
    async sendPageChange(input: { drill: boolean; change: PageChange }): Promise<void> {
      const pageId = plan.page.id;
      await client.workflow.signalWithStart<StatusPageWorkflow, [PageChange]>(STATUS_PAGE_WORKFLOW, {
        workflowId: statusPageWorkflowId(pageId, input.drill),
        taskQueue: config.temporal.taskQueue,
        args: [{ pageId, drill: input.drill }],
        signal: pageChangeSignal,
        signalArgs: [input.change],
      });
    },
  };
}
