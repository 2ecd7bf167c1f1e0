// The headless entry: `plaud-sync <command>`. Every command runs the same engine as the app.
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { redactString } from '../sync/log.js';
import { UsageError } from './common.js';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

/** Each command lives in its own module under ./commands, which exports register(program). */
const COMMANDS: Record<string, () => Promise<{ register(p: Command): void }>> = {
  push: () => import('./commands/push.js'),
  sync: () => import('./commands/sync.js'),
  watch: () => import('./commands/watch.js'),
  status: () => import('./commands/status.js'),
  retry: () => import('./commands/retry.js'),
  devices: () => import('./commands/devices.js'),
  pull: () => import('./commands/pull.js'),
  'recover-ledger': () => import('./commands/recover-ledger.js'),
  'upload-newer-version': () => import('./commands/upload-newer-version.js'),
};

/** Asking only for the version needs no command: loading them all cost a second of CPU just to print it. */
const VERSION_FLAGS = new Set(['-V', '--version']);

/**
 * Build the program. Given the command line, only the command being run is loaded: loading all of them (and all
 * their dependencies) cost over a second before a recorder's first byte was read. Help and an unknown command load
 * them all, so the list and the error are complete; --version alone loads none.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('plaud-sync')
    .description('Sync Plaud voice recorders to a local library and the Plaud cloud.')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  const name = argv?.[2];
  const only =
    name !== undefined && Object.hasOwn(COMMANDS, name)
      ? [COMMANDS[name]!]
      : name !== undefined && VERSION_FLAGS.has(name) && argv!.length === 3
        ? []
        : Object.values(COMMANDS);
  const commands = await Promise.all(only.map((load) => load()));
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
  const program = await buildProgram(argv);
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
