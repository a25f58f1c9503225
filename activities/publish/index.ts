import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { HeraldConfig } from '../../core/config';
import { DEFAULT_TEMPLATES_DIR } from '../../core/plan/load';
import type { Plan } from '../../core/plan/schema';
import { buildSnapshot } from '../../core/statuspage/snapshot';
import type { PageChange, PageState } from '../../core/statuspage/types';
import { pageChangeSignal, statusPage, statusPageWorkflowId } from '../../workflows/statusPage';
import { publishToDirectory } from './directory';
import { snapshotVersion } from './initial';

export interface PublishDeps {
  config: HeraldConfig;
  plan: Plan;
  client: Client;
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

export function createPublishActivities({ config, plan, client }: PublishDeps) {
  const templatesDir = config.templatesDir ?? DEFAULT_TEMPLATES_DIR;
  return {
    /** Renders the whole snapshot of a page state and publishes it to every target, atomically per target. */
    async publishPage(input: PublishPageInput): Promise<{ version: number; files: number; publishedAt: string }> {
      const snapshot = buildSnapshot(plan, input.state, templatesDir);
      await publishToDirectory(publishDirectory(config, input.drill), snapshot, snapshotVersion());
      return { version: input.version, files: snapshot.size, publishedAt: new Date().toISOString() };
    },

    /** Hands a change to the page's workflow, starting it if it is not running (idempotent by workflow id). */
    async sendPageChange(input: { drill: boolean; change: PageChange }): Promise<void> {
      const pageId = plan.page.id;
      await client.workflow.signalWithStart(statusPage, {
        workflowId: statusPageWorkflowId(pageId, input.drill),
        taskQueue: config.temporal.taskQueue,
        args: [{ pageId, drill: input.drill }],
        signal: pageChangeSignal,
        signalArgs: [input.change],
      });
    },
  };
}
