// `plaud-sync retry [ID | --all-failed]`: put failed recordings back to work; the next `sync`, the
// daemon or the app picks them up.
import type { Command } from 'commander';
import { ledgerDir, openLedger, LedgerLockedError } from '../../sync/ledger/index.js';
import { retryFailed } from '../../sync/engine/retry.js';
import { UsageError } from '../common.js';
import { addStateDirOption, resolveStateDir } from '../engine-context.js';

export function register(program: Command): void {
  addStateDirOption(program.command('retry'))
    .description('retry one failed recording by id, or every failed one with --all-failed')
    .argument('[id]', 'recording id (see status --json)')
    .option('--all-failed', 'retry every failed recording')
    .option('--json', 'print one JSON object')
    .action(async (id: string | undefined, flags: { stateDir?: string; allFailed?: boolean; json?: boolean }) => {
      if (!id && !flags.allFailed) throw new UsageError('Name a recording id, or use --all-failed.');
      let ledger;
      try {
        ledger = await openLedger(ledgerDir(resolveStateDir(flags)));
      } catch (err) {
        if (err instanceof LedgerLockedError)
          throw new Error(`${err.message} Use Retry in the running app or daemon, or stop it first.`);
        throw err;
      }
      try {
        const ids = retryFailed(ledger, id);
        if (flags.json) process.stdout.write(JSON.stringify({ retried: ids }) + '\n');
        else
          process.stdout.write(
            ids.length
              ? `${ids.length} recording(s) will be tried again on the next sync.\n`
              : 'Nothing to retry: no failed recordings.\n',
          );
      } finally {
        ledger.close();
      }
    });
}
