// ATTACK (attack3): the playable file is written through `<readable name>.opus.part`, opened with 'w', which follows
// a symbolic link. The library refuses a symlinked folder (layout.ts ensurePlace) precisely so nothing is written
// outside it, but a link planted at the predictable temp name of the readable file is written through: the file it
// points to outside the library is truncated and overwritten with audio.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { pullRecording } from '../../main/sync/library/pull.js';
import { sampleName } from '../../main/sync/library/names.js';
import type { Recording } from '../../main/sync/types.js';
import { TEST_SERIAL } from '../support/recorder.js';
import { scratchLibrary } from '../support/scratch-library.js';

let work: string;
let vol: string;
let lib: string;
let recs: Recording[];

beforeEach(async () => {
  ({ work, vol, lib, recs } = await scratchLibrary([{ startSec: 1709280000, seconds: 2 }], 'attack3-'));
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

it('never writes through a symlink planted at the temp name of the readable file', async () => {
  const victim = path.join(work, 'outside-victim.txt');
  await fs.writeFile(victim, 'precious\n');
  // The name the default pattern gives, in the machine's time zone (the same code the Settings preview uses).
  const d = new Date(1709280000 * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const stem = `Plaud Note ${TEST_SERIAL.slice(-4)}/${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}.${pad(d.getMinutes())} Note`;
  expect(sampleName('{recorder}/{date} {time} {kind}')).toMatch(/^Plaud Note 3344\//);
  await fs.mkdir(path.join(lib, path.dirname(stem)));
  await fs.symlink(victim, path.join(lib, `${stem}.opus.part`));

  const p = await pullRecording({ sn: TEST_SERIAL, mountPath: vol }, recs[0]!, { libraryDir: lib, format: 'opus' });
  console.log({ playable: p.upload?.path, victimNow: (await fs.readFile(victim)).subarray(0, 8) });
  // Expected: the file outside the library is untouched (the pull refuses, or replaces the link instead).
  expect(await fs.readFile(victim, 'utf8')).toBe('precious\n');
});
