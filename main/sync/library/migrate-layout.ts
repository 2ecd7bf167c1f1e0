// Moving a library made before readable names into today's layout (layout.ts), in place: nothing is copied,
// nothing is uploaded again, and a kill at any moment leaves a library the next start finishes moving.
//
//   before:  <library>/<sn>/NOTES/20260405/1775393534.WAV, .ASR, .opus, .1775393534.manifest.json
//   after:   <library>/.originals/<sn>/NOTES/20260405/1775393534.WAV, .ASR, .1775393534.manifest.json
//            <library>/Plaud Note 3344/2026-04-05 14.52 Note.opus
//
// 1. Each serial folder is renamed into .originals in one step (or, when part of it is there already, file by file).
// 2. Each playable file gets its readable name: the name is written into the manifest first (durably), then the file
//    is renamed, then the manifest records the new path. A kill between two steps leaves either the file at its old
//    name (the manifest still lists it there) or at its new one (the manifest's name claims it).
// 3. The ledger follows (engine/library-layout.ts): a record whose paths point into the old serial folder is amended
//    from the manifest. It runs on every start while any record still points there.
import fs from 'node:fs/promises';
import path from 'node:path';
import { SERIAL_PATTERN } from '../devices/model-file.js';
import { nullLogger, type Logger } from '../log.js';
import type { SnType, UploadFormat } from '../types.js';
import { fsyncDir } from './copy.js';
import { ensurePlace, ORIGINALS_DIR } from './layout.js';
import { readManifest, writeManifest, type Manifest } from './manifest.js';
import { choosePlayableName, exists } from './playable.js';

export interface LayoutMigrationReport {
  /** Serial folders moved into .originals. */
  recordersMoved: number;
  /** Playable files given their readable name. */
  renamed: number;
  /** Things left where they were, each with the reason (shown in the log; nothing is deleted). */
  left: string[];
}

export interface LayoutMigrationOptions {
  /** The libraryNames setting. */
  nameTemplate?: string;
  /** The device type of a serial, when known (the ledger, the known recorders): it names the recorder's folder. */
  snTypeOf?: (sn: string) => SnType | undefined;
  logger?: Logger;
  /** Test hook: called after each step that changed the disk (the kill-at-any-moment test stops there). */
  onStep?: (step: string) => void;
}

const FOLDERS = ['NOTES', 'CALLS'];
const MANIFEST_NAME = /^\.(\d{1,12}(?:-\d{1,4})?)\.manifest\.json$/;
/** Written once every playable file of the library has its readable name: later starts skip the walk. */
const DONE_MARKER = '.layout-readable-names';

async function dirents(dir: string) {
  return (await fs.readdir(dir, { withFileTypes: true }).catch(() => [])).filter(
    (d) => d.isDirectory() && !d.isSymbolicLink(),
  );
}

/** Serial folders of the old layout at the top of the library (a folder named by a serial, holding NOTES or CALLS). */
async function oldRecorderFolders(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await dirents(root)) {
    if (!SERIAL_PATTERN.test(d.name)) continue;
    const inside = await dirents(path.join(root, d.name));
    if (inside.some((x) => FOLDERS.includes(x.name))) out.push(d.name);
  }
  return out;
}

/**
 * True when a recorder folder of the old layout has not been moved at all yet (no .originals/<serial> beside it). A
 * folder the move already handled and left (something in it could not be merged) does not count: it stays as it is.
 */
export async function hasUnmovedRecorderFolders(libraryDir: string): Promise<boolean> {
  const root = path.resolve(libraryDir);
  for (const sn of await oldRecorderFolders(root)) {
    if (!(await exists(path.join(root, ORIGINALS_DIR, sn)))) return true;
  }
  return false;
}

/** True when the library still has anything of the old layout (cheap: one or two directory listings). */
export async function libraryNeedsMigration(libraryDir: string): Promise<boolean> {
  const root = path.resolve(libraryDir);
  if (!(await exists(root))) return false;
  if ((await oldRecorderFolders(root)).length > 0) return true;
  if (!(await exists(path.join(root, ORIGINALS_DIR)))) return false;
  return !(await exists(path.join(root, ORIGINALS_DIR, DONE_MARKER)));
}

/** Every manifest under .originals: <sn>/<NOTES|CALLS>/<YYYYMMDD>/.<base>.manifest.json. */
export async function originalsManifests(
  libraryDir: string,
): Promise<{ dir: string; base: string; manifest: Manifest }[]> {
  const out: { dir: string; base: string; manifest: Manifest }[] = [];
  const top = path.join(path.resolve(libraryDir), ORIGINALS_DIR);
  for (const sn of await dirents(top)) {
    if (!SERIAL_PATTERN.test(sn.name)) continue;
    for (const folder of await dirents(path.join(top, sn.name))) {
      if (!FOLDERS.includes(folder.name)) continue;
      for (const day of await dirents(path.join(top, sn.name, folder.name))) {
        const dir = path.join(top, sn.name, folder.name, day.name);
        for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
          const m = MANIFEST_NAME.exec(name);
          if (!m) continue;
          const manifest = await readManifest(dir, m[1]!);
          if (manifest) out.push({ dir, base: m[1]!, manifest });
        }
      }
    }
  }
  return out;
}

