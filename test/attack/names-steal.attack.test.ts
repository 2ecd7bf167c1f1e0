// ATTACK (attack3): a readable name freed on disk (the user renamed or deleted a playable file, which the docs allow)
// is handed to another recording after a restart, while the first recording's manifest still claims it. When the
// first recording's playable file is made again (plaud-sync pull decides from the library alone; a partner file that
// arrives later; mp3 added) it is written over the other recording's playable file.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { scanVolume } from '../../main/sync/devices/scan.js';
import type { Recording } from '../../main/sync/types.js';
import { layOutRecorder, TEST_SERIAL } from '../support/recorder.js';

let work: string;
let vol: string;
let lib: string;
let recs: Recording[];
const device = () => ({ sn: TEST_SERIAL, mountPath: vol });
const md5 = async (p: string) =>
  crypto
    .createHash('md5')
    .update(await fs.readFile(p))
    .digest('hex');

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'attack3-'));
  vol = path.join(work, 'vol');
  lib = path.join(work, 'lib');
  await fs.mkdir(vol);
  await fs.mkdir(lib);
  // Two short recordings started in the same minute (A at :00, B at :30).
  await layOutRecorder(vol, {
    recordings: [
      { startSec: 1709280000, seconds: 2 },
      { startSec: 1709280030, seconds: 1 },
    ],
  });
  recs = (await scanVolume(vol, TEST_SERIAL)).recordings;
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

/** A fresh copy of the library code, as after a restart of the app or another CLI run. */
async function freshPull() {
  vi.resetModules();
  return (await import('../../main/sync/library/pull.js')).pullRecording;
}

it.fails("a recording made again never writes over another recording's playable file", async () => {
  const [a, b] = recs;
  // Run 1: A is pulled; the user renames its playable file (docs: "You may move, rename or delete the playable files").
  const pull1 = await freshPull();
  const pa = await pull1(device(), a!, { libraryDir: lib, format: 'opus' });
  const nameA = pa.upload!.path;
  await fs.rename(nameA, path.join(path.dirname(nameA), 'Meeting with Bob.opus'));

  // Run 2 (restart): B is pulled; A's old name is free on disk, so B gets it.
  const pull2 = await freshPull();
  const pb = await pull2(device(), b!, { libraryDir: lib, format: 'opus' });
  const bMd5 = await md5(pb.upload!.path);
  expect(pb.upload!.md5).toBe(bMd5);

  // A's playable file is made again (plaud-sync pull sees it missing and re-prepares it).
  const pa2 = await pull2(device(), a!, { libraryDir: lib, format: 'opus' });

  // Expected: two different files, B's playable file still B's audio.
  console.log({ nameA, nameB: pb.upload!.path, nameA2: pa2.upload!.path });
  const nowThere = await md5(pb.upload!.path);
  console.log({ bMd5, aMd5: pa2.upload!.md5, nowThere });
  expect(await md5(pb.upload!.path)).toBe(bMd5);
  expect(pa2.upload!.path).not.toBe(pb.upload!.path);
});
