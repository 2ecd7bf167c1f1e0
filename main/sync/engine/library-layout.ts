// The engine's side of the library layout move (library/migrate-layout.ts does the files): the ledger follows the
// files it moved, and the commands that write into a library without the engine move it under the library lock.
import path from 'node:path';
import { LedgerLockedError, type Ledger } from '../ledger/index.js';
import { acquireLock } from '../ledger/lock.js';
import { nullLogger } from '../log.js';
import { originalFilesOf, uploadFilePath } from '../library/manifest.js';
import {
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
  return p.startsWith(path.join(root, sn) + path.sep);
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
    if (err instanceof LedgerLockedError) return undefined;
    throw err;
  }
  try {
    return await migrateLibraryLayout(libraryDir, opts);
  } finally {
    lock.release();
  }
}
