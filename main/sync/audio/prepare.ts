// Makes the one file we upload for a recording, from the verified local copies of its WAV and/or ASR.
//
// opus (default): the recorder's ASR packets packaged into Ogg Opus (no re-encoding), or an Ogg ASR copied as is;
//                 when the ASR is missing or unusable, the WAV encoded to Opus.
// mp3:            the WAV encoded to MP3 (the ASR cannot become MP3 without decoding it first; the WAV is the
// original).
//
// The file is written to `<dest>.part`, hashed (MD5, for complete-upload's file_md5) as it is written, fsynced and
// renamed, so a file at destPath is always complete. On any failure the .part is removed.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { inspectAsr } from './asr.js';
import { AudioFormatError } from './errors.js';
import { packageRawAsr } from './ogg-opus.js';
import { errnoMeaning } from '../errno-words.js';
import { programFilesMissing } from '../program-files.js';

export interface PrepareUploadOptions {
  wavPath?: string;
  asrPath?: string;
  format: 'opus' | 'mp3';
  destPath: string;
  signal?: AbortSignal;
  /** fsync the folder after the rename (default true); off when the caller fsyncs that folder right after. */
  syncDir?: boolean;
  /**
   * Called with what the file will be, once it is complete and fsynced under its temp name and before it takes
   * destPath: the caller notes it (the pull, in the manifest), so a crash right after the rename leaves a file that
   * is known to be this recording's own.
   */
  beforeRename?: (file: Omit<PreparedUpload, 'path' | 'asrProblem'>) => Promise<void>;
}

export type UploadSource = 'asr-packaged' | 'asr-passthrough' | 'wav-encoded';

export interface PreparedUpload {
  path: string;
  size: number;
  /** Hex MD5 of the whole file. */
  md5: string;
  filetype: 'opus' | 'mp3';
  /** Playable length of the written file, ms. */
  durationMs: number;
  source: UploadSource;
  /** Why the ASR was not used although one was given (the WAV was encoded instead). */
  asrProblem?: string;
}

const WRITE_BUFFER = 256 * 1024;

/** Writes through a buffer to a file handle, hashing everything written. */
class HashingFileWriter {
  private readonly hash = createHash('md5');
  private readonly buf = Buffer.allocUnsafe(WRITE_BUFFER);
  private fill = 0;
  size = 0;
  constructor(private readonly fh: FileHandle) {}

  write = async (chunk: Uint8Array): Promise<void> => {
    this.hash.update(chunk);
    this.size += chunk.length;
    if (this.fill + chunk.length > this.buf.length) await this.flush();
    if (chunk.length >= this.buf.length) {
      await writeAll(this.fh, chunk);
      return;
    }
    this.buf.set(chunk, this.fill);
    this.fill += chunk.length;
  };

  async flush(): Promise<void> {
    if (this.fill) {
      await writeAll(this.fh, this.buf.subarray(0, this.fill));
      this.fill = 0;
    }
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

async function writeAll(fh: FileHandle, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off);
    off += bytesWritten;
  }
}

type Producer = (write: (chunk: Uint8Array) => Promise<void>) => Promise<{ durationMs: number }>;

