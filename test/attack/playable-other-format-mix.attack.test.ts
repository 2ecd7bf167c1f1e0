// ATTACK (attack4): the own-file rule (playable.ts) checks only the file of the format asked for. A take whose old
// name another recording was given (after the user renamed the take's file away) takes that name again, after a
// restart, for its other format: "<name>.opus" is one recording and "<name>.mp3" another. A fresh name is checked
// in both formats (the loop in choosePlayableName); the take's earlier name is not.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { TEST_SERIAL } from '../support/recorder.js';
import { scratchLibrary, type ScratchLibrary } from '../support/scratch-library.js';

let s: ScratchLibrary;
beforeEach(async () => {
  // Two recordings of one minute: A at :00, B at :30.
  s = await scratchLibrary(
    [
      { startSec: 1709280000, seconds: 2 },
      { startSec: 1709280030, seconds: 1 },
    ],
    'attack4-mix-',
  );
});
afterEach(async () => {
  await fs.rm(s.work, { recursive: true, force: true });
});

/** The library code as after a restart of the app or another CLI run. */
async function freshPull() {
  vi.resetModules();
  return (await import('../../main/sync/library/pull.js')).pullRecording;
}

it('two formats under one name are always one recording', async () => {
  const device = { sn: TEST_SERIAL, mountPath: s.vol };
  const [a, b] = s.recs;
  const pa = await (await freshPull())(device, a!, { libraryDir: s.lib, format: 'opus' });
  const nameA = pa.upload!.path;
  await fs.rename(nameA, path.join(path.dirname(nameA), 'Meeting with Bob.opus')); // the docs allow it
  // Restart; B gets the freed name.
  const pull = await freshPull();
  const pb = await pull(device, b!, { libraryDir: s.lib, format: 'opus' });
  expect(pb.upload!.path).toBe(nameA);
  // The user switches the upload format to MP3 and the app starts again; A is made in MP3.
  const pa2 = await (await freshPull())(device, a!, { libraryDir: s.lib, format: 'mp3' });
  console.log({ bOpus: pb.upload!.path, aMp3: pa2.upload!.path });
  // Expected: A's MP3 is not given B's name.
  expect(pa2.upload!.path.replace(/\.mp3$/, '')).not.toBe(pb.upload!.path.replace(/\.opus$/, ''));
});
