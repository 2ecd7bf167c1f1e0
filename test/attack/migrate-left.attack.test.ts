// ATTACK (attack3): an old library where the user had deleted one playable file (allowed: "You may ... delete the
// playable files once they are synced"). The migration leaves that recording in report.left ("missing; it is made
// again ... when needed"), so the done marker is never written: libraryNeedsMigration stays true, and every start of
// the app walks and parses every manifest of the library again and logs the same warning, for good (the recording is
// usually gone from the recorder, so nothing ever makes its file again).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { libraryNeedsMigration, migrateLibraryLayout } from '../../main/sync/library/migrate-layout.js';

const FIXTURE = path.join(__dirname, '../sync/ledger/fixtures/v1-state.tgz');
const SERIAL = '888000000000000099';
let work: string;
let lib: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'attack3-mig-'));
  execFileSync('tar', ['xzf', FIXTURE, '-C', work]);
  lib = path.join(work, 'plaud-v1-fixture', 'library');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it.fails(
  'an old library with one playable file deleted by hand is moved once, not at every start',
  async () => {
    fs.rmSync(path.join(lib, SERIAL, 'NOTES', '20240703', '1720000000.opus'));
    // Many recorders' worth of manifests, to see what each start costs (copies of the recorder under other serials;
    // measured with 300 copies, 903 manifests: 360 to 1000 ms per start on this loaded machine).
    for (let i = 0; i < 60; i++)
      fs.cpSync(path.join(lib, SERIAL), path.join(lib, `8880000000001${String(i).padStart(5, '0')}`), {
        recursive: true,
      });
    const first = await migrateLibraryLayout(lib);
    console.log({ first: { ...first, left: first.left.length } });
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      if (await libraryNeedsMigration(lib)) await migrateLibraryLayout(lib);
      starts.push(Math.round(performance.now() - t0));
    }
    console.log({ msPerStartAfterMigration: starts, stillNeeded: await libraryNeedsMigration(lib) });
    expect(await libraryNeedsMigration(lib)).toBe(false);
  },
  120_000,
);

it.fails('an old recording whose manifest cannot be read keeps a playable file a person can find', async () => {
  const w = fs.mkdtempSync(path.join(os.tmpdir(), 'attack3-mig2-'));
  try {
    execFileSync('tar', ['xzf', FIXTURE, '-C', w]);
    const l = path.join(w, 'plaud-v1-fixture', 'library');
    const day = path.join(l, SERIAL, 'NOTES', '20240703');
    fs.writeFileSync(path.join(day, '.1720001200.manifest.json'), '{"version": 1, "trunc'); // a torn write
    const report = await migrateLibraryLayout(l);
    const visible = (fs.readdirSync(l, { recursive: true }) as string[]).filter(
      (p) => !p.split(path.sep).some((s) => s.startsWith('.')) && p.endsWith('.opus'),
    );
    console.log({ report, visible });
    // Observed: 2 playable files visible, the third moved into the hidden .originals, and the report says nothing.
    expect(visible.length === 3 || report.left.length > 0).toBe(true);
  } finally {
    fs.rmSync(w, { recursive: true, force: true });
  }
});
