import { Command } from 'commander';
import { planCommand } from './commands/plan';
import { exportCommand } from './commands/export';
import { subscribersCommand } from './commands/subscribers';

const program = new Command()
  .name('herald')
  .description('Herald: outage communication as durable Temporal workflows')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program.addCommand(planCommand());
program.addCommand(exportCommand());
program.addCommand(subscribersCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`herald: ${(err as Error).message}`);
  process.exit(1);
});
