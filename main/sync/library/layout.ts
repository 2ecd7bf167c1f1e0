// Where a recording lives in the library: <library>/<sn>/<NOTES|CALLS>/<YYYYMMDD>/<base>.<ext>, where base is the
// start time for a name's first take and <start>-<take> for a different recording that reused the name.
// Every part comes from the device, so each is validated and the final directory is resolved (symlinks included)
// and must stay inside the library.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Recording } from '../types.js';
import { SERIAL_PATTERN } from '../devices/model-file.js';
import { FOLDER_OF_KIND, isDateFolderName } from '../devices/scan.js';
import { LibraryError, libraryWriteError } from './errors.js';
import { libraryBaseOf } from '../recording/identity.js';

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
    throw new LibraryError('NO_SERIAL', `This recorder has no usable serial number ("${rec.sn}"), so its recordings cannot be filed in the library.`);
  }
  const parts = rec.relBase.split('/');
  const date = parts[1] ?? '';
  const base = parts[2] ?? '';
  if (parts.length !== 3 || !isDateFolderName(date) || !/^\d{1,12}$/.test(base)) {
    throw new LibraryError('OUTSIDE_LIBRARY', `Refusing recording "${rec.relBase}": its path is not FOLDER/YYYYMMDD/<seconds>.`);
  }
  const root = path.resolve(libraryDir);
  const relDir = `${rec.sn}/${FOLDER_OF_KIND[rec.kind]}/${date}`;
  const dir = path.resolve(root, rec.sn, FOLDER_OF_KIND[rec.kind], date);
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
export async function ensurePlace(libraryDir: string, place: RecordingPlace): Promise<void> {
  const root = path.resolve(libraryDir);
  try {
    await fs.mkdir(root, { recursive: true });
  } catch (err) {
    throw libraryWriteError(err, libraryDir, 'the library folder');
  }
  let cur = root;
  for (const part of path.relative(root, place.dir).split(path.sep)) {
    cur = path.join(cur, part);
    let st;
    try {
      st = await fs.lstat(cur);
    } catch {
      try {
        await fs.mkdir(cur);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw libraryWriteError(err, libraryDir, `the folder ${place.relDir}`);
      }
      st = await fs.lstat(cur);
    }
    if (st.isSymbolicLink() || !st.isDirectory()) {
      throw new LibraryError('OUTSIDE_LIBRARY', `Refusing to write into ${cur}: it is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'} inside the library.`);
    }
  }
  const [realRoot, realDir] = await Promise.all([fs.realpath(root), fs.realpath(place.dir)]);
  assertInside(realRoot, realDir);
}
