// Pull one recording from a mounted recorder into the verified local library. The recorder is only ever read.
// (The loop over many recordings, with read turns and progress, is engine/pull-coordinator.ts.)
//
//   <library>/.originals/<sn>/<NOTES|CALLS>/<YYYYMMDD>/<base>.WAV, <base>.ASR, .<base>.manifest.json
//   (base is <start>-<take> for a later take of a reused name: recording/identity.ts)
//   <library>/<readable name>.opus|mp3   the playable file people find first (library/names.ts, playable.ts)
//
// Each file is copied by copyVerified (temp name, MD5 while reading, fsync, read-back check, rename); the manifest
// records what was verified and is written once the recording is done, `complete` set, and its folder fsync makes
// every rename in that folder durable (one folder fsync per recording, not one per file). After a large file the
// manifest is also written at once, so a crash does not cost copying that file again. The upload-ready file is
// made from the library copies, never from the device.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DeviceInfo, Recording, SnType, UploadFormat } from '../types.js';
import { nullLogger, type Logger } from '../log.js';
import { AudioFormatError } from '../audio/errors.js';
import { copyVerified, PART_SUFFIX } from './copy.js';
import { ReadTurns } from './read-turns.js';
import { LibraryError, libraryWriteError } from './errors.js';
import { assertInside, ensurePlace, ORIGINALS_DIR, placeOf } from './layout.js';
import {
  MANIFEST_VERSION,
  readManifest,
  setAsideUnreadableManifest,
  uploadFilePath,
  writeManifest,
  type Manifest,
  type UploadFileEntry,
} from './manifest.js';
import { choosePlayableName } from './playable.js';
import { prepareUploadFile as defaultPrepare } from './prepare.js';
import { headOf, type Fingerprint } from '../recording/fingerprint.js';

export type FileRole = 'wav' | 'asr' | 'upload';

export interface PulledFile {
  role: FileRole;
  path: string;
  size: number;
  md5: string;
}

export interface UploadReady {
  path: string;
  size: number;
  md5: string;
  filetype: UploadFormat;
  durationMs: number;
  /** What it was made from, as the audio layer reports it (e.g. 'asr', 'wav'). */
  source: string;
}

export interface PulledRecording {
  key: string;
  /** Absolute folder of the recording in the library. */
  dir: string;
  files: PulledFile[];
  upload?: UploadReady;
  /** Bytes copied from the recorder by this call (0 when everything was already verified). */
  copiedBytes: number;
  /** The take's content fingerprint, from the verified library copies. */
  fingerprint: Fingerprint;
  /** The library says the cloud already has this take (its manifest holds the cloud file id). */
  cloud?: { fileId: string; syncedAt: number };
  /** The take's manifest was unreadable and was kept aside under this name: what it knew of the cloud is lost. */
  unreadableManifestKeptAs?: string;
}

export type PrepareUploadFn = (args: {
  wavPath?: string;
  asrPath?: string;
  format: UploadFormat;
  destPath: string;
  signal?: AbortSignal;
  /** fsync the folder after the rename (default true); the pull turns it off and fsyncs the folder once. */
  syncDir?: boolean;
  /** Called once the file is complete under its temp name, before it takes destPath (see audio/prepare.ts). */
  beforeRename?: (file: PreparedFile) => Promise<void>;
}) => Promise<PreparedFile & { path: string }>;

/** What an upload file made by PrepareUploadFn is. */
export interface PreparedFile {
  size: number;
  md5: string;
  filetype: UploadFormat;
  durationMs: number;
  source: string;
}

export interface PullRecordingOptions {
  libraryDir: string;
  /** Upload file to prepare; null skips it (copy only). Default 'opus'. */
  format?: UploadFormat | null;
  signal?: AbortSignal;
  /** Bytes copied from the recorder, as they are copied. */
  onBytes?: (n: number, role: 'wav' | 'asr') => void;
  /** Called when one source file is verified in the library (or found already verified). */
  onFileDone?: (role: 'wav' | 'asr') => void;
  prepare?: PrepareUploadFn;
  logger?: Logger;
  /** Shared by the recordings of one recorder pulled at once, so their reads from it take turns (ReadTurns). */
  readTurns?: ReadTurns;
  /** Which take of the name this is (default 1); it decides the library name. */
  take?: number;
  /**
   * The recorder holds a longer (or otherwise changed) version of this same take and its upload has not begun:
   * replace the library copy of a changed file instead of refusing it as a conflict.
   */
  replace?: boolean;
  /** The name template of the playable file (the libraryNames setting); default DEFAULT_NAME_TEMPLATE. */
  nameTemplate?: string;
}

