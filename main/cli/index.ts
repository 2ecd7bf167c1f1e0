// The headless entry: `plaud-sync <command>`. Every command runs the same engine as the app.
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

/** Build the program; each command lives in its own module under ./commands. */
export async function buildProgram(): Promise<Command> {
  const program = new Command('plaud-sync')
    .description('Sync Plaud voice recorders to a local library and the Plaud cloud.')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  const commands = await Promise.all([
    // One line per command module; each exports register(program).
    import('./commands/push.js'),
    import('./commands/sync.js'),
    import('./commands/watch.js'),
    import('./commands/status.js'),
    import('./commands/retry.js'),
    import('./commands/devices.js'),
    import('./commands/pull.js'),
    import('./commands/recover-ledger.js'),
    import('./commands/upload-newer-version.js'),
  ] as Promise<{ register(p: Command): void }>[]);
  for (const c of commands) c.register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    throw err;
  }
}
