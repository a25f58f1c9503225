import { DEFAULT_TEMPLATES_DIR } from '../../core/plan/load';
import type { HeraldConfig } from '../../core/config';
import type { Plan } from '../../core/plan/schema';
import { openConfiguredStore, type Store } from '../../core/store';
import { pageHistory } from '../../core/store/history';
import { operationalState } from '../../core/statuspage/v2';
import type { TargetReport } from './s3';
import { currentSnapshotVersion } from './directory';
import { renderWithHistory } from './history';
import { subscribeUrlOf } from '../../core/subscriptions';
import { publishEverywhere, s3Targets } from './index';
import { snapshotVersion } from './version';

export { snapshotVersion };

export interface InitialSnapshotOptions {
  /** The store to read the last state from; opened from the configuration (and closed) when absent. */
  store?: Store;
  /** How long to wait for the S3 buckets before going on (they finish in the background); default 5 s. */
  waitForBucketsMs?: number;
  /** Called with the targets' reports once every target is done. */
  onPublished?: (targets: TargetReport[]) => void;
}

/**
 * At start (npm start, the worker): makes sure every target holds the page's snapshot before any
 * change arrives. When the directory has none, or an S3 bucket's index was not written by the
 * directory's current snapshot (a new bucket, one that was down, or the first start with S3
 * configured), the page is published to every target from the last state the store recorded (an
 * all-operational page when there is none). A slow region does not hold up the start for longer
 * than `waitForBucketsMs`. Returns whether it published.
 */
export async function ensureInitialSnapshot(config: HeraldConfig, plan: Plan, o: InitialSnapshotOptions = {}): Promise<boolean> {
  const buckets = s3Targets(config);
  const dirVersion = await currentSnapshotVersion(config.publicDir);
  const indexVersions = await Promise.all(buckets.map((b) => b.indexVersion()));
  if (dirVersion && indexVersions.every((v) => v === dirVersion)) return false;
  const store = o.store ?? (await openConfiguredStore(config));
  try {
    const last = await pageHistory(store).lastState(plan.page.id);
    const state = last?.state ?? operationalState(plan, new Date().toISOString());
    const { snapshot } = await renderWithHistory({
      plan,
      store,
      templatesDir: config.templatesDir ?? DEFAULT_TEMPLATES_DIR,
      pageId: plan.page.id,
      drill: false,
      state,
      version: last?.version ?? 0,
      record: false,
      subscribeUrl: subscribeUrlOf(config),
    });
    const done = publishEverywhere(config, snapshot, snapshotVersion(), false, buckets).then(
      (targets) => (o.onPublished?.(targets), targets),
    );
    // The directory is written first inside publishEverywhere; the buckets may take longer.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((r) => (timer = setTimeout(r, o.waitForBucketsMs ?? 5_000)))]);
    clearTimeout(timer);
    done.catch(() => undefined);
    if (!(await currentSnapshotVersion(config.publicDir))) await done;
    return true;
  } finally {
    if (!o.store) await store.close();
  }
}
