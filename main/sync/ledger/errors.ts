// Errors the ledger reports. Each message says in plain words what happened, where, and what the
// user can do; the fields carry the same facts for programs (status --json, the problems list).
import { errnoMeaning } from '../errno-words.js';

/** The plain words for a system error, or its own message for one the table does not know. */
function why(cause: unknown): string {
  return errnoMeaning(cause)?.words ?? (cause as Error | undefined)?.message ?? String(cause);
}

/** A state file is damaged. Nothing was changed or deleted; recover() salvages what is readable. */
export class LedgerCorruptError extends Error {
  override name = 'LedgerCorruptError';
  readonly code: string = 'LEDGER_CORRUPT';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(
      `The sync ledger file ${file} is damaged${line !== undefined ? ` at line ${line}` : ''}: ${reason}. ` +
        `Nothing was changed or deleted. Run "plaud-sync recover-ledger" (with the app and daemon stopped) to salvage ` +
        `every readable record; it keeps the damaged file as it is.`,
    );
  }
}

/** The files were written by a newer Plaud Sync. They are left untouched. */
export class LedgerVersionError extends LedgerCorruptError {
  override name = 'LedgerVersionError';
  override readonly code = 'LEDGER_FUTURE_VERSION';
  constructor(
    file: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      file,
      1,
      `it has format version ${found}, written by a newer Plaud Sync (this version reads up to ${supported}); update Plaud Sync`,
    );
    this.message =
      `The sync ledger file ${file} was written by a newer version of Plaud Sync (format ${found}; this version reads up to ${supported}). ` +
      `Update Plaud Sync. Nothing was changed or deleted.`;
  }
}

/** Another live process holds the ledger. */
export class LedgerLockedError extends Error {
  override name = 'LedgerLockedError';
  readonly code = 'LEDGER_LOCKED';
  constructor(
    readonly lockFile: string,
    readonly pid: number,
    readonly holder: string,
  ) {
    super(
      `The sync ledger is in use by another Plaud Sync process (${holder}, pid ${pid}). ` +
        `Only one of the app and the plaud-sync daemon can sync at a time: quit the other one and try again. ` +
        `(Lock file: ${lockFile}; if no such process is running, delete it.)`,
    );
  }
}

/** A write did not reach the disk (full disk, I/O error). The change was not made. */
export class LedgerWriteError extends Error {
  override name = 'LedgerWriteError';
  readonly code = 'LEDGER_WRITE_FAILED';
  constructor(
    readonly file: string,
    override readonly cause: unknown,
  ) {
    super(
      `Could not save the sync ledger (${file}): ${why(cause)}. The last change was not saved; free some space or fix the disk, then restart.`,
    );
  }
}

/** The ledger folder cannot be created or written (permissions, read-only disk, a file in the way). */
export class LedgerUnavailableError extends Error {
  override name = 'LedgerUnavailableError';
  readonly code = 'LEDGER_UNAVAILABLE';
  constructor(
    readonly dir: string,
    override readonly cause: unknown,
  ) {
    super(
      `Cannot open the sync ledger in ${dir}: ${why(cause)}. Choose another state folder (--state-dir or PLAUD_SYNC_STATE) or fix its permissions.`,
    );
  }
}
