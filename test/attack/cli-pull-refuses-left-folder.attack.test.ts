// ATTACK (attack4): `plaud-sync pull` refuses while the app holds the library lock as long as an old recorder folder
// (<library>/<serial>/NOTES/...) is at the top. The move leaves such a folder for good when a file in it differs from
// the one already in .originals (a folder restored from a backup after the move; migrate-layout.ts mergeInto "left").
// The app has moved what it can, and nothing more will ever move: the pull is refused every time the app is open,
// with the advice "Wait until it has started", which never helps (library-layout.ts migrateLibraryIfNeeded).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { acquireLock } from '../../main/sync/ledger/lock.js';
import { placeOf } from '../../main/sync/library/layout.js';
import { LIBRARY_LOCK, migrateLibraryLayout } from '../../main/sync/library/migrate-layout.js';
import { pullRecording } from '../../main/sync/library/pull.js';
import { nullLogger } from '../../main/sync/log.js';
import { TEST_SERIAL } from '../support/recorder.js';
import { scratchLibrary, type ScratchLibrary } from '../support/scratch-library.js';

const ENTRY = path.join(__dirname, '../support/cli-entry.ts');
let s: ScratchLibrary;
beforeEach(async () => {
  s = await scratchLibrary([{ startSec: 1709280000, seconds: 2 }], 'attack4-left-');
});
afterEach(async () => {
  await fs.rm(s.work, { recursive: true, force: true });
});

it('a pull while the app is open is not refused for an old folder the move has left for good', async () => {
  const rec = s.recs[0]!;
  await pullRecording({ sn: TEST_SERIAL, mountPath: s.vol }, rec, { libraryDir: s.lib });
  // An older copy of the recorder folder comes back from a backup: its manifest differs from the one in .originals.
  const place = placeOf(s.lib, rec);
  const oldDir = path.join(s.lib, path.relative(path.join(s.lib, '.originals'), place.dir));
  await fs.mkdir(oldDir, { recursive: true });
  const manifest = `.${place.base}.manifest.json`;
  await fs.writeFile(path.join(oldDir, manifest), '{"version":1,"note":"from the backup"}');
  // The app's start moves the library: that file is left where it is, and so is its folder.
  const report = await migrateLibraryLayout(s.lib);
  expect(report.left.length).toBe(1);
  // The app is open (it holds the library lock); a pull in a terminal.
  const lock = acquireLock(s.lib, nullLogger, LIBRARY_LOCK);
  try {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', ENTRY, 'pull', '--json', '--volume', s.vol, '--library', s.lib],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PLAUD_SYNC_STATE: path.join(s.work, 'st') } },
    );
    console.log({ status: r.status, stderr: r.stderr.trim() });
    expect(r.status).toBe(0);
  } finally {
    lock.release();
  }
}, 90_000);
