import { Command } from 'commander';
import { planCommand } from './commands/plan';
import { incidentCommand } from './commands/incident';
import { maintenanceCommand } from './commands/maintenance';
import { previewCommand } from './commands/preview';
import { exportCommand } from './commands/export';
import { subscribersCommand } from './commands/subscribers';
import { drillCommand } from './commands/drill';
import { publishCommand } from './commands/publish';
import { messagesCommand } from './commands/messages';

const program = new Command()
  .name('herald')
  .description('Herald: outage communication as durable Temporal workflows')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program.addCommand(planCommand());
program.addCommand(incidentCommand());
program.addCommand(maintenanceCommand());
program.addCommand(previewCommand());
program.addCommand(exportCommand());
program.addCommand(subscribersCommand());
program.addCommand(drillCommand());
program.addCommand(publishCommand());
program.addCommand(messagesCommand());

// Add commands above. Every command, however it was added, exits 2 on usage errors and shows help.
(function usageErrorsExit2(cmd: Command) {
  cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2)).showHelpAfterError();
  cmd.commands.forEach(usageErrorsExit2);
})(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`herald: ${(err as Error).message}`);
  process.exit(1);
});
