// ATTACK (attack3): the second format of a take (mp3 after opus: the Settings' upload format changed, or
// `plaud-sync pull --format mp3`) goes under the take's name without asking whether `<name>.mp3` is free. A file of
// the user's beside the playable file, with the same name and the other extension (what a converter saves), is
// overwritten. The docs promise a file of yours moves the newcomer to " (2)".
import fs from 'node:fs/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { pullRecording } from '../../main/sync/library/pull.js';
import type { Recording } from '../../main/sync/types.js';
import { TEST_SERIAL } from '../support/recorder.js';
import { scratchLibrary } from '../support/scratch-library.js';

let work: string;
let vol: string;
let lib: string;
let recs: Recording[];

beforeEach(async () => {
  ({ work, vol, lib, recs } = await scratchLibrary([{ startSec: 1709280000, seconds: 1 }], 'attack3-'));
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

it("a take's second format never overwrites a file of the user's", async () => {
  const dev = { sn: TEST_SERIAL, mountPath: vol };
  const opus = await pullRecording(dev, recs[0]!, { libraryDir: lib, format: 'opus' });
  const mine = opus.upload!.path.replace(/\.opus$/, '.mp3');
  await fs.writeFile(mine, 'the mp3 I made myself, with my edits\n');
  const mp3 = await pullRecording(dev, recs[0]!, { libraryDir: lib, format: 'mp3' });
  console.log({ opus: opus.upload!.path, mp3: mp3.upload!.path });
  expect(await fs.readFile(mine, 'utf8')).toBe('the mp3 I made myself, with my edits\n');
});
