// Where a recording lives in the library. People see the playable file under a readable name (library/names.ts);
// the recorder's own files and the manifest stay out of the way, under the recorder's names, in a hidden folder:
//   <library>/.originals/<sn>/<NOTES|CALLS>/<YYYYMMDD>/<base>.WAV, .ASR, .<base>.manifest.json
// where base is the start time for a name's first take and <start>-<take> for a different recording that reused the
// name. That place follows from the recording alone, so the manifest is found without any index.
// Every part comes from the device, so each is validated and the final directory is resolved (symlinks included)
// and must stay inside the library.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Recording } from '../types.js';
import { SERIAL_PATTERN } from '../devices/model-file.js';
import { FOLDER_OF_KIND, isDateFolderName } from '../devices/scan.js';
import { LibraryError, libraryWriteError } from './errors.js';
import { libraryBaseOf } from '../recording/identity.js';

/** The hidden folder of the library that keeps the recorder's original files and the manifests. */
export const ORIGINALS_DIR = '.originals';

export interface RecordingPlace {
  /** Absolute directory of the recording in the library. */
  dir: string;
  /** Base name: epoch seconds, with `-<take>` for takes after the first. */
  base: string;
  /** Path of the directory relative to the library, POSIX separators. */
  relDir: string;
}

/** Compute (without touching the disk) where a recording goes. Throws OUTSIDE_LIBRARY / NO_SERIAL on bad parts. */
export function placeOf(libraryDir: string, rec: Pick<Recording, 'sn' | 'kind' | 'relBase'>, take = 1): RecordingPlace {
  if (!rec.sn || !SERIAL_PATTERN.test(rec.sn)) {
    throw new LibraryError(
      'NO_SERIAL',
      `This recorder has no usable serial number ("${rec.sn}"), so its recordings cannot be filed in the library.`,
    );
  }
  const parts = rec.relBase.split('/');
  const date = parts[1] ?? '';
  const base = parts[2] ?? '';
  if (parts.length !== 3 || !isDateFolderName(date) || !/^\d{1,12}$/.test(base)) {
    throw new LibraryError(
      'OUTSIDE_LIBRARY',
      `Refusing recording "${rec.relBase}": its path is not FOLDER/YYYYMMDD/<seconds>.`,
    );
  }
  const root = path.resolve(libraryDir);
  const relDir = `${ORIGINALS_DIR}/${rec.sn}/${FOLDER_OF_KIND[rec.kind]}/${date}`;
  const dir = path.resolve(root, ORIGINALS_DIR, rec.sn, FOLDER_OF_KIND[rec.kind], date);
  assertInside(root, dir);
  return { dir, base: libraryBaseOf(base, take), relDir };
}

export function assertInside(root: string, p: string): void {
  const rel = path.relative(root, p);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new LibraryError('OUTSIDE_LIBRARY', `Refusing to write ${p}: it is outside the library ${root}.`);
  }
}

/**
 * Create the recording's directory one level at a time below the library root, refusing any existing level that is a
 * symlink (so nothing, not even an empty folder, is created through a link that points outside the library), then
 * check the resolved path once more.
 */
export async function ensurePlace(libraryDir: string, place: Pick<RecordingPlace, 'dir' | 'relDir'>): Promise<void> {
  const root = await ensureLibraryRoot(libraryDir);
  let cur = root;
  for (const part of path.relative(root, place.dir).split(path.sep)) {
    cur = path.join(cur, part);
    let st;
    try {
      st = await fs.lstat(cur);
    } catch {
      try {
        await fs.mkdir(cur);
        if (part === ORIGINALS_DIR && cur === path.join(root, ORIGINALS_DIR)) await hideOnWindows(cur);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
          throw libraryWriteError(err, libraryDir, `the folder ${place.relDir}`);
      }
      st = await fs.lstat(cur);
    }
    if (st.isSymbolicLink() || !st.isDirectory()) {
      throw new LibraryError(
        'OUTSIDE_LIBRARY',
        `Refusing to write into ${cur}: it is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'} inside the library.`,
      );
    }
  }
  const [realRoot, realDir] = await Promise.all([fs.realpath(root), fs.realpath(place.dir)]);
  assertInside(realRoot, realDir);
}

