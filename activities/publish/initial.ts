import { DEFAULT_TEMPLATES_DIR } from '../../core/plan/load';
import type { HeraldConfig } from '../../core/config';
import type { Plan } from '../../core/plan/schema';
import { buildSnapshot } from '../../core/statuspage/snapshot';
import { operationalState } from '../../core/statuspage/v2';
import { currentSnapshotVersion, publishToDirectory } from './directory';

/** Sortable, unique snapshot directory names. */
export function snapshotVersion(): string {
  return `${Date.now().toString().padStart(15, '0')}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Publishes an all-operational snapshot built from the plan when nothing has been published yet. */
export async function ensureInitialSnapshot(config: HeraldConfig, plan: Plan): Promise<boolean> {
  if (await currentSnapshotVersion(config.publicDir)) return false;
  const state = operationalState(plan, new Date().toISOString());
  await publishToDirectory(config.publicDir, buildSnapshot(plan, state, config.templatesDir ?? DEFAULT_TEMPLATES_DIR), snapshotVersion());
  return true;
}
