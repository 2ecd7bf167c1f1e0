// ATTACK (attack3): a pattern that mirrors the recorder's own layout, "{serial}/NOTES/{date}/{time}", is accepted by
// templateProblem. The readable folder it makes (<serial>/NOTES/...) is what libraryNeedsMigration takes for a
// library from before readable names: at the next start the migration moves the user's playable files into the
// hidden .originals folder, the manifests point at files no longer there, the next pull makes them again, and so on.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { pullRecording } from '../../main/sync/library/pull.js';
import { templateProblem } from '../../main/sync/library/names.js';
import { libraryNeedsMigration, migrateLibraryLayout } from '../../main/sync/library/migrate-layout.js';
import type { Recording } from '../../main/sync/types.js';
import { TEST_SERIAL } from '../support/recorder.js';
import { scratchLibrary } from '../support/scratch-library.js';

let work: string;
let vol: string;
let lib: string;
let recs: Recording[];
const TEMPLATE = '{serial}/NOTES/{date}/{time}';

beforeEach(async () => {
  ({ work, vol, lib, recs } = await scratchLibrary([{ startSec: 1709280000, seconds: 1 }], 'attack3-'));
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

it("a pattern that would make the recorder's own folders is refused, and a pull falls back to the default", async () => {
  expect(templateProblem(TEMPLATE)).toMatch(/"NOTES" and "CALLS"/);
  expect(templateProblem('{serial}/calls/{date} {time}')).toMatch(/"NOTES" and "CALLS"/);
  const p = await pullRecording({ sn: TEST_SERIAL, mountPath: vol }, recs[0]!, {
    libraryDir: lib,
    format: 'opus',
    nameTemplate: TEMPLATE,
  });
  expect(path.relative(lib, p.upload!.path)).toMatch(/^Plaud Note \d{4}\//);
  await migrateLibraryLayout(lib);
  expect(await libraryNeedsMigration(lib)).toBe(false);
  await migrateLibraryLayout(lib, { nameTemplate: TEMPLATE });
  expect(await fs.stat(p.upload!.path)).toBeTruthy();
});
