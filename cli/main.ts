import { Command } from 'commander';
import { planCommand } from './commands/plan';

const program = new Command()
  .name('herald')
  .description('Herald: outage communication as durable Temporal workflows')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program.addCommand(planCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`herald: ${(err as Error).message}`);
  process.exit(1);
});
