import { Command } from 'commander';

// The `herald` command. A command's module is loaded only when that command runs or shows its own
// help, so `herald --help` and a short command do not load what the others need (Temporal's client,
// the plan schema, the store, the AWS SDK). The summaries are what `herald --help` lists.

interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

const COMMANDS: CommandEntry[] = [
  {
    name: 'plan',
    summary: 'work with the communication plan',
    load: async () => (await import('./commands/plan')).planCommand(),
  },
  {
    name: 'incident',
    summary: 'declare and drive incidents',
    load: async () => (await import('./commands/incident')).incidentCommand(),
  },
  {
    name: 'maintenance',
    summary: 'schedule and drive maintenance windows',
    load: async () => (await import('./commands/maintenance')).maintenanceCommand(),
  },
  {
    name: 'preview',
    summary: 'render a message template with sample data (GET /v1/preview)',
    load: async () => (await import('./commands/preview')).previewCommand(),
  },
  {
    name: 'export',
    summary: 'print edge configuration (JSON) that points at the published status and error pages',
    load: async () => (await import('./commands/export')).exportCommand(),
  },
  {
    name: 'subscribers',
    summary: 'import and export subscribers (the store: HERALD_DATABASE_URL or $HERALD_DATA_DIR/herald.db)',
    load: async () => (await import('./commands/subscribers')).subscribersCommand(),
  },
  {
    name: 'drill',
    summary: 'rehearse the communication plan: drills in a test environment, time-compressed, with a report',
    load: async () => (await import('./commands/drill')).drillCommand(),
  },
  {
    name: 'publish',
    summary: "publish the status page's snapshot to every target (the public directory and the S3 buckets)",
    load: async () => (await import('./commands/publish')).publishCommand(),
  },
  {
    name: 'messages',
    summary: 'what customers read: render and check every message',
    load: async () => (await import('./commands/messages')).messagesCommand(),
  },
];

/** The program with the named command loaded and every other one listed by its summary. */
async function heraldProgram(wanted: string | undefined): Promise<Command> {
  const program = new Command().name('herald').description('Herald: outage communication as durable Temporal workflows');
  for (const entry of COMMANDS) {
    if (entry.name === wanted) program.addCommand((await entry.load()).summary(entry.summary));
    else program.command(entry.name).summary(entry.summary);
  }
  // Every command, however it was added, exits 2 on usage errors and shows help.
  (function usageErrorsExit2(cmd: Command) {
    cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2)).showHelpAfterError();
    cmd.commands.forEach(usageErrorsExit2);
  })(program);
  return program;
}

async function main() {
  // `herald <command> …` or `herald help <command>`: the program has no options of its own before a command.
  const [first, second] = process.argv.slice(2);
  const program = await heraldProgram(first === 'help' ? second : first);
  await program.parseAsync(process.argv);
}

main().catch((err: unknown) => {
  console.error(`herald: ${(err as Error).message}`);
  process.exit(1);
});
