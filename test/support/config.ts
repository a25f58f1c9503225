import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type HeraldConfig } from '../../core/config';
import { loadPlan } from '../../core/plan/load';
import type { Plan } from '../../core/plan/schema';

export const EXAMPLE_PLAN = join(__dirname, '..', '..', 'plans', 'example.yaml');

/** A configuration for one test: its own data directory and task queue, on the given Temporal. */
export function testConfig(address: string, env: Record<string, string> = {}): HeraldConfig {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-data-'));
  return loadConfig({
    HERALD_DATA_DIR: dataDir,
    HERALD_PLAN: EXAMPLE_PLAN,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: `test-${Math.random().toString(36).slice(2, 10)}`,
    HERALD_LOG_LEVEL: 'silent',
    ...env,
  });
}

let cached: Plan | undefined;
/**
 * The example plan with a page id of its own: the statusPage workflow's id comes from the page id,
 * and each test's worker polls its own task queue, so tests must not share one page workflow.
 */
export function examplePlan(): Plan {
  cached ??= loadPlan(EXAMPLE_PLAN);
  return { ...cached, page: { ...cached.page, id: `${cached.page.id}-${Math.random().toString(36).slice(2, 8)}` } };
}
