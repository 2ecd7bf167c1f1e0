// Copy one file from the recorder into the library so that a file with the final name is always complete and
// verified: write to a hidden temp name, hash the bytes as they are read (one read of the source: MD5 for the
// manifest, the ledger and complete-upload's file_md5, plus CRC-32), fsync, check the size, read the copy back and
// compare its CRC-32 with the source's, then rename into place and fsync the directory.
// The read-back uses CRC-32 rather than a second MD5: it detects any accidental difference just as surely and costs
// a tenth of the CPU, which keeps a pull close to the speed of a plain `cp`.
// Write-back is started every WRITEBACK_BYTES (datasync in the background) so the final fsync does not wait for the
// whole file. Any failure removes the temp file, so nothing half-written ever carries a final name.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { BufferPool } from '../buffer-pool.js';
import { LibraryError, libraryWriteError, midWriteError, sourceError } from './errors.js';
import type { ReadTurns } from './read-turns.js';

export const COPY_CHUNK_BYTES = 1024 * 1024;
/** Copy chunks: two per copy in flight (up to three recordings) plus read-backs. */
const chunks = new BufferPool(8);
/** Start flushing to disk after this many bytes, while reading goes on. */
export const WRITEBACK_BYTES = 16 * 1024 * 1024;
/** Temp files are `.<final name>.<random>.part`: hidden, and never mistaken for a finished file. */
export const PART_SUFFIX = '.part';

export interface CopyOptions {
  libraryDir: string;
  /** What the user would call this file, for messages ("NOTES/20240301/1709280000.WAV"). */
  label: string;
  /** Size the scan saw; the copy must match it (a change means the file changed on the recorder). */
  expectedSize?: number;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  /** Wait for a turn before reading the source and hand it back once the last byte is read. */
  readTurns?: Pick<ReadTurns, 'take'>;
  /**
   * fsync the folder after the rename (default true). A caller that writes and fsyncs another file in the same
   * folder right after (the pull's manifest) turns it off: that one folder fsync makes both renames durable.
   */
  syncDir?: boolean;
}

export interface CopyResult {
  path: string;
  size: number;
  md5: string;
}

