import { resolve } from 'node:path';
import { Command } from 'commander';
import Table from 'cli-table3';
import { loadConfig } from '../../core/config';
import { CHECKS, checkMessages, percent, type CheckReport } from '../../core/messageCheck';
import { deliveredMessages } from '../../core/messageMatrix';
import { loadPlan } from '../../core/plan/load';
import { createTemplateRenderer, DEFAULT_TEMPLATES_DIR } from '../../core/render';

// `herald messages check`: renders every external message the plan can send (scenario × phase ×
// audience × locale × channel, with realistic words) on the delivery path and checks each one.

export function messagesCommand(): Command {
  const messages = new Command('messages').description('what customers read: render and check every message');
  messages
    .command('check')
    .description('render every external message of the plan and check what each one says; exit 1 unless all pass')
    .argument('[file]', 'plan file (default: $HERALD_PLAN or plans/example.yaml)')
    .option('--templates <dir>', 'templates directory (default: the bundled templates/)')
    .option('--failures <n>', 'how many failing messages to list', '20')
    .option('--json', 'print the failures as JSON lines, then one summary line')
    .action((file: string | undefined, o: { templates?: string; failures: string; json?: boolean }) => {
      const config = tryConfig();
      const planFile = resolve(file ?? config?.planFile ?? 'plans/example.yaml');
      const templatesDir = o.templates ? resolve(o.templates) : (config?.templatesDir ?? DEFAULT_TEMPLATES_DIR);
      const plan = loadPlan(planFile, templatesDir);
      const report = checkMessages(
        deliveredMessages(plan, createTemplateRenderer(templatesDir), {
          unsubscribeBase: config?.delivery.unsubscribeUrl ?? 'http://localhost:3000/unsubscribe',
        }),
      );
      if (o.json) printJson(report);
      else printTable(report, Number(o.failures) || 0);
      if (report.failed > 0) process.exitCode = 1;
    });
  return messages;
}

function tryConfig() {
  try {
    return loadConfig();
  } catch {
    return undefined;
  }
}

function printTable(report: CheckReport, failuresShown: number): void {
  const table = new Table({ head: ['check', 'messages', 'passed', 'failed', 'passing'], style: { head: [], border: [] } });
  for (const c of CHECKS) {
    const t = report.byCheck[c];
    table.push([c, t.total, t.passed, t.failed, `${percent(t.passed, t.total)} %`]);
  }
  table.push(['every check', report.total, report.passed, report.failed, `${percent(report.passed, report.total)} %`]);
  console.log(table.toString());
  console.log(`${report.passed} of ${report.total} messages pass every check (${percent(report.passed, report.total)} %).`);
  if (report.failures.length === 0 || failuresShown === 0) return;
  console.log(`\nFailing messages (${Math.min(failuresShown, report.failures.length)} of ${report.failures.length}):`);
  for (const f of report.failures.slice(0, failuresShown)) {
    const k = f.key;
    console.log(`- ${k.scenario}/${k.phase} [${k.variant}] ${k.audience} ${k.locale} ${k.channel}`);
    for (const x of f.failures) console.log(`    ${x.check}: ${x.reason}`);
  }
}

function printJson(report: CheckReport): void {
  for (const f of report.failures) console.log(JSON.stringify(f));
  const byCheck = Object.fromEntries(CHECKS.map((c) => [c, report.byCheck[c]]));
  console.log(JSON.stringify({ total: report.total, passed: report.passed, failed: report.failed, byCheck }));
}