/**
 * A leading dot hides a folder on macOS and Linux; Windows needs the hidden attribute. Best effort: a folder that stays
 * visible costs nothing but tidiness.
 */
async function hideOnWindows(dir: string): Promise<void> {
  if (process.platform !== 'win32') return;
  const { execFile } = await import('node:child_process');
  await new Promise<void>((resolve) => execFile('attrib', ['+h', dir], { windowsHide: true }, () => resolve()));
}

/** The place of a folder given by a library-relative POSIX path (a readable name's folder), checked to stay inside. */
export function folderPlace(libraryDir: string, relDir: string): Pick<RecordingPlace, 'dir' | 'relDir'> {
  const root = path.resolve(libraryDir);
  const dir = path.resolve(root, ...relDir.split('/'));
  if (dir !== root) assertInside(root, dir);
  return { dir, relDir };
}

// Filesystems made by the kernel for itself: nothing can be stored there, and Node's recursive mkdir loops forever
// on some of them (procfs answers ENOENT to every mkdir). Magic numbers from statfs(2).
const SYSTEM_FS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
  [0xcafe4a11, 'bpf'],
]);
const SYSTEM_DIRS = ['/proc', '/sys', '/dev'];
/**
 * The library root must answer within this, so a stalled network share or stuck disk fails with words instead of
 * hanging the pull. Generous enough for an external disk spinning up; a system folder is refused at once anyway.
 */
export const LIBRARY_ROOT_TIMEOUT_MS = 15_000;

/**
 * Make sure the library root exists and can hold files, within LIBRARY_ROOT_TIMEOUT_MS (or opts.timeoutMs). Refuses a
 * root under /proc,
 * /sys or /dev (after resolving symlinks) or on a kernel filesystem, and creates missing levels one at a time
 * (never a recursive mkdir, which can spin forever). Returns the resolved root.
 */
export async function ensureLibraryRoot(libraryDir: string, opts: { timeoutMs?: number } = {}): Promise<string> {
  const root = path.resolve(libraryDir);
  const timeoutMs = opts.timeoutMs ?? LIBRARY_ROOT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new LibraryError(
            'LIBRARY_UNWRITABLE',
            `The library folder ${root} did not answer within ${timeoutMs / 1000} s (a disconnected network share or a stuck disk?). Check it, or choose another library folder.`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([makeRoot(root, libraryDir), late]);
  } finally {
    clearTimeout(timer);
  }
  return root;
}

async function makeRoot(root: string, libraryDir: string): Promise<void> {
  // The nearest level that exists decides where the rest would be created.
  const missing: string[] = [];
  let existing = root;
  for (;;) {
    try {
      await fs.lstat(existing);
      break;
    } catch (err) {
      const parent = path.dirname(existing);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === existing)
        throw libraryWriteError(err, libraryDir, 'the library folder');
      missing.unshift(path.basename(existing));
      existing = parent;
    }
  }
  let real: string;
  let type: number | undefined;
  try {
    real = path.join(await fs.realpath(existing), ...missing);
    type = (await fs.statfs(existing)).type;
  } catch (err) {
    throw libraryWriteError(err, libraryDir, 'the library folder');
  }
  const systemDir =
    process.platform === 'win32' ? undefined : SYSTEM_DIRS.find((d) => real === d || real.startsWith(d + '/'));
  const systemFs = type === undefined ? undefined : SYSTEM_FS.get(type);
  if (systemDir || systemFs) {
    throw new LibraryError(
      'LIBRARY_UNWRITABLE',
      `The library folder ${root} is ${systemDir ? `inside ${systemDir}` : `on the ${systemFs} filesystem`}, which the system keeps for itself: recordings cannot be stored there. Choose a folder in your home or on a data disk.`,
    );
  }
  let cur = existing;
  for (const part of missing) {
    cur = path.join(cur, part);
    try {
      await fs.mkdir(cur);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw libraryWriteError(err, libraryDir, 'the library folder');
    }
  }
  const st = await fs.stat(root).catch((err: unknown) => {
    throw libraryWriteError(err, libraryDir, 'the library folder');
  });
  if (!st.isDirectory())
    throw new LibraryError(
      'LIBRARY_UNWRITABLE',
      `The library folder ${root} is a file, not a folder. Choose another library folder.`,
    );
}
