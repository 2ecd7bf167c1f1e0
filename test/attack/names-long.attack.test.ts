// ATTACK (attack3): templateProblem accepts a pattern whose rendered file name is too long for the disk in bytes.
// safeSegment cuts a segment at 120 characters, not bytes: 100 CJK characters are 300 bytes in UTF-8 and ext4/APFS
// take 255. The setting is accepted (no words in Settings), and every pull then fails on the playable file.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { scanVolume } from '../../main/sync/devices/scan.js';
import { pullRecording } from '../../main/sync/library/pull.js';
import { renderName, SAMPLE_FIELDS, templateProblem } from '../../main/sync/library/names.js';
import type { Recording } from '../../main/sync/types.js';
import { layOutRecorder, TEST_SERIAL } from '../support/recorder.js';

let work: string;
let vol: string;
let lib: string;
let recs: Recording[];
const TEMPLATE = `{recorder}/{date} {time} ${'会議'.repeat(50)}`;

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

it.fails('a pattern Settings accepts gives names the disk takes', async () => {
  expect(templateProblem(TEMPLATE)).toBeUndefined(); // accepted
  const last = renderName(TEMPLATE, SAMPLE_FIELDS).split('/').pop()!;
  console.log({ chars: last.length, bytes: Buffer.byteLength(`${last}.opus.part`) });
  const p = pullRecording({ sn: TEST_SERIAL, mountPath: vol }, recs[0]!, {
    libraryDir: lib,
    format: 'opus',
    nameTemplate: TEMPLATE,
  });
  await expect(p).resolves.toBeDefined(); // observed: rejects, "name too long"
});

it.fails('after the user fixes the pattern, the recording is no longer stuck on the name it was given', async () => {
  const opts = { libraryDir: lib, format: 'opus' as const };
  const dev = { sn: TEST_SERIAL, mountPath: vol };
  await expect(pullRecording(dev, recs[0]!, { ...opts, nameTemplate: TEMPLATE })).rejects.toThrow(/ENAMETOOLONG/);
  // The user sees the failure and goes back to the default pattern: the manifest still holds the too-long name.
  const again = pullRecording(dev, recs[0]!, { ...opts, nameTemplate: '{recorder}/{date} {time} {kind}' });
  await expect(again).resolves.toBeDefined(); // observed: ENAMETOOLONG again, at every pull, for good
});
