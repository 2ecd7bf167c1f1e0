// A recorder laid out in a plain folder and an empty library beside it, in a fresh temp folder: the setting of the
// library-level tests that need no FAT volume (names, playable files, the layout move).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { scanVolume } from '../../main/sync/devices/scan.js';
import type { Recording } from '../../main/sync/types.js';
import { layOutRecorder, TEST_SERIAL, type RecordingSpec } from './recorder.js';

export interface ScratchLibrary {
  work: string;
  /** The recorder's folder (TEST_SERIAL). */
  vol: string;
  /** The library, made empty. */
  lib: string;
  /** The recorder's recordings as the scan sees them. */
  recs: Recording[];
}

export async function scratchLibrary(recordings: RecordingSpec[], prefix = 'plaud-scratch-'): Promise<ScratchLibrary> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const vol = path.join(work, 'vol');
  const lib = path.join(work, 'lib');
  await fs.mkdir(vol);
  await fs.mkdir(lib);
  await layOutRecorder(vol, { recordings });
  return { work, vol, lib, recs: (await scanVolume(vol, TEST_SERIAL)).recordings };
}