export function tempNameFor(dest: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(4).toString('hex')}${PART_SUFFIX}`);
}

async function readFull(fh: fs.FileHandle, buf: Buffer, pos: number): Promise<number> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** CRC-32 of a file, read in chunks. */
export async function crc32File(file: string, signal?: AbortSignal): Promise<{ size: number; crc: number }> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = chunks.take(COPY_CHUNK_BYTES, COPY_CHUNK_BYTES);
    let pos = 0;
    let crc = 0;
    for (;;) {
      signal?.throwIfAborted();
      const n = await readFull(fh, buf, pos);
      if (n === 0) break;
      crc = crc32(buf.subarray(0, n), crc);
      pos += n;
    }
    chunks.give(buf);
    return { size: pos, crc };
  } finally {
    await fh.close();
  }
}

/** MD5 of a file, read in chunks. */
export async function md5File(file: string, signal?: AbortSignal): Promise<{ size: number; md5: string }> {
  const fh = await fs.open(file, 'r');
  try {
    const hash = createHash('md5');
    const buf = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
    let pos = 0;
    for (;;) {
      signal?.throwIfAborted();
      const n = await readFull(fh, buf, pos);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      pos += n;
    }
    return { size: pos, md5: hash.digest('hex') };
  } finally {
    await fh.close();
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  // Directory fsync makes the rename durable; some filesystems (and Windows) refuse it, which is fine.
  try {
    const fh = await fs.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

export async function copyVerified(src: string, dest: string, opts: CopyOptions): Promise<CopyResult> {
  const tmp = tempNameFor(dest);
  const { libraryDir, label, signal } = opts;
  let input: fs.FileHandle | undefined;
  let output: fs.FileHandle | undefined;
  let releaseTurn: (() => void) | undefined;
  try {
    signal?.throwIfAborted();
    releaseTurn = await opts.readTurns?.take(signal);
    try {
      input = await fs.open(src, 'r');
    } catch (err) {
      throw sourceError(err, label);
    }
    try {
      output = await fs.open(tmp, 'wx');
    } catch (err) {
      throw libraryWriteError(err, libraryDir, label);
    }
    const hash = createHash('md5');
    let crc = 0;
    let flushing: Promise<void> | undefined;
    let flushError: unknown;
    let sinceFlush = 0;
    // Two buffers: the next read runs while the current chunk is hashed and written.
    let cur = chunks.take(COPY_CHUNK_BYTES, COPY_CHUNK_BYTES);
    let spare = chunks.take(COPY_CHUNK_BYTES, COPY_CHUNK_BYTES);
    let pos = 0;
    const inFh = input;
    const outFh = output;
    const readAt = (b: Buffer, p: number) =>
      readFull(inFh, b, p).catch((err: unknown) => Promise.reject(sourceError(err, label)));
    let pending = readAt(cur, 0);
    for (;;) {
      const n = await pending;
      if (n === 0) break;
      signal?.throwIfAborted();
      hash.update(cur.subarray(0, n));
      crc = crc32(cur.subarray(0, n), crc);
      pending = readAt(spare, pos + n);
      // Keep the pending read from becoming an unhandled rejection if the write below throws first.
      pending.catch(() => {});
      let written = 0;
      try {
        while (written < n) {
          const { bytesWritten } = await outFh.write(cur, written, n - written, pos + written);
          written += bytesWritten;
        }
      } catch (err) {
        throw await midWriteError(err, libraryDir, label, path.dirname(dest));
      }
      pos += n;
      sinceFlush += n;
      if (sinceFlush >= WRITEBACK_BYTES && !flushing) {
        sinceFlush = 0;
        flushing = outFh.datasync().then(
          () => void (flushing = undefined),
          (err: unknown) => void ((flushError = err), (flushing = undefined)),
        );
      }
      if (flushError) throw await midWriteError(flushError, libraryDir, label, path.dirname(dest));
      opts.onBytes?.(n);
      [cur, spare] = [spare, cur];
    }
    // Everything from here on works on the library copy: let the next file's read start.
    releaseTurn?.();
    // The read loop ran to its end, so no read is still filling either buffer. (On the error paths they are
    // left to the garbage collector: a read may still be in flight there.)
    chunks.give(cur);
    chunks.give(spare);
    await input.close().catch(() => {});
    input = undefined;
    const md5 = hash.digest('hex');
    try {
      await flushing;
      if (flushError) throw flushError;
      await outFh.sync();
      await outFh.close();
      output = undefined;
    } catch (err) {
      throw await midWriteError(err, libraryDir, label, path.dirname(dest));
    }
    // Did the source stay the size the scan saw? (It could not grow unnoticed: we read to its end.)
    if (opts.expectedSize !== undefined && pos !== opts.expectedSize) {
      throw new LibraryError(
        'SOURCE_CHANGED',
        `${label} changed on the recorder while it was copied (expected ${opts.expectedSize} bytes, read ${pos}); it will be copied again on the next pull.`,
      );
    }
    // Verify: the bytes in the library must be the bytes read from the recorder.
    let back;
    try {
      back = await crc32File(tmp, signal);
    } catch (err) {
      throw libraryWriteError(err, libraryDir, label);
    }
    if (back.size !== pos || back.crc !== crc) {
      throw new LibraryError(
        'VERIFY_FAILED',
        `The library copy of ${label} does not match what was read from the recorder (read back ${back.size} bytes, CRC ${back.crc.toString(16)}; expected ${pos} bytes, CRC ${crc.toString(16)}). It was discarded; the library disk may be failing.`,
      );
    }
    try {
      await fs.rename(tmp, dest);
    } catch (err) {
      throw libraryWriteError(err, libraryDir, label);
    }
    if (opts.syncDir !== false) await fsyncDir(path.dirname(dest));
    return { path: dest, size: pos, md5 };
  } catch (err) {
    await output?.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    if (err instanceof LibraryError) throw err;
    if ((err as Error)?.name === 'AbortError')
      throw new LibraryError('ABORTED', `Copying ${label} was cancelled.`, { cause: err });
    throw libraryWriteError(err, libraryDir, label);
  } finally {
    releaseTurn?.();
    await input?.close().catch(() => {});
  }
}
