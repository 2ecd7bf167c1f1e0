// The one table that turns a system error code (ENOSPC, EACCES, EIO, ...) into plain words and a kind to branch on.
// Every error message that names a failed read or write takes its words from here, so one cause reads the same in
// the library, the ledger and the upload file. The callers differ on purpose in which kinds they may name: a caller
// passes `kinds` when a code outside them would be a wrong explanation in its context (the upload-file writer names
// only what a write can hit, because its errors also carry reads of the source). Their message shapes stay their own.

export type ErrnoKind =
  | 'disk-full' // no room: space, quota, or a file too large for the filesystem
  | 'permission' // the system refused the access
  | 'read-only' // the disk cannot be written at all
  | 'device-gone' // the disk or recorder went away under us (unplugged, unmounted, failing)
  | 'missing' // the file or folder is not there (on a recorder mid-read: a sign it was unmounted)
  | 'in-the-way'; // a file stands where a folder must be

export interface ErrnoMeaning {
  code: string;
  kind: ErrnoKind;
  /** Lower case words that fit after "because" or a colon: "the disk is full". */
  words: string;
}

const TABLE: Record<string, { kind: ErrnoKind; words: string }> = {
  ENOSPC: { kind: 'disk-full', words: 'the disk is full' },
  EDQUOT: { kind: 'disk-full', words: 'the disk quota is used up' },
  EFBIG: { kind: 'disk-full', words: 'the file is too large for this disk' },
  EACCES: { kind: 'permission', words: 'permission denied' },
  EPERM: { kind: 'permission', words: 'permission denied' },
  EROFS: { kind: 'read-only', words: 'the disk is read-only' },
  EIO: { kind: 'device-gone', words: 'the disk reported an i/o error (it may have been unplugged or be failing)' },
  ENOTCONN: { kind: 'device-gone', words: 'the disk is no longer connected' },
  ENXIO: { kind: 'device-gone', words: 'the device is no longer there' },
  ENODEV: { kind: 'device-gone', words: 'the device is no longer there' },
  ESTALE: { kind: 'device-gone', words: 'the disk was unmounted or replaced' },
  ECONNABORTED: { kind: 'device-gone', words: 'the connection to the disk was cut' },
  EBADF: { kind: 'device-gone', words: 'the open file was lost (the disk may have been unmounted)' },
  ENOENT: { kind: 'missing', words: 'the file or folder is not there' },
  ENOTDIR: { kind: 'in-the-way', words: 'a file is in the way of the folder' },
  EEXIST: { kind: 'in-the-way', words: 'a file is in the way of the folder' },
};

/** The code of a Node system error, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What a system error means in plain words, or undefined for a code the table (or the given kinds) does not cover. */
export function errnoMeaning(err: unknown, kinds?: readonly ErrnoKind[]): ErrnoMeaning | undefined {
  const code = errnoCode(err);
  const row = code !== undefined && Object.hasOwn(TABLE, code) ? TABLE[code] : undefined;
  if (!code || !row || (kinds && !kinds.includes(row.kind))) return undefined;
  return { code, ...row };
}