/** Recordings pulled at once from one recorder: one reading, the others finishing (see ReadTurns). */
export const PULL_CONCURRENCY = 3;

/** After copying a file this large, write the manifest at once rather than at the end of the recording. */
export const CHECKPOINT_BYTES = 32 * 1024 * 1024;

type Device = Pick<DeviceInfo, 'sn' | 'mountPath'> & { sn_type?: SnType };

const SOURCE_ROLES = ['asr', 'wav'] as const; // ASR first: small, and enough to make the upload file.
const EXT: Record<'wav' | 'asr', string> = { wav: 'WAV', asr: 'ASR' };

export type PullState = 'pulled' | 'partial' | 'missing' | 'conflict';

export interface PullPlan {
  state: PullState;
  /** Source files still to copy. */
  toCopy: ('wav' | 'asr')[];
  bytesToCopy: number;
  needsUpload: boolean;
  reason?: string;
}

async function sizeOf(p: string): Promise<number | undefined> {
  try {
    const st = await fs.lstat(p);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/** What is left to do for a recording, from its manifest and a stat of each library file (no hashing). */
export async function planPull(
  libraryDir: string,
  rec: Recording,
  opts: { format?: UploadFormat | null; take?: number; replace?: boolean } = {},
): Promise<PullPlan> {
  const place = placeOf(libraryDir, rec, opts.take);
  const m = await readManifest(place.dir, place.base);
  const format = opts.format === undefined ? 'opus' : opts.format;
  const toCopy: ('wav' | 'asr')[] = [];
  let bytesToCopy = 0;
  for (const role of SOURCE_ROLES) {
    const src = rec[role];
    if (!src) continue;
    const done = m?.[role];
    if (done && done.sourceSize !== src.size && opts.replace) {
      toCopy.push(role);
      bytesToCopy += src.size;
      continue;
    }
    if (done && done.sourceSize !== src.size) {
      return {
        state: 'conflict',
        toCopy: [],
        bytesToCopy: 0,
        needsUpload: false,
        reason: `${rec.relBase}.${EXT[role]} on the recorder (${src.size} bytes) differs from the verified copy in the library (${done.sourceSize} bytes); both were left untouched.`,
      };
    }
    if (done && (await sizeOf(path.join(place.dir, done.name))) === done.size) continue;
    toCopy.push(role);
    bytesToCopy += src.size;
  }
  let needsUpload = false;
  if (format) {
    const up = m?.upload?.[format];
    // A file copied now (a partner that came later, a longer version) makes the upload file again from what is there.
    // Once the cloud has the take, its playable file is the user's: moved, renamed or edited, it is not made again.
    // An entry still marked `replaces` was noted and never confirmed: a crash came before or after its rename, so
    // the file under the name may hold the old bytes at the same size. It is made again.
    needsUpload =
      !up ||
      toCopy.length > 0 ||
      (!m?.cloud &&
        (up.replaces !== undefined || (await sizeOf(uploadFilePath(libraryDir, place.dir, up))) !== up.size));
  }
  const state: PullState = toCopy.length === 0 && !needsUpload && m?.complete ? 'pulled' : m ? 'partial' : 'missing';
  return { state, toCopy, bytesToCopy, needsUpload };
}

/** True when every file of the recording (and the upload file of `format`, default opus) is verified in the library. */
export async function isPulled(
  libraryDir: string,
  rec: Recording,
  opts: { format?: UploadFormat | null; take?: number } = {},
): Promise<boolean> {
  try {
    return (await planPull(libraryDir, rec, opts)).state === 'pulled';
  } catch {
    return false;
  }
}

/** Remove temp files a previous, interrupted pull of this recording left behind. */
async function removeStaleParts(dir: string, base: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    // Ours are `.<base>.<ext>.<random>.part` (the manifest's `..<base>.manifest.json.<random>.part`);
    // the audio layer's are `<base>.<ext>.part`.
    names
      .filter(
        (n) =>
          (n.startsWith(`.${base}.`) || n.startsWith(`..${base}.`) || n.startsWith(`${base}.`)) &&
          n.endsWith(PART_SUFFIX),
      )
      .map((n) => fs.rm(path.join(dir, n), { force: true }).catch(() => {})),
  );
}

function newManifest(rec: Recording, take: number): Manifest {
  return {
    version: MANIFEST_VERSION,
    key: rec.key,
    sn: rec.sn,
    kind: rec.kind,
    relBase: rec.relBase,
    ...(take > 1 ? { take } : {}),
    startMs: rec.startMs,
    durationMs: rec.durationMs,
    endMs: rec.endMs,
    complete: false,
    updatedAt: new Date().toISOString(),
  };
}

function uploadEntry(
  name: string,
  relPath: string,
  format: UploadFormat,
  up: { size: number; md5: string; durationMs: number; source: string },
): UploadFileEntry {
  return {
    name,
    path: relPath,
    size: up.size,
    md5: up.md5,
    filetype: format,
    durationMs: up.durationMs,
    source: up.source,
  };
}

/**
 * The entry noted before a new upload file takes its name. When it goes over the take's earlier file of that name
 * (a longer version, a partner file that came later), the earlier file's size and MD5 are kept in `replaces` until
 * the rename is confirmed: a crash before the rename leaves the earlier file there, one after it the new one, and
 * either is then the take's own (playable.ts).
 */
function notedEntry(prev: UploadFileEntry | undefined, next: UploadFileEntry): UploadFileEntry {
  if (!prev || prev.path !== next.path || (prev.size === next.size && prev.md5 === next.md5)) return next;
  return { ...next, replaces: prev.replaces ?? { size: prev.size, md5: prev.md5 } };
}

/**
 * Copy one recording into the library (only what is not verified there yet) and prepare its upload file.
 * Throws LibraryError with a plain message; never leaves a file with a final name that is not verified.
 */
export async function pullRecording(
  device: Device,
  rec: Recording,
  opts: PullRecordingOptions,
): Promise<PulledRecording> {
  const { libraryDir, signal } = opts;
  const log = opts.logger ?? nullLogger;
  const format = opts.format === undefined ? 'opus' : opts.format;
  const take = opts.take ?? 1;
  const place = placeOf(libraryDir, rec, take);
  const plan = await planPull(libraryDir, rec, { format, take, ...(opts.replace ? { replace: true } : {}) });
  if (plan.state === 'conflict')
    throw new LibraryError('CONFLICT', plan.reason ?? `${rec.relBase} conflicts with the library copy.`);
  await ensurePlace(libraryDir, place);
  await removeStaleParts(place.dir, place.base);

  const mountRoot = path.resolve(device.mountPath);
  const unreadableManifestKeptAs = await setAsideUnreadableManifest(place.dir, place.base);
  if (unreadableManifestKeptAs)
    log.warn('an unreadable library manifest was kept aside', { key: rec.key, keptAs: unreadableManifestKeptAs });
  let manifest = (await readManifest(place.dir, place.base)) ?? newManifest(rec, take);
  manifest = { ...manifest, durationMs: rec.durationMs, endMs: rec.endMs };
  // The playable file goes under its readable name, chosen now, before the copy, so that recordings of the same minute
  // are numbered in the order they were recorded (pulls start oldest first). The name is noted in the manifest before
  // the file is made, so a file found there after a crash is known to be this take's own.
  const named =
    format && plan.needsUpload
      ? await choosePlayableName(libraryDir, manifest, {
          template: opts.nameTemplate,
          sn: rec.sn,
          snType: device.sn_type,
          kind: rec.kind,
          startMs: rec.startMs,
          take,
          format,
        })
      : undefined;
  let copiedBytes = 0;
  let unsaved = false;
  const save = async () => {
    manifest.updatedAt = new Date().toISOString();
    try {
      await writeManifest(place.dir, place.base, manifest);
      unsaved = false;
    } catch (err) {
      throw libraryWriteError(err, libraryDir, `the manifest of ${rec.relBase}`);
    }
  };
  try {
    for (const role of SOURCE_ROLES) {
      const src = rec[role];
      if (!src) continue;
      if (!plan.toCopy.includes(role)) {
        opts.onFileDone?.(role);
        continue;
      }
      const srcPath = path.resolve(mountRoot, src.relPath);
      // The scan already refuses odd names; this guards callers that build a Recording themselves.
      try {
        assertInside(mountRoot, srcPath);
      } catch {
        throw new LibraryError('OUTSIDE_LIBRARY', `Refusing to read ${src.relPath}: it points outside the recorder.`);
      }
      const name = `${place.base}.${EXT[role]}`;
      const res = await copyVerified(srcPath, path.join(place.dir, name), {
        libraryDir,
        label: `${rec.relBase}.${EXT[role]}`,
        expectedSize: src.size,
        ...(signal ? { signal } : {}),
        onBytes: (n) => opts.onBytes?.(n, role),
        syncDir: false,
        ...(opts.readTurns ? { readTurns: opts.readTurns } : {}),
      });
      copiedBytes += res.size;
      // The fingerprint comes from the verified copy just written (in the page cache), not from the recorder.
      const head = await headOf(path.join(place.dir, name), role);
      manifest[role] = {
        name,
        size: res.size,
        md5: res.md5,
        sourceSize: src.size,
        sourceMtimeMs: src.mtimeMs,
        headLen: head.headLen,
        headMd5: head.headMd5,
        ...(head.quickMd5 ? { quickMd5: head.quickMd5 } : {}),
      };
      manifest.complete = false;
      unsaved = true;
      if (res.size >= CHECKPOINT_BYTES) await save();
      log.debug('copied', { key: rec.key, role, size: res.size });
      opts.onFileDone?.(role);
    }

    if (format && plan.needsUpload) {
      const prepare = opts.prepare ?? defaultPrepare;
      const name = `${place.base}.${format}`;
      const playable = named!;
      if (manifest.name !== playable.stem) {
        manifest.name = playable.stem;
        manifest.updatedAt = new Date().toISOString();
        await writeManifest(place.dir, place.base, manifest, { durable: false }).catch((err: unknown) => {
          throw libraryWriteError(err, libraryDir, `the manifest of ${rec.relBase}`);
        });
      }
      const args: Parameters<PrepareUploadFn>[0] = { format, destPath: playable.absPath };
      if (manifest.wav) args.wavPath = path.join(place.dir, manifest.wav.name);
      if (manifest.asr) args.asrPath = path.join(place.dir, manifest.asr.name);
      if (signal) args.signal = signal;
      // The entry is noted before the file takes its name, so a crash right after that rename leaves a file the
      // next pull knows as this take's own (its size and MD5 are noted) and makes again in place, rather than a
      // stray copy beside a fresh " (2)". Until the rename the entry names a file that is not there yet, which the
      // own-file rule (playable.ts) also takes as this take's place.
      // Durable, so that after a power cut too the rename is never on the disk without the note.
      args.beforeRename = async (file) => {
        manifest.upload = {
          ...(manifest.upload ?? {}),
          [format]: notedEntry(manifest.upload?.[format], uploadEntry(name, playable.relPath, format, file)),
        };
        manifest.updatedAt = new Date().toISOString();
        await writeManifest(place.dir, place.base, manifest).catch((err: unknown) => {
          throw libraryWriteError(err, libraryDir, `the manifest of ${rec.relBase}`);
        });
      };
      let up;
      try {
        up = await prepare(args);
      } catch (err) {
        if (err instanceof LibraryError) throw err;
        if (err instanceof AudioFormatError) {
          throw new LibraryError('BAD_RECORDING', `${rec.relBase} cannot be prepared for upload: ${err.message}`, {
            cause: err,
          });
        }
        if ((err as Error)?.name === 'AbortError')
          throw new LibraryError('ABORTED', `Preparing ${rec.relBase} was cancelled.`, { cause: err });
        throw libraryWriteError(err, libraryDir, `the upload file of ${rec.relBase}`);
      }
      manifest.upload = { ...(manifest.upload ?? {}), [format]: uploadEntry(name, playable.relPath, format, up) };
    }

    const fingerprint: Fingerprint = {};
    for (const role of SOURCE_ROLES) {
      const f = manifest[role];
      if (!f || !rec[role]) continue;
      if (f.headMd5 === undefined || f.headLen === undefined || f.quickMd5 === undefined) {
        // A copy made before fingerprints were kept: take it from the library file once and keep it.
        const head = await headOf(path.join(place.dir, f.name), role);
        manifest[role] = {
          ...f,
          headLen: head.headLen,
          headMd5: head.headMd5,
          ...(head.quickMd5 ? { quickMd5: head.quickMd5 } : {}),
        };
      }
      const g = manifest[role]!;
      fingerprint[role] = {
        size: g.sourceSize,
        headLen: g.headLen!,
        headMd5: g.headMd5!,
        ...(g.quickMd5 ? { quickMd5: g.quickMd5 } : {}),
      };
    }
    manifest.complete = true;
    await save();

    const files: PulledFile[] = [];
    for (const role of SOURCE_ROLES) {
      const f = manifest[role];
      if (f && rec[role]) files.push({ role, path: path.join(place.dir, f.name), size: f.size, md5: f.md5 });
    }
    const out: PulledRecording = {
      key: rec.key,
      dir: place.dir,
      files,
      copiedBytes,
      fingerprint,
      ...(unreadableManifestKeptAs ? { unreadableManifestKeptAs } : {}),
    };
    // Only a take whose files were all already verified here can be the one the cloud has (nothing new was copied).
    if (manifest.cloud && copiedBytes === 0)
      out.cloud = { fileId: manifest.cloud.fileId, syncedAt: manifest.cloud.syncedAt };
    const up = format ? manifest.upload?.[format] : undefined;
    if (up) {
      const p = uploadFilePath(libraryDir, place.dir, up);
      files.push({ role: 'upload', path: p, size: up.size, md5: up.md5 });
      out.upload = {
        path: p,
        size: up.size,
        md5: up.md5,
        filetype: up.filetype,
        durationMs: up.durationMs,
        source: up.source,
      };
    }
    return out;
  } catch (err) {
    // Unplugged, cancelled, disk trouble: keep the record of the files already verified, so the next pull does not
    // read them from the recorder again. (Only a hard crash loses it, and then those files are simply copied again.)
    if (unsaved) await save().catch(() => {});
    throw err;
  }
}

/**
 * Make a take's upload-ready file again from its verified originals, under the name it had: for a playable file the
 * user deleted or moved away before it was uploaded (the originals are the recording; the playable file is derived).
 * `manifestDir` is the take's folder in `.originals`; the library is found from it. Returns undefined when the
 * originals are not there either (nothing can be made).
 */
export async function remakeUploadFile(
  manifestDir: string,
  base: string,
  format: UploadFormat,
  opts: { prepare?: PrepareUploadFn; signal?: AbortSignal; nameTemplate?: string; snType?: SnType } = {},
): Promise<UploadReady | undefined> {
  const libraryDir = path.resolve(manifestDir, '..', '..', '..', '..');
  if (path.basename(path.resolve(manifestDir, '..', '..', '..')) !== ORIGINALS_DIR) return undefined;
  const m = await readManifest(manifestDir, base);
  if (!m || (!m.wav && !m.asr)) return undefined;
  for (const role of SOURCE_ROLES) {
    const f = m[role];
    if (f && (await sizeOf(path.join(manifestDir, f.name))) !== f.size) return undefined;
  }
  const playable = await choosePlayableName(libraryDir, m, {
    template: opts.nameTemplate,
    snType: opts.snType,
    sn: m.sn,
    kind: m.kind,
    startMs: m.startMs,
    take: m.take ?? 1,
    format,
  });
  const args: Parameters<PrepareUploadFn>[0] = { format, destPath: playable.absPath };
  if (m.wav) args.wavPath = path.join(manifestDir, m.wav.name);
  if (m.asr) args.asrPath = path.join(manifestDir, m.asr.name);
  if (opts.signal) args.signal = opts.signal;
  const note = (file: Parameters<typeof uploadEntry>[3], confirmed: boolean) => {
    const entry = uploadEntry(`${base}.${format}`, playable.relPath, format, file);
    return writeManifest(manifestDir, base, {
      ...m,
      name: playable.stem,
      upload: { ...(m.upload ?? {}), [format]: confirmed ? entry : notedEntry(m.upload?.[format], entry) },
      updatedAt: new Date().toISOString(),
    }).catch((err: unknown) => {
      throw libraryWriteError(err, libraryDir, `the manifest of ${m.relBase}`);
    });
  };
  // Noted before the rename as in pullRecording, so a crash in between leaves no file the manifest does not know.
  args.beforeRename = (file) => note(file, false);
  const up = await (opts.prepare ?? defaultPrepare)(args);
  await note(up, true);
  return {
    path: playable.absPath,
    size: up.size,
    md5: up.md5,
    filetype: format,
    durationMs: up.durationMs,
    source: up.source,
  };
}
