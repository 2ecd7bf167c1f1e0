// The headless entry: `plaud-sync <command>`. Every command runs the same engine as the app.
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { redactString } from '../sync/log.js';
import { UsageError } from './common.js';

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

/** Exit code of a usage error (unknown option, invalid choice, missing argument), as the README promises. */
export const EXIT_USAGE = 2;

/**
 * Run the CLI. Commander reports usage errors with exit code 1; scripts are promised 2, so every CommanderError that
 * is not help or --version becomes 2. Any other failure is printed in one redacted line and exits 1.
 */
export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    if (err instanceof UsageError) {
      process.stderr.write(redactString(`plaud-sync: ${err.message}`) + '\n');
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(redactString(`plaud-sync: ${err instanceof Error ? err.message : String(err)}`) + '\n');
    process.exitCode = 1;
  }
}
