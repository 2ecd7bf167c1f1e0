// ATTACK (attack4): remakeUploadFile (pull.ts), used by the uploader when a playable file is gone or changed before
// its upload, calls choosePlayableName without the libraryNames pattern. When the take's old name cannot serve it
// (the user edited the file there), the new file is named by the default pattern, in a folder the user's pattern
// never makes, instead of "<name by the user's pattern> (2)".
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { placeOf } from '../../main/sync/library/layout.js';
import { pullRecording, remakeUploadFile } from '../../main/sync/library/pull.js';
import { TEST_SERIAL } from '../support/recorder.js';
import { scratchLibrary, type ScratchLibrary } from '../support/scratch-library.js';

let s: ScratchLibrary;
beforeEach(async () => {
  s = await scratchLibrary([{ startSec: 1709280000, seconds: 2 }], 'attack4-remake-');
});
afterEach(async () => {
  await fs.rm(s.work, { recursive: true, force: true });
});

it("a playable file made again follows the user's name pattern", async () => {
  const rec = s.recs[0]!;
  const nameTemplate = 'Recordings/{date} {time}';
  const first = await pullRecording({ sn: TEST_SERIAL, mountPath: s.vol }, rec, { libraryDir: s.lib, nameTemplate });
  const mine = first.upload!.path;
  expect(path.relative(s.lib, mine)).toMatch(/^Recordings\//);
  await fs.writeFile(mine, 'edited in an audio editor'); // another size: the uploader makes the file again
  const place = placeOf(s.lib, rec);
  const made = await remakeUploadFile(place.dir, place.base, 'opus', { nameTemplate });
  console.log({ first: path.relative(s.lib, mine), remade: made && path.relative(s.lib, made.path) });
  expect(await fs.readFile(mine, 'utf8')).toBe('edited in an audio editor');
  expect(made!.path).toBe(mine.replace(/\.opus$/, ' (2).opus'));
});
