// ATTACK (attack3): `plaud-sync pull` on a library from before readable names while the app holds the library lock
// (the app is open; it moves the library itself). migrateLibraryIfNeeded then does nothing, and the pull goes on
// anyway without the lock: it does not see the old manifests in <library>/<serial>/, so it copies every recording a
// second time into .originals and makes second playable files. "A library from before readable names is moved
// first, so nothing in it is copied twice" (cli/commands/pull.ts) does not hold.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { acquireLock } from '../../main/sync/ledger/lock.js';
import { LIBRARY_LOCK, libraryNeedsMigration, migrateLibraryLayout } from '../../main/sync/library/migrate-layout.js';
import { visibleLibraryNames } from '../support/library-names.js';
import { nullLogger } from '../../main/sync/log.js';

const FIXTURE = path.join(__dirname, '../sync/ledger/fixtures/v1-state.tgz');
const ENTRY = path.join(__dirname, '../support/cli-entry.ts');
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'attack3-lock-'));
  execFileSync('tar', ['xzf', FIXTURE, '-C', work]);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it.fails(
  'a pull while another Plaud Sync holds the library copies nothing twice',
  async () => {
    const root = path.join(work, 'plaud-v1-fixture');
    const lib = path.join(root, 'library');
    const lock = acquireLock(lib, nullLogger, LIBRARY_LOCK); // the app, open
    try {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', ENTRY, 'pull', '--json', '--volume', path.join(root, 'recorder'), '--library', lib],
        { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PLAUD_SYNC_STATE: path.join(work, 'st') } },
      );
      const summary = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; bytesCopied?: number; pulled?: number })
        .find((e) => e.type === 'summary');
      const wavs = (fs.readdirSync(lib, { recursive: true }) as string[]).filter((p) => p.endsWith('.WAV'));
      console.log({ status: r.status, summary, wavs });
      expect(summary?.bytesCopied).toBe(0);
    } finally {
      lock.release();
    }
    // The app then moves its library (its next start): what is left, and what a person sees.
    const report = await migrateLibraryLayout(lib);
    const visible = visibleLibraryNames(lib);
    console.log({ report, visible, stillNeeded: await libraryNeedsMigration(lib) });
    // Observed: the old serial folder stays visible with the old manifests (they hold the cloud ids) in report.left
    // forever, the old playable files lie orphaned in .originals, and every start walks the library again.
    expect(visible.filter((p) => /^[0-9]{9,}/.test(p))).toEqual([]);
    expect(await libraryNeedsMigration(lib)).toBe(false);
  },
  90_000,
);
