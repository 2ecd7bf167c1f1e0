// `plaud-sync recover-ledger`: the explicit way out of "the sync ledger file ... is damaged". Salvages
// every readable record into a clean ledger and keeps the damaged files byte for byte beside it, then puts back what
// the
// library's manifests know that the ledger lost (the library is the second source of truth), and says what the next
// sync will do.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ledgerDir, openLedger, recoverLedger, LedgerLockedError } from '../../sync/ledger/index.js';
import { KnownDevices } from '../../sync/engine/known-devices.js';
import { restoreFromLibrary, type RestoreReport } from '../../sync/engine/restore-from-library.js';
import { followLibraryLayout, migrateLibraryIfNeeded } from '../../sync/engine/library-layout.js';
import { defaultLibraryDir } from '../../sync/paths.js';
import { readSettings } from '../../sync/settings-file.js';
import { addStateDirOption, libraryNamesSetting, resolveStateDir } from '../state-dir.js';

export function register(program: Command): void {
  addStateDirOption(program.command('recover-ledger'))
    .description('rebuild a damaged sync ledger from every readable record, keeping the damaged files')
    .option(
      '--library <dir>',
      'the library whose manifests fill in what the ledger lost (default: the library setting)',
    )
    .option('--json', 'print one JSON object')
    .action(async (flags: { stateDir?: string; library?: string; json?: boolean }) => {
      const stateDir = resolveStateDir(flags);
      let recovered;
      let restored: RestoreReport;
      try {
        // A ledger folder that is gone entirely is rebuilt from the library alone.
        fs.mkdirSync(ledgerDir(stateDir), { recursive: true, mode: 0o700 });
        recovered = await recoverLedger(ledgerDir(stateDir));
        const libraryDir = path.resolve(flags.library ?? readSettings(stateDir, defaultLibraryDir()).libraryDir);
        const ledger = await openLedger(ledgerDir(stateDir));
        try {
          const known = new KnownDevices(stateDir);
          const snTypeOf = (sn: string) => known.list().find((k) => k.sn === sn)?.sn_type;
          // A library from before readable names is moved first, so its manifests are where restore looks.
          await migrateLibraryIfNeeded(libraryDir, { snTypeOf, nameTemplate: libraryNamesSetting(stateDir) });
          restored = await restoreFromLibrary(ledger, libraryDir, snTypeOf);
          await followLibraryLayout(ledger, libraryDir);
        } finally {
          ledger.close();
        }
      } catch (err) {
        if (err instanceof LedgerLockedError)
          throw new Error(`${err.message} Stop the app or daemon before recovering the ledger.`);
        throw err;
      }
      const report = {
        ...recovered,
        records: recovered.records + restored.restoredSynced + restored.restoredToUpload,
        restoredFromLibrary: { synced: restored.restoredSynced, toUpload: restored.restoredToUpload },
        nextSync: { upload: restored.restoredToUpload, alreadyInCloud: restored.restoredSynced },
      };
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
      if (restored.restoredSynced)
        lines.push(
          `${restored.restoredSynced} recording(s) the library says are in the cloud were put back as synced: they will not be uploaded again.`,
        );
      if (restored.restoredToUpload)
        lines.push(
          `${restored.restoredToUpload} recording(s) in the library with no cloud copy on record were put back: the next sync uploads each once.`,
        );
      lines.push(
        restored.restoredToUpload
          ? `Next sync: uploads ${restored.restoredToUpload} recording(s), and copies whatever new is on the recorder.`
          : 'Next sync: uploads nothing already in the cloud, and copies whatever new is on the recorder.',
      );
      process.stdout.write(lines.join('\n') + '\n');
    });
}
