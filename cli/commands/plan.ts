import { resolve } from 'node:path';
import { Command } from 'commander';
import { formatProblem, InvalidPlanError, loadPlan } from '../../core/plan/load';

export function planCommand(): Command {
  const plan = new Command('plan').description('work with the communication plan');
  plan
    .command('check')
    .description('validate a plan file and print every problem with its place in the file')
    .argument('[file]', 'plan file', 'plans/example.yaml')
    .option('--templates <dir>', 'templates directory (default: the bundled templates/)')
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: { templates?: string; json?: boolean }) => {
      const path = resolve(file);
      try {
        const p = loadPlan(path, opts.templates ? resolve(opts.templates) : undefined);
        const summary = {
          file: path,
          valid: true,
          scenarios: Object.keys(p.scenarios),
          components: p.components.length,
          audiences: p.audiences.length,
        };
        console.log(
          opts.json
            ? JSON.stringify(summary)
            : `${file}: valid (${summary.scenarios.length} scenarios: ${summary.scenarios.join(', ')}; ${summary.components} components; ${summary.audiences} audiences)`,
        );
      } catch (err) {
        if (!(err instanceof InvalidPlanError)) throw err;
        if (opts.json) console.log(JSON.stringify({ file: path, valid: false, problems: err.problems }));
        else {
          console.error(`${file}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`);
          for (const p of err.problems) console.error(`  ${formatProblem(p)}`);
        }
        process.exitCode = 1;
      }
    });
  return plan;
}
