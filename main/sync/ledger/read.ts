// Read-only access without the lock, for `plaud-sync status` while the app or daemon is running.
// A writer may be mid-append (torn last line: dropped, as on any load) or mid-compaction (the new
// snapshot renamed in, the old journal not yet replaced, or the reverse order seen by a slow reader):
// a load that looks damaged is retried a few times before it is reported.
import { nullLogger, type Logger } from '../log.js';
import { LedgerCorruptError, LedgerVersionError } from './errors.js';
import { LazyRecord, loadFiles, materialize, rekeyFormat1 } from './store.js';
import type { LedgerRecord } from './types.js';

export async function readLedger(
  dir: string,
  opts: { logger?: Logger; attempts?: number } = {},
): Promise<LedgerRecord[]> {
  const attempts = opts.attempts ?? 5;
  for (let i = 1; ; i++) {
    try {
      const loaded = loadFiles(dir, nullLogger, 'strict');
      // An older ledger not yet opened by this version reads as it will be after its migration.
      if (loaded.fileVersion < 2) rekeyFormat1(loaded, nullLogger);
      return [...loaded.records.values()].map((s) => (s instanceof LazyRecord ? materialize(s) : s));
    } catch (err) {
      if (!(err instanceof LedgerCorruptError) || err instanceof LedgerVersionError || i >= attempts) throw err;
      (opts.logger ?? nullLogger).debug('ledger: read raced a writer, retrying', { attempt: i, reason: err.reason });
      await new Promise((r) => setTimeout(r, 40 * i));
    }
  }
}
