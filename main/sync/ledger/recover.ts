// Explicit recovery for a damaged ledger: salvage every readable record, keep the damaged files
// byte for byte under a timestamped name, and write a clean ledger from what was salvaged.
// Never run automatically: the user (or the CLI) asks for it after seeing LedgerCorruptError.
import fs from 'node:fs';
import path from 'node:path';
import { nullLogger, type Logger } from '../log.js';
import { acquireLock } from './lock.js';
import {
  JOURNAL_FILE,
  SNAPSHOT_FILE,
  journalHeader,
  loadFiles,
  rekeyFormat1,
  snapshotBuffers,
  writeFileAtomic,
  fsyncDir,
  type Problem,
} from './store.js';

export interface RecoverReport {
  /** Records in the rebuilt ledger. */
  records: number;
  /** Lines that could not be used, with where and why. */
  dropped: Problem[];
  /** The damaged originals, kept as they were. */
  keptFiles: string[];
}

export async function recoverLedger(
  dir: string,
  opts: { logger?: Logger; now?: () => number } = {},
): Promise<RecoverReport> {
  const logger = opts.logger ?? nullLogger;
  const now = (opts.now ?? Date.now)();
  const lock = acquireLock(dir, logger);
  try {
    // A file from a newer version throws here: salvaging it would throw away what we cannot read.
    const loaded = loadFiles(dir, logger, 'salvage');
    if (loaded.fileVersion < 2) rekeyFormat1(loaded, logger);
    const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
    const keptFiles: string[] = [];
    for (const f of [SNAPSHOT_FILE, JOURNAL_FILE]) {
      const p = path.join(dir, f);
      if (!fs.existsSync(p)) continue;
      const kept = `${p}.damaged-${stamp}`;
      fs.copyFileSync(p, kept, fs.constants.COPYFILE_EXCL);
      keptFiles.push(kept);
    }
    fsyncDir(dir);
    writeFileAtomic(dir, SNAPSHOT_FILE, snapshotBuffers(loaded.records.values(), loaded.seq, now));
    writeFileAtomic(dir, JOURNAL_FILE, journalHeader(loaded.seq, now));
    logger.warn('ledger: recovered a damaged ledger', {
      records: loaded.records.size,
      dropped: loaded.problems.length,
      keptFiles,
    });
    return { records: loaded.records.size, dropped: loaded.problems, keptFiles };
  } finally {
    lock.release();
  }
}
