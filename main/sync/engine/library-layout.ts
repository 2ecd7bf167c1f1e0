// The engine's side of the library layout move (library/migrate-layout.ts does the files): the ledger follows the
// files it moved, and the commands that write into a library without the engine move it under the library lock.
import fs from 'node:fs';
import path from 'node:path';
import { LedgerLockedError, type Ledger } from '../ledger/index.js';
import { acquireLock } from '../ledger/lock.js';
import { nullLogger } from '../log.js';
import { ORIGINALS_DIR } from '../library/layout.js';
import { originalFilesOf, uploadFilePath } from '../library/manifest.js';
import {
  hasUnmovedRecorderFolders,
  LIBRARY_LOCK,
  libraryNeedsMigration,
  migrateLibraryLayout,
  originalsManifests,
  type LayoutMigrationOptions,
  type LayoutMigrationReport,
} from '../library/migrate-layout.js';
import { recordingId } from '../recording/identity.js';

/** True when some ledger record still points into the old layout of this library (a cheap look at the paths). */
export function ledgerNeedsFollow(ledger: Ledger, libraryDir: string): boolean {
  const root = path.resolve(libraryDir);
  return ledger.all().some((r) => r.pulled && isOldPlace(root, r.sn, r.pulled.upload.path));
}

function isOldPlace(root: string, sn: string, p: string): boolean {
  // Only the recorder's own folders: a file-name pattern may make a folder named by the serial, never NOTES/CALLS.
  return ['NOTES', 'CALLS'].some((f) => p.startsWith(path.join(root, sn, f) + path.sep));
}

/** Where a path of the old serial folder is after the move, when only the folder moved (no readable manifest). */
function movedOriginal(root: string, sn: string, p: string): string {
  return path.join(root, ORIGINALS_DIR, path.relative(root, p));
}

/**
 * Amend every ledger record whose library paths still point into the old serial folder, from its manifest in
 * .originals. Returns how many records were amended.
 */
export async function followLibraryLayout(ledger: Ledger, libraryDir: string): Promise<number> {
  const root = path.resolve(libraryDir);
  if (!ledgerNeedsFollow(ledger, root)) return 0;
  let amended = 0;
  for (const { dir, manifest: m } of await originalsManifests(root)) {
    const r = ledger.get(recordingId(m.sn, m.relBase, m.take ?? 1));
    if (!r?.pulled) continue;
    const stale = [r.pulled.upload.path, ...r.pulled.files.map((f) => f.libraryPath)].some((p) =>
      isOldPlace(root, m.sn, p),
    );
    if (!stale) continue;
    const up = m.upload?.[r.pulled.upload.filetype];
    const files = originalFilesOf(dir, m);
    ledger.amend(r.id, {
      ...(files.length ? { pulledFiles: files } : {}),
      ...(up ? { pulledUploadPath: uploadFilePath(root, dir, up) } : {}),
    });
    amended++;
  }
  // A take whose manifest cannot be read moved with its folder only: its files kept their names inside .originals.
  for (const r of ledger.all()) {
    if (!r.pulled) continue;
    const paths = [r.pulled.upload.path, ...r.pulled.files.map((f) => f.libraryPath)];
    if (!paths.some((p) => isOldPlace(root, r.sn, p))) continue;
    const map = (p: string) => (isOldPlace(root, r.sn, p) ? movedOriginal(root, r.sn, p) : p);
    if (!paths.every((p) => fs.existsSync(map(p)))) continue;
    ledger.amend(r.id, {
      pulledFiles: r.pulled.files.map((f) => ({ ...f, libraryPath: map(f.libraryPath) })),
      pulledUploadPath: map(r.pulled.upload.path),
    });
    amended++;
  }
  return amended;
}

/**
 * For a command that writes into the library without the engine (`pull`, `recover-ledger`): migrate an old library
 * under the library lock. When another Plaud Sync holds it, that one moves the library; nothing is done here.
 */
export async function migrateLibraryIfNeeded(
  libraryDir: string,
  opts: LayoutMigrationOptions = {},
): Promise<LayoutMigrationReport | undefined> {
  if (!(await libraryNeedsMigration(libraryDir))) return undefined;
  let lock;
  try {
    lock = acquireLock(path.resolve(libraryDir), opts.logger ?? nullLogger, LIBRARY_LOCK);
  } catch (err) {
    if (!(err instanceof LedgerLockedError)) throw err;
    // Pulling into recorder folders that are about to move would copy every recording a second time.
    if (await hasUnmovedRecorderFolders(libraryDir))
      throw new Error(
        `The library ${path.resolve(libraryDir)} is still laid out as an earlier Plaud Sync made it, and another Plaud Sync (${err.holder}, pid ${err.pid}) is using it; that one moves it to readable names. Wait until it has started (or quit it), then try again.`,
      );
    return undefined; // only names are left to give: the files are where this command looks
  }
  try {
    return await migrateLibraryLayout(libraryDir, opts);
  } finally {
    lock.release();
  }
}
