// An existing library (made by the release before readable names: the same fixture the ledger migration test uses)
// moves into today's layout in place. Killed after any one of its steps, the next run finishes it: no audio file is
// lost or doubled, every playable file ends under its readable name, and the manifests say where.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGINALS_DIR } from '../../../main/sync/library/layout.js';
import { readManifest } from '../../../main/sync/library/manifest.js';
import {
  libraryNeedsMigration,
  migrateLibraryLayout,
  originalsManifests,
} from '../../../main/sync/library/migrate-layout.js';
import { unreadableNames } from '../../support/library-names.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = path.join(HERE, '../ledger/fixtures/v1-state.tgz');
const CHILD = path.join(HERE, '../../support/migrate-child.ts');
const SERIAL = '888000000000000099';

let work: string;
let pristine: string;

function audioContents(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile() && /\.(WAV|ASR|opus|mp3)$/.test(d.name))
    .map((d) =>
      createHash('md5')
        .update(fs.readFileSync(path.join(d.parentPath, d.name)))
        .digest('hex'),
    )
    .sort();
}

function freshCopy(name: string): string {
  const lib = path.join(work, name);
  fs.cpSync(pristine, lib, { recursive: true });
  return lib;
}

function runChild(lib: string, killAt: number): { killed: boolean; steps?: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, lib, String(killAt)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.signal === 'SIGKILL') return { killed: true };
  if (r.status !== 0) throw new Error(`migration child failed: ${r.stderr}`);
  return { killed: false, steps: JSON.parse(r.stdout.trim().split('\n').at(-1)!).steps };
}

async function expectMigrated(lib: string, before: string[]): Promise<void> {
  expect(audioContents(lib)).toEqual(before); // nothing lost, nothing doubled
  expect(fs.existsSync(path.join(lib, SERIAL))).toBe(false);
  expect(unreadableNames(lib)).toEqual([]);
  const manifests = await originalsManifests(lib);
  expect(manifests).toHaveLength(3);
  for (const { dir, base, manifest } of manifests) {
    const up = manifest.upload!.opus!;
    expect(up.path, base).toMatch(/^Plaud Note 0099\/\d{4}-\d{2}-\d{2} \d{2}\.\d{2} (Note|Call)\.opus$/);
    const bytes = fs.readFileSync(path.join(lib, ...up.path!.split('/')));
    expect(createHash('md5').update(bytes).digest('hex')).toBe(up.md5);
    expect(fs.existsSync(path.join(dir, up.name))).toBe(false); // not also left beside the originals
    expect((await readManifest(dir, base))!.name).toBe(up.path!.replace(/\.opus$/, ''));
  }
  expect(await libraryNeedsMigration(lib)).toBe(false);
}