export async function prepareUploadFile(opts: PrepareUploadOptions): Promise<PreparedUpload> {
  const { wavPath, asrPath, format, destPath, signal } = opts;
  const syncDir = opts.syncDir !== false;
  signal?.throwIfAborted();
  const noting = (filetype: PreparedUpload['filetype'], source: UploadSource): BeforeRename | undefined =>
    opts.beforeRename && ((r) => opts.beforeRename!({ ...r, filetype, source }));

  // The encoders (lamejs, opusscript) are loaded only when a WAV must be encoded: packaging the recorder's own Opus
  // (the usual case) needs neither, and loading them costs every pull start-up time.
  const fromWav =
    (path: string): Producer =>
    async (w) => {
      const { encodeWavToMp3, encodeWavToOggOpus } = await import('./encode.js').catch((err: unknown) => {
        throw programFilesMissing(err, 'the WAV cannot be encoded') ?? err;
      });
      return format === 'mp3' ? encodeWavToMp3(path, w, { signal }) : encodeWavToOggOpus(path, w, { signal });
    };

  if (format === 'mp3') {
    if (!wavPath) {
      throw new AudioFormatError(
        'NO_SOURCE',
        'MP3 upload needs the WAV recording, and this recording has no WAV file. Choose the Opus upload format to upload its ASR audio.',
      );
    }
    return {
      ...(await writeAtomically(destPath, fromWav(wavPath), signal, syncDir, noting('mp3', 'wav-encoded'))),
      filetype: 'mp3',
      source: 'wav-encoded',
    };
  }

  let asrProblem: string | undefined;
  if (asrPath) {
    try {
      const info = await inspectAsr(asrPath);
      if (info.format === 'ogg-opus') {
        const r = await writeAtomically(
          destPath,
          async (w) => {
            for await (const chunk of createReadStream(asrPath, {
              highWaterMark: WRITE_BUFFER,
            }) as AsyncIterable<Buffer>) {
              signal?.throwIfAborted();
              await w(chunk);
            }
            return { durationMs: info.durationMs };
          },
          signal,
          syncDir,
          noting('opus', 'asr-passthrough'),
        );
        return { ...r, filetype: 'opus', source: 'asr-passthrough' };
      }
      const r = await writeAtomically(
        destPath,
        (w) =>
          packageRawAsr(createReadStream(asrPath, { highWaterMark: WRITE_BUFFER }) as AsyncIterable<Buffer>, w, {
            signal,
          }),
        signal,
        syncDir,
        noting('opus', 'asr-packaged'),
      );
      return { ...r, filetype: 'opus', source: 'asr-packaged' };
    } catch (e) {
      // A damaged ASR is not the end of the recording when its WAV is there: encode that instead.
      if (!(e instanceof AudioFormatError) || !wavPath) throw withPath(e, asrPath);
      asrProblem = e.message;
    }
  }
  if (!wavPath) throw new AudioFormatError('NO_SOURCE', 'This recording has neither a WAV nor an ASR file to upload.');
  const r = await writeAtomically(destPath, fromWav(wavPath), signal, syncDir, noting('opus', 'wav-encoded'));
  const out: PreparedUpload = { ...r, filetype: 'opus', source: 'wav-encoded' };
  if (asrProblem !== undefined) out.asrProblem = asrProblem;
  return out;
}

function withPath(e: unknown, path: string): unknown {
  if (e instanceof AudioFormatError && e.filePath === undefined) return new AudioFormatError(e.code, e.message, path);
  return e;
}

type BeforeRename = (r: { size: number; md5: string; durationMs: number }) => Promise<void>;

async function writeAtomically(
  destPath: string,
  produce: Producer,
  signal: AbortSignal | undefined,
  syncDirAfter: boolean,
  beforeRename?: BeforeRename,
): Promise<{ path: string; size: number; md5: string; durationMs: number }> {
  const part = `${destPath}.part`;
  let fh: FileHandle | undefined;
  let callerStep = false;
  try {
    // A .part left by an earlier crash is removed, never opened: in a folder people use it could be a planted link,
    // and 'w' would write through it. 'wx' then refuses anything that appears in between.
    await unlink(part).catch(() => {});
    fh = await open(part, 'wx');
    const w = new HashingFileWriter(fh);
    const { durationMs } = await produce(w.write);
    await w.flush();
    signal?.throwIfAborted();
    await fh.sync();
    await fh.close();
    fh = undefined;
    const md5 = w.digest();
    callerStep = true;
    await beforeRename?.({ size: w.size, md5, durationMs });
    callerStep = false;
    await rename(part, destPath);
    if (syncDirAfter) await syncDir(dirname(destPath));
    return { path: destPath, size: w.size, md5, durationMs };
  } catch (e) {
    if (fh) await fh.close().catch(() => {});
    await unlink(part).catch(() => {});
    // The caller's own failure (its manifest) is its to word, not a failure to write the upload file.
    throw callerStep ? e : describeIoError(e, destPath);
  }
}

/**
 * Make the rename durable. Directories cannot be opened for fsync on Windows; there the rename is as good as it gets.
 */
async function syncDir(dir: string): Promise<void> {
  let d: FileHandle | undefined;
  try {
    d = await open(dir, 'r');
    await d.sync();
  } catch {
    /* not supported on this platform */
  } finally {
    await d?.close().catch(() => {});
  }
}

function describeIoError(e: unknown, destPath: string): unknown {
  // Only what a write can hit: this also wraps reads of the source, whose own errors must not be named as the write's.
  const m = errnoMeaning(e, ['disk-full', 'permission', 'read-only']);
  if (!m) return e;
  const err = new Error(
    `${m.words[0]!.toUpperCase()}${m.words.slice(1)}: could not write the upload file ${destPath}.`,
    { cause: e },
  ) as NodeJS.ErrnoException;
  err.code = m.code;
  return err;
}
