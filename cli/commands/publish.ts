import { Command } from 'commander';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type HeraldConfig } from '../../core/config';
import { DEFAULT_TEMPLATES_DIR, loadPlan } from '../../core/plan/load';
import type { Plan } from '../../core/plan/schema';
import { openConfiguredStore, type Store } from '../../core/store';
import { pageHistory, pageKey } from '../../core/store/history';
import type { PageState } from '../../core/statuspage/types';
import { operationalState } from '../../core/statuspage/v2';
import { subscribeUrlOf } from '../../core/subscriptions';
import { temporalConnectionOptions } from '../../core/temporalConnection';
import { publishDirectory, publishEverywhere, s3Targets } from '../../activities/publish';
import { renderWithHistory } from '../../activities/publish/history';
import { snapshotVersion } from '../../activities/publish/initial';
import type { TargetReport } from '../../activities/publish/s3';
import { pageStateQuery, publishedVersionQuery, statusPageWorkflowId } from '../../workflows/contracts/statusPage';
import { CliError } from '../client';

// `herald publish --rebuild [--page <id>] [--drill]`: renders the page's whole snapshot again and
// writes it to every target (the directory, atomically, and each S3 bucket). The open state comes
// from the statusPage workflow when Temporal answers, else from the last state the store recorded
// (else an all-operational page); history (past incidents and maintenances, the component days)
// always comes from the store. It needs neither the API nor the worker.

export interface RebuildReport {
  pageId: string;
  drill: boolean;
  /** Where the open state came from. */
  source: 'workflow' | 'store' | 'operational';
  /** Why the workflow was not used, when it was not. */
  note?: string;
  stateUpdatedAt: string;
  files: number;
  fromHistory: { incidents: number; maintenances: number };
  directory: string;
  targets: TargetReport[];
  ok: boolean;
}

const TEMPORAL_WAIT_MS = 5_000;

async function workflowState(
  config: HeraldConfig,
  workflowId: string,
): Promise<{ state: PageState; version: number } | { error: string }> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptions(config.temporal), connectTimeout: TEMPORAL_WAIT_MS });
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const handle = client.workflow.getHandle(workflowId);
    const deadline = Date.now() + TEMPORAL_WAIT_MS;
    const description = await client.withDeadline(deadline, () => handle.describe());
    if (description.status.name !== 'RUNNING')
      return { error: `workflow ${workflowId} is ${description.status.name.toLowerCase()}` };
    const [state, version] = await client.withDeadline(deadline, () =>
      Promise.all([handle.query(pageStateQuery), handle.query(publishedVersionQuery)]),
    );
    return { state, version };
  } catch (err) {
    const e = err as Error;
    const what = e.name === 'WorkflowNotFoundError' ? `no workflow ${workflowId}` : `${e.name}: ${e.message.split('\n')[0]}`;
    return { error: `Temporal at ${config.temporal.address} did not give the page state (${what})` };
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export async function rebuild(
  config: HeraldConfig,
  plan: Plan,
  store: Store,
  o: { drill: boolean; useTemporal?: boolean },
): Promise<RebuildReport> {
  const pageId = plan.page.id;
  let source: RebuildReport['source'];
  let note: string | undefined;
  let state: PageState;
  let version: number;
  const live =
    o.useTemporal === false
      ? { error: 'Temporal not asked (--no-temporal)' }
      : await workflowState(config, statusPageWorkflowId(pageId, o.drill));
  if ('state' in live) {
    ({ state, version } = live);
    source = 'workflow';
  } else {
    note = live.error;
    const last = await pageHistory(store).lastState(pageKey(pageId, o.drill));
    if (last) {
      ({ state, version } = last);
      source = 'store';
    } else {
      state = operationalState(plan, new Date().toISOString());
      version = 0;
      source = 'operational';
    }
  }
  // A state from the workflow is the current one: record it (a no-op when the last publish did).
  const { snapshot, fromHistory } = await renderWithHistory({
    plan,
    store,
    templatesDir: config.templatesDir ?? DEFAULT_TEMPLATES_DIR,
    pageId,
    drill: o.drill,
    state,
    version,
    record: source === 'workflow',
    subscribeUrl: subscribeUrlOf(config),
  });
  const targets = await publishEverywhere(config, snapshot, snapshotVersion(), o.drill, s3Targets(config));
  return {
    pageId,
    drill: o.drill,
    source,
    ...(note ? { note } : {}),
    stateUpdatedAt: state.updatedAt,
    files: snapshot.size,
    fromHistory,
    directory: publishDirectory(config, o.drill),
    targets,
    ok: targets.every((t) => t.ok),
  };
}

export function publishCommand(): Command {
  return new Command('publish')
    .description("publish the status page's snapshot to every target (the public directory and the S3 buckets)")
    .requiredOption(
      '--rebuild',
      'render the whole snapshot again from the store (and the statusPage workflow, when Temporal answers)',
    )
    .option('--page <id>', "the page to rebuild (the plan's page id; the default)")
    .option('--drill', 'rebuild the drill page (the drill directory) instead of the public one')
    .option('--no-temporal', "do not ask Temporal: use the store's last recorded state")
    .option('--json', 'print the report as JSON')
    .action(async (o: { rebuild: boolean; page?: string; drill?: boolean; temporal: boolean; json?: boolean }) => {
      const config = loadConfig();
      const plan = loadPlan(config.planFile, config.templatesDir);
      if (o.page !== undefined && o.page !== plan.page.id)
        throw new CliError(`unknown page "${o.page}": the plan (${config.planFile}) has the page "${plan.page.id}"`);
      const store = await openConfiguredStore(config).catch((err: Error) => {
        throw new CliError(`cannot open the store: ${err.message}`);
      });
      let report: RebuildReport;
      try {
        report = await rebuild(config, plan, store, { drill: !!o.drill, useTemporal: o.temporal });
      } catch (err) {
        throw new CliError(`the rebuild failed: ${(err as Error).message}`);
      } finally {
        await store.close();
      }
      if (o.json) console.log(JSON.stringify(report, null, 2));
      else {
        const from = {
          workflow: 'the statusPage workflow',
          store: "the store's last recorded state",
          operational: 'nothing recorded yet: all operational',
        }[report.source];
        console.log(
          `rebuilt ${report.pageId}${report.drill ? ' (drill)' : ''}: ${report.files} files; open state from ${from} (as of ${report.stateUpdatedAt})${report.note ? ` — ${report.note}` : ''}`,
        );
        console.log(
          `history from the store: ${report.fromHistory.incidents} incidents and ${report.fromHistory.maintenances} maintenances beyond the state`,
        );
        for (const t of report.targets)
          console.log(
            `  ${t.ok ? 'ok  ' : 'FAIL'} ${t.target}: ${t.written} written, ${t.skipped} unchanged, ${t.ms} ms${t.error ? ` — ${t.error}` : ''}`,
          );
      }
      if (!report.ok) {
        console.error(
          `herald: ${report.targets.filter((t) => !t.ok).length} target(s) failed; the others hold the rebuilt snapshot. Run it again when they are back.`,
        );
        process.exitCode = 1;
      }
    });
}