describe('moving an existing library to readable names', () => {
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'plaud-layout-'));
    execFileSync('tar', ['xzf', FIXTURE, '-C', work]);
    pristine = path.join(work, 'plaud-v1-fixture', 'library');
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('moves in place: originals into the hidden folder, playable files to readable names; a second run does nothing', async () => {
    const lib = freshCopy('once');
    const before = audioContents(lib);
    const inodes = new Map(
      (fs.readdirSync(lib, { recursive: true, withFileTypes: true }) as fs.Dirent[])
        .filter((d) => d.isFile() && /\.(WAV|ASR|opus)$/.test(d.name))
        .map((d) => [fs.statSync(path.join(d.parentPath, d.name)).ino, d.name]),
    );
    expect(await libraryNeedsMigration(lib)).toBe(true);
    const report = await migrateLibraryLayout(lib);
    expect(report).toEqual({ recordersMoved: 1, renamed: 3, left: [] });
    await expectMigrated(lib, before);
    // Renamed, not copied: every audio file is the same inode as before.
    const after = (fs.readdirSync(lib, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter(
      (d) => d.isFile() && /\.(WAV|ASR|opus)$/.test(d.name),
    );
    expect(after.map((d) => inodes.has(fs.statSync(path.join(d.parentPath, d.name)).ino))).not.toContain(false);
    expect(fs.readdirSync(path.join(lib, ORIGINALS_DIR, SERIAL, 'NOTES', '20240703')).sort()).toEqual([
      '.1720000000.manifest.json',
      '.1720001200.manifest.json',
      '1720000000.ASR',
      '1720000000.WAV',
      '1720001200.ASR',
      '1720001200.WAV',
    ]);
    expect(await migrateLibraryLayout(lib)).toEqual({ recordersMoved: 0, renamed: 0, left: [] });
  });

  it('killed (SIGKILL) after any step, the next run finishes the move with nothing lost or doubled', async () => {
    const total = runChild(freshCopy('count'), 0).steps!;
    expect(total).toBeGreaterThanOrEqual(8); // a move, 3 x (name, rename, manifest), the marker
    for (let k = 1; k <= total; k++) {
      const lib = freshCopy(`kill-${k}`);
      const before = audioContents(lib);
      expect(runChild(lib, k).killed, `step ${k}`).toBe(true);
      expect(audioContents(lib), `after the kill at step ${k}`).toEqual(before);
      // A second kill in the resumed run, at its first step, must not hurt either (every third step, for time).
      if (k % 3 === 0) runChild(lib, 1);
      expect(runChild(lib, 0).killed).toBe(false);
      await expectMigrated(lib, before);
    }
  }, 300_000);

  it('a recorder folder partly moved already is merged file by file; a different file of the same name stays put', async () => {
    const lib = freshCopy('merge');
    const before = audioContents(lib);
    const day = path.join('NOTES', '20240703');
    // The WAV is already in the originals (the same bytes), and a stray file with another content shares a name.
    fs.mkdirSync(path.join(lib, ORIGINALS_DIR, SERIAL, day), { recursive: true });
    fs.renameSync(
      path.join(lib, SERIAL, day, '1720000000.WAV'),
      path.join(lib, ORIGINALS_DIR, SERIAL, day, '1720000000.WAV'),
    );
    fs.writeFileSync(path.join(lib, ORIGINALS_DIR, SERIAL, day, 'notes.txt'), 'mine');
    fs.writeFileSync(path.join(lib, SERIAL, day, 'notes.txt'), 'also mine, different');
    const report = await migrateLibraryLayout(lib);
    expect(report.recordersMoved).toBe(1);
    expect(report.renamed).toBe(3);
    expect(report.left).toEqual([expect.stringMatching(/notes\.txt: a different file of that name is already/)]);
    expect(audioContents(lib)).toEqual(before);
    expect(fs.readFileSync(path.join(lib, SERIAL, day, 'notes.txt'), 'utf8')).toBe('also mine, different');
    expect(fs.readFileSync(path.join(lib, ORIGINALS_DIR, SERIAL, day, 'notes.txt'), 'utf8')).toBe('mine');
    // Something is left, so the library is looked at again next time (nothing is deleted to make it fit).
    expect(await libraryNeedsMigration(lib)).toBe(true);
  });

  it('a readable name already taken by a file of the user goes to " (2)"; the user file is untouched', async () => {
    const lib = freshCopy('taken');
    const d = new Date(1720000000 * 1000);
    const p2 = (n: number) => String(n).padStart(2, '0');
    const stem = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}.${p2(d.getMinutes())} Note`;
    fs.mkdirSync(path.join(lib, 'Plaud Note 0099'));
    fs.writeFileSync(path.join(lib, 'Plaud Note 0099', `${stem}.opus`), 'a file the user put there');
    await migrateLibraryLayout(lib);
    expect(fs.readFileSync(path.join(lib, 'Plaud Note 0099', `${stem}.opus`), 'utf8')).toBe(
      'a file the user put there',
    );
    const m = (await originalsManifests(lib)).find((x) => x.manifest.relBase.endsWith('1720000000'))!;
    expect(m.manifest.upload!.opus!.path).toBe(`Plaud Note 0099/${stem} (2).opus`);
  });
});
