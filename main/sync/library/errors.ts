import { statfs } from 'node:fs/promises';
import { errnoCode, errnoMeaning } from '../errno-words.js';

// Every failure of a pull becomes a LibraryError: a code to branch on and a message to show as is.
export type LibraryErrorCode =
  | 'DISK_FULL' // the library disk has no room
  | 'DEVICE_GONE' // the recorder disappeared mid-read (unplugged, unmounted)
  | 'LIBRARY_UNWRITABLE' // permissions, read-only disk
  | 'OUTSIDE_LIBRARY' // a destination resolved outside the library (refused)
  | 'SOURCE_CHANGED' // the file on the recorder changed while it was copied
  | 'VERIFY_FAILED' // the copy read back differs from what was read from the recorder
  | 'CONFLICT' // the library already holds a different verified copy of this recording
  | 'NO_SERIAL' // the device has no usable serial, so its recordings cannot be filed
  | 'BAD_RECORDING' // the recording's audio cannot be turned into an upload file
  | 'ABORTED'
  | 'IO';

export class LibraryError extends Error {
  readonly code: LibraryErrorCode;
  constructor(code: LibraryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LibraryError';
    this.code = code;
  }
}

/** The cause in brackets: the table's words and the code where it knows the code, else whatever the error says. */
function cause(err: unknown): string {
  const m = errnoMeaning(err);
  return m ? `${m.words}, ${m.code}` : (errnoCode(err) ?? (err as Error)?.message ?? String(err));
}

/** An error while reading from the recorder. */
export function sourceError(err: unknown, what: string): LibraryError {
  if (err instanceof LibraryError) return err;
  const code = errnoCode(err);
  if (code === 'ABORT_ERR') return new LibraryError('ABORTED', `Copying ${what} was cancelled.`, { cause: err });
  // Mid-read, a file that vanished means the recorder's volume went (its folders were listed a moment ago).
  const gone = errnoMeaning(err, ['device-gone', 'missing']);
  if (gone) {
    return new LibraryError(
      'DEVICE_GONE',
      `The recorder went away while ${what} was being read (${gone.code}). Nothing incomplete was kept; plug it in again and the copy resumes.`,
      { cause: err },
    );
  }
  return new LibraryError('IO', `Could not read ${what} from the recorder (${cause(err)}).`, { cause: err });
}

/** An error while writing into the library. */
export function libraryWriteError(err: unknown, libraryDir: string, what: string): LibraryError {
  if (err instanceof LibraryError) return err;
  const code = errnoCode(err);
  if (code === 'ABORT_ERR') return new LibraryError('ABORTED', `Copying ${what} was cancelled.`, { cause: err });
  const meaning = errnoMeaning(err, ['disk-full', 'permission', 'read-only']);
  if (meaning?.kind === 'disk-full') {
    return new LibraryError(
      'DISK_FULL',
      `The library disk is full (${libraryDir}): ${what} did not fit. Nothing incomplete was kept; free some space or choose another library folder, then pull again.`,
      { cause: err },
    );
  }
  if (meaning) {
    return new LibraryError(
      'LIBRARY_UNWRITABLE',
      `The library folder ${libraryDir} cannot be written: ${meaning.words} (${meaning.code}). Check its permissions or choose another folder.`,
      { cause: err },
    );
  }
  return new LibraryError('IO', `Could not write ${what} into the library ${libraryDir} (${cause(err)}).`, {
    cause: err,
  });
}

/**
 * A write that failed after the file was created and written to. ENOSPC is the normal signal of a full disk, but
 * some filesystems answer otherwise (fusefat answers EPERM when it runs out of clusters): a permission error in the
 * middle of a file we created is a full disk unless the disk reports room to spare.
 */
export async function midWriteError(
  err: unknown,
  libraryDir: string,
  what: string,
  statDir: string,
): Promise<LibraryError> {
  const code = errnoCode(err);
  if (errnoMeaning(err, ['permission']) || code === 'EIO') {
    let roomy = false;
    try {
      const st = await statfs(statDir);
      roomy = st.blocks > 0 && st.bavail * st.bsize > 8 * 1024 * 1024;
    } catch {
      /* unknown: treat as full */
    }
    if (!roomy)
      return libraryWriteError(
        Object.assign(new Error(`ENOSPC (reported as ${code})`), { code: 'ENOSPC', cause: err }),
        libraryDir,
        what,
      );
  }
  return libraryWriteError(err, libraryDir, what);
}

/** True for errors after which the rest of a pull cannot succeed either (stop instead of trying the next one). */
export function isFatalPullError(err: LibraryError): boolean {
  return (
    err.code === 'DISK_FULL' ||
    err.code === 'DEVICE_GONE' ||
    err.code === 'LIBRARY_UNWRITABLE' ||
    err.code === 'ABORTED' ||
    err.code === 'NO_SERIAL'
  );
}
