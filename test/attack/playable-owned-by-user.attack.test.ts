// ATTACK (attack3, F3): the playable file is the user's to open, edit, rename or delete. A later pull must never
// write over an edit, and must not make a synced recording's file again because the user moved it away.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { scanVolume } from '../../main/sync/devices/scan.js';
import { placeOf } from '../../main/sync/library/layout.js';
import { updateManifest } from '../../main/sync/library/manifest.js';
import { isPulled, pullRecording } from '../../main/sync/library/pull.js';
import type { Recording } from '../../main/sync/types.js';
import { layOutRecorder, TEST_SERIAL } from '../support/recorder.js';

let work: string;
let vol: string;
let lib: string;
let rec: Recording;
const device = () => ({ sn: TEST_SERIAL, mountPath: vol });

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'attack3-own-'));
  vol = path.join(work, 'vol');
  lib = path.join(work, 'lib');
  await fs.mkdir(vol);
  await layOutRecorder(vol, { recordings: [{ startSec: 1709280000, seconds: 2 }] });
  rec = (await scanVolume(vol, TEST_SERIAL)).recordings[0]!;
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

it('an edit in place is never overwritten: the take gets a fresh file beside it for its upload', async () => {
  const first = await pullRecording(device(), rec, { libraryDir: lib });
  const mine = first.upload!.path;
  await fs.writeFile(mine, 'my notes, saved over the file in an audio editor');
  expect(await isPulled(lib, rec)).toBe(false); // not synced yet: it still needs a file to upload
  const again = await pullRecording(device(), rec, { libraryDir: lib });
  expect(await fs.readFile(mine, 'utf8')).toBe('my notes, saved over the file in an audio editor');
  expect(again.upload!.path).toBe(mine.replace(/\.opus$/, ' (2).opus'));
  expect((await fs.readFile(again.upload!.path)).subarray(0, 4).toString('latin1')).toBe('OggS');
  expect(again.copiedBytes).toBe(0);
});

it('a synced take whose file the user moved away is pulled already: nothing is made again', async () => {
  const first = await pullRecording(device(), rec, { libraryDir: lib });
  const place = placeOf(lib, rec);
  await updateManifest(place.dir, place.base, (m) => ({ ...m, cloud: { fileId: 'cloud-1', syncedAt: 1 } }));
  await fs.rename(first.upload!.path, path.join(work, 'Meeting with Bob.opus'));
  expect(await isPulled(lib, rec)).toBe(true);
  const folder = path.dirname(first.upload!.path);
  expect(await fs.readdir(folder)).toEqual([]);
});
