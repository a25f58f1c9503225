import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { Client, Connection, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { loadConfig } from '../../core/config';
import { INJECTIONS, timelineFromIncident, type DrillReport } from '../../core/drill';
import { buildDrillInput } from '../../core/drillInput';
import { loadPlan } from '../../core/plan/load';
import { HeraldDrill, HeraldKind } from '../../core/searchAttributes';
import { temporalConnectionOptions } from '../../core/temporalConnection';
import { DRILL_WORKFLOW } from '../../workflows/contracts/drill';
import { apiClient, CliError, collect, print, withApi, type ApiOptions } from '../client';

interface DrillStatus {
  id: string;
  status: string;
  progress?: { step: number; steps: number; phase: string; log: string[] };
  report?: DrillReport;
}

export function drillCommand(): Command {
  const cmd = new Command('drill').description(
    'rehearse the communication plan: drills in a test environment, time-compressed, with a report',
  );

  withApi(
    cmd
      .command('run')
      .description('run a scenario as a drill through the real workflows; exits 0 only when every check passes')
      .requiredOption('--scenario <id>', 'scenario of the plan, e.g. outage')
      .option('--time-scale <n>', "how many times faster than real time (default: the plan's drills.timeScale)", (v) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) throw new CliError(`--time-scale must be a positive number, not "${v}"`);
        return n;
      })
      .addOption(
        new Option('--inject <faults>', `faults to inject, comma-separated: ${INJECTIONS.join(', ')}`).argParser(collect),
      )
      .option('--timeline <file>', 'a timeline file (JSON), e.g. from `herald drill export`')
      .option('--report <file>', 'write the JSON report here (Markdown and HTML copies are kept in the data directory)'),
  ).action(
    async (o: ApiOptions & { scenario: string; timeScale?: number; inject?: string[]; timeline?: string; report?: string }) => {
      const api = apiClient(o);
      const inject = o.inject ?? [];
      const unknown = inject.filter((f) => !(INJECTIONS as readonly string[]).includes(f));
      if (unknown.length > 0) throw new CliError(`unknown fault(s) ${unknown.join(', ')}; use ${INJECTIONS.join(', ')}`);
      const timeline = o.timeline ? (JSON.parse(readFileSync(o.timeline, 'utf8')) as unknown) : undefined;
      const started = await api.post<{ id: string; timeScale: number }>('/v1/drills', {
        scenario: o.scenario,
        ...(o.timeScale ? { timeScale: o.timeScale } : {}),
        inject,
        ...(timeline ? { timeline } : {}),
      });
      const bar =
        o.json || !process.stderr.isTTY
          ? undefined
          : new SingleBar({
              format: `drill ${started.id} [{bar}] {value}/{total} steps · {phase}`,
              stream: process.stderr,
              hideCursor: true,
            });
      let status: DrillStatus = { id: started.id, status: 'running' };
      bar?.start(1, 0, { phase: 'starting' });
      const t0 = Date.now();
      while (status.status === 'running') {
        await new Promise((r) => setTimeout(r, 500));
        status = await api.get<DrillStatus>(`/v1/drills/${started.id}`);
        if (status.progress) {
          bar?.setTotal(status.progress.steps);
          bar?.update(status.progress.step, { phase: status.progress.phase });
        }
        if (Date.now() - t0 > 3_600_000)
          throw new CliError(`drill ${started.id} still running after an hour; see GET /v1/drills/${started.id}`);
      }
      bar?.stop();
      if (!status.report) throw new CliError(`drill ${started.id} ended ${status.status} without a report`);
      const report = status.report;
      if (o.report) writeFileSync(o.report, JSON.stringify(report, null, 2) + '\n');
      print(o, report, () => ({
        head: ['check', 'result', 'detail'],
        rows: report.checks.map((c) => [c.name, c.passed ? 'pass' : 'FAIL', c.detail]),
      }));
      if (!o.json && report.counts.byRecipient)
        for (const [id, n] of Object.entries(report.counts.byRecipient))
          console.log(
            `${id}: ${n.notices} notice(s); initial: ${Object.entries(n.initial)
              .map(([a, k]) => `${a} ${k}`)
              .join(', ')}`,
          );
      if (!o.json)
        console.log(
          `drill ${report.drillId}: ${report.passed ? 'PASSED' : 'FAILED'} in ${(report.latencies.drillMs / 1000).toFixed(1)} s at ${report.timeScale}x${o.report ? `; report: ${o.report}` : ''}`,
        );
      process.exitCode = report.passed ? 0 : 1;
    },
  );

  withApi(
    cmd
      .command('export')
      .description("write a past incident's timeline as a drill timeline file")
      .argument('<incidentId>', 'incident workflow id')
      .option('-o, --output <file>', 'timeline file (default: stdout)'),
  ).action(async (incidentId: string, o: ApiOptions & { output?: string }) => {
    const state = await apiClient(o).get<Parameters<typeof timelineFromIncident>[0] & { scenario: string }>(
      `/v1/incidents/${encodeURIComponent(incidentId)}`,
    );
    const timeline = timelineFromIncident(state);
    const text = JSON.stringify(timeline, null, 2) + '\n';
    if (o.output) {
      writeFileSync(o.output, text);
      console.error(
        `wrote ${timeline.length} steps to ${o.output}; run it with: herald drill run --scenario ${state.scenario} --timeline ${o.output}`,
      );
    } else process.stdout.write(text);
  });

  cmd
    .command('schedule')
    .description("create or update the Temporal Schedules that run the plan's drill programme")
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const config = loadConfig();
      const plan = loadPlan(config.planFile, config.templatesDir);
      const connection = await Connection.connect(temporalConnectionOptions(config.temporal)).catch((err: Error) => {
        throw new CliError(`cannot reach Temporal at ${config.temporal.address}: ${err.message.split('\n')[0]}`);
      });
      const client = new Client({ connection, namespace: config.temporal.namespace });
      const done: { scheduleId: string; action: string; months: string[] }[] = [];
      try {
        for (const entry of plan.drills.schedule) {
          const scheduleId = `drill-schedule-${entry.scenario}`;
          const input = buildDrillInput(
            plan,
            { scenario: entry.scenario, inject: [] },
            { statusUrl: `${config.publicUrl.replace(/\/$/, '')}/drill` },
          );
          const options = {
            spec: {
              calendars: [
                {
                  month: entry.months,
                  dayOfMonth: entry.dayOfMonth,
                  hour: entry.hour,
                  minute: 0,
                  comment: `drill ${entry.scenario}`,
                },
              ],
              timezone: plan.page.timeZone,
            },
            action: {
              type: 'startWorkflow' as const,
              workflowType: DRILL_WORKFLOW,
              args: [input] as [typeof input],
              taskQueue: config.temporal.taskQueue,
              workflowId: `drill-${entry.scenario}-scheduled`,
              typedSearchAttributes: [
                { key: HeraldKind, value: 'drill' },
                { key: HeraldDrill, value: true },
              ],
            },
            // A drill that could not start on time (Temporal down, worker away) is skipped, never run stale.
            policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' as const, pauseOnFailure: false },
          };
          try {
            await client.schedule.create({ scheduleId, ...options });
            done.push({ scheduleId, action: 'created', months: entry.months });
          } catch (err) {
            if (!(err instanceof ScheduleAlreadyRunning)) throw err;
            await client.schedule
              .getHandle(scheduleId)
              .update((prev) => ({ ...prev, spec: options.spec, action: options.action, policies: options.policies }));
            done.push({ scheduleId, action: 'updated', months: entry.months });
          }
        }
      } finally {
        await connection.close();
      }
      print({ json: o.json }, done, () => ({
        head: ['schedule', 'action', 'months'],
        rows: done.map((d) => [d.scheduleId, d.action, d.months.join(', ')]),
      }));
    });

  return cmd;
}