/** Move what is left of `from` into `to`, file by file; a file already at `to` with other content stays put. */
async function mergeInto(from: string, to: string, left: string[], step: (s: string) => void): Promise<void> {
  await fs.mkdir(to, { recursive: true });
  for (const e of await fs.readdir(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dest = path.join(to, e.name);
    if (e.isDirectory() && !e.isSymbolicLink()) {
      const there = await fs.lstat(dest).catch(() => undefined);
      if (there && (there.isSymbolicLink() || !there.isDirectory())) {
        left.push(`${src}: ${dest} is not a plain folder (a link?); nothing is moved through it`);
        continue;
      }
      await mergeInto(src, dest, left, step);
      continue;
    }
    if (!(await exists(dest))) {
      await fs.rename(src, dest);
      step('merge-file');
      continue;
    }
    const [a, b] = await Promise.all([fs.lstat(src), fs.lstat(dest)]);
    if (a.isFile() && b.isFile() && a.size === b.size && (await sameBytes(src, dest))) {
      await fs.rm(src); // the same file, moved before a kill and found again
      step('merge-same');
    } else left.push(`${src}: a different file of that name is already in ${to}`);
  }
  await fs.rmdir(from).catch(() => {}); // only when empty
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([fs.readFile(a), fs.readFile(b)]);
  return x.equals(y);
}

/**
 * Bring a library into today's layout. Call it with the library lock held (another app must not pull meanwhile).
 * Safe to run again at any time: every step checks what is already done.
 */
export async function migrateLibraryLayout(
  libraryDir: string,
  opts: LayoutMigrationOptions = {},
): Promise<LayoutMigrationReport> {
  const root = path.resolve(libraryDir);
  const log = opts.logger ?? nullLogger;
  const step = opts.onStep ?? (() => {});
  const report: LayoutMigrationReport = { recordersMoved: 0, renamed: 0, left: [] };
  const originals = path.join(root, ORIGINALS_DIR);

  for (const sn of await oldRecorderFolders(root)) {
    await ensurePlace(root, { dir: originals, relDir: ORIGINALS_DIR });
    const dest = path.join(originals, sn);
    const there = await fs.lstat(dest).catch(() => undefined);
    if (there && (there.isSymbolicLink() || !there.isDirectory())) {
      report.left.push(`${path.join(root, sn)}: ${dest} is not a plain folder (a link?); nothing is moved through it`);
      continue;
    }
    if (!there) {
      await fs.rename(path.join(root, sn), dest);
      await fsyncDir(root);
      step('move-recorder');
    } else {
      await mergeInto(path.join(root, sn), dest, report.left, step);
    }
    report.recordersMoved++;
  }

  if (!(await exists(originals))) return report;
  for (const { dir, base, manifest } of await originalsManifests(root)) {
    let m = manifest;
    for (const format of ['opus', 'mp3'] as UploadFormat[]) {
      const up = m.upload?.[format];
      if (!up || up.path) continue;
      const old = path.join(dir, up.name);
      const movedTo = m.name ? path.resolve(root, ...`${m.name}.${format}`.split('/')) : undefined;
      // Killed after the rename and before the manifest said so: the file under the name this manifest chose is it.
      const playable =
        m.name && movedTo && !(await exists(old)) && (await exists(movedTo))
          ? { stem: m.name, relPath: `${m.name}.${format}`, absPath: movedTo }
          : await choosePlayableName(root, m, {
              template: opts.nameTemplate,
              sn: m.sn,
              snType: opts.snTypeOf?.(m.sn),
              kind: m.kind,
              startMs: m.startMs,
              take: m.take ?? 1,
              format,
            });
      if (m.name !== playable.stem) {
        m = { ...m, name: playable.stem, updatedAt: new Date().toISOString() };
        await writeManifest(dir, base, m);
        step('name-chosen');
      }
      const [oldThere, newThere] = await Promise.all([exists(old), exists(playable.absPath)]);
      if (oldThere && newThere) {
        const st = await fs.lstat(playable.absPath);
        if (!st.isFile() || st.size !== up.size || !(await sameBytes(old, playable.absPath))) {
          report.left.push(`${old}: ${playable.relPath} is already taken by another file; left where it was`);
          continue;
        }
        await fs.rm(old);
        step('drop-old-copy');
      } else if (oldThere) {
        await fs.rename(old, playable.absPath);
        await fsyncDir(path.dirname(playable.absPath));
        step('rename-playable');
      } else if (!newThere) {
        // Gone before the move (deleted by hand): nothing to move, and nothing lost (it is derived from the originals,
        // and made again when needed), so it does not hold the migration open.
        log.info('a playable file was already gone before the move', { file: old });
        continue;
      }
      m = {
        ...m,
        upload: { ...m.upload, [format]: { ...up, path: playable.relPath } },
        updatedAt: new Date().toISOString(),
      };
      await writeManifest(dir, base, m);
      step('manifest-path');
      report.renamed++;
    }
  }
  if (report.left.length === 0) {
    await fs.writeFile(path.join(originals, DONE_MARKER), 'Playable files have readable names (Plaud Sync).\n');
    step('done');
  }
  if (report.recordersMoved || report.renamed || report.left.length)
    log.info('library moved to readable names', { ...report });
  return report;
}

/** The lock file the app and the CLI hold while they write into a library (engine.ts). */
export const LIBRARY_LOCK = '.plaud-sync.lock';
