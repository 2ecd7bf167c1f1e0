// ATTACK (attack3): the migration merges an old serial folder into `.originals/<serial>` with plain mkdir/rename,
// without the symlink checks the pull makes (layout.ts ensurePlace). A symbolic link planted at
// `.originals/<serial>` (or a library where that folder is a link) makes the migration move the recordings out of the
// library, where the app no longer sees them (originalsManifests skips links).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrateLibraryLayout } from '../../main/sync/library/migrate-layout.js';

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

it.fails('never moves recordings through a symbolic link out of the library', async () => {
  const outside = path.join(work, 'outside');
  fs.mkdirSync(outside);
  fs.mkdirSync(path.join(lib, '.originals'));
  fs.symlinkSync(outside, path.join(lib, '.originals', SERIAL));
  let report;
  try {
    report = await migrateLibraryLayout(lib);
  } catch (err) {
    report = String(err);
  }
  const movedOut = fs.readdirSync(outside, { recursive: true });
  console.log({ report, movedOut });
  expect(movedOut).toEqual([]);
});
