// `plaud-sync recover-ledger`: the explicit way out of "the sync ledger file ... is damaged". Salvages
// every readable record into a clean ledger and keeps the damaged files byte for byte beside it.
import type { Command } from 'commander';
import { ledgerDir, recoverLedger, LedgerLockedError } from '../../sync/ledger/index.js';
import { addStateDirOption, resolveStateDir } from '../engine-context.js';

export function register(program: Command): void {
  addStateDirOption(program.command('recover-ledger'))
    .description('rebuild a damaged sync ledger from every readable record, keeping the damaged files')
    .option('--json', 'print one JSON object')
    .action(async (flags: { stateDir?: string; json?: boolean }) => {
      let report;
      try {
        report = await recoverLedger(ledgerDir(resolveStateDir(flags)));
      } catch (err) {
        if (err instanceof LedgerLockedError) throw new Error(`${err.message} Stop the app or daemon before recovering the ledger.`);
        throw err;
      }
      if (flags.json) {
        process.stdout.write(JSON.stringify(report) + '\n');
        return;
      }
      const lines = [`Recovered ${report.records} recording(s) into a clean ledger.`];
      if (report.dropped.length) {
        lines.push(`${report.dropped.length} damaged line(s) could not be used:`);
        for (const d of report.dropped.slice(0, 20)) lines.push(`  ${d.file} line ${d.line}: ${d.reason}`);
        if (report.dropped.length > 20) lines.push(`  ... and ${report.dropped.length - 20} more (see --json)`);
      }
      if (report.keptFiles.length) lines.push(`The damaged files were kept as: ${report.keptFiles.join(', ')}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
