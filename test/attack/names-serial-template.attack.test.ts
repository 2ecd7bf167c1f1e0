// ATTACK (attack3): a pattern that mirrors the recorder's own layout, "{serial}/NOTES/{date}/{time}", is accepted by
// templateProblem. The readable folder it makes (<serial>/NOTES/...) is what libraryNeedsMigration takes for a
// library from before readable names: at the next start the migration moves the user's playable files into the
// hidden .originals folder, the manifests point at files no longer there, the next pull makes them again, and so on.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { scanVolume } from '../../main/sync/devices/scan.js';
import { pullRecording } from '../../main/sync/library/pull.js';
import { templateProblem } from '../../main/sync/library/names.js';
import { libraryNeedsMigration, migrateLibraryLayout } from '../../main/sync/library/migrate-layout.js';
import type { Recording } from '../../main/sync/types.js';
import { layOutRecorder, TEST_SERIAL } from '../support/recorder.js';

let work: string;
let vol: string;
let lib: string;
let recs: Recording[];
const TEMPLATE = '{serial}/NOTES/{date}/{time}';

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'attack3-'));
  vol = path.join(work, 'vol');
  lib = path.join(work, 'lib');
  await fs.mkdir(vol);
  await fs.mkdir(lib);
  await layOutRecorder(vol, { recordings: [{ startSec: 1709280000, seconds: 1 }] });
  recs = (await scanVolume(vol, TEST_SERIAL)).recordings;
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

it.fails('a readable folder made by an accepted pattern is never taken for the old layout', async () => {
  expect(templateProblem(TEMPLATE)).toBeUndefined();
  const p = await pullRecording({ sn: TEST_SERIAL, mountPath: vol }, recs[0]!, {
    libraryDir: lib,
    format: 'opus',
    nameTemplate: TEMPLATE,
  });
  console.log({ playable: path.relative(lib, p.upload!.path) });
  // A new library made entirely by this version; the next start asks whether it needs moving.
  await migrateLibraryLayout(lib); // the first start's walk (writes the done marker)
  console.log({ needsAgain: await libraryNeedsMigration(lib) });
  await migrateLibraryLayout(lib, { nameTemplate: TEMPLATE });
  const exists = await fs.stat(p.upload!.path).then(
    () => true,
    () => false,
  );
  console.log({ stillThere: exists });
  expect(exists).toBe(true);
});
