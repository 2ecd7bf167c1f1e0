// ATTACK (attack3): choosePlayableName reads handedOut, then awaits the disk (lstat of .opus and .mp3), then claims
// the name. Two takes asking at the same moment (the pull runs 3 recordings at once, PULL_CONCURRENCY) both read
// "free" before either claims it, and both get the same readable name: the second playable file replaces the first.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { scanVolume } from '../../main/sync/devices/scan.js';
import { choosePlayableName } from '../../main/sync/library/playable.js';
import { pullAll } from '../../main/sync/engine/pull-coordinator.js';
import { originalsManifests } from '../../main/sync/library/migrate-layout.js';
import { layOutRecorder, TEST_SERIAL } from '../support/recorder.js';

let work: string;
let lib: string;
beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'attack3-race-'));
  lib = path.join(work, 'lib');
  await fs.mkdir(lib);
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

it.fails('two recordings of the same minute asking at once get two names', async () => {
  const want = (startMs: number) => ({
    sn: TEST_SERIAL,
    kind: 'note' as const,
    startMs,
    take: 1,
    format: 'opus' as const,
  });
  const [a, b] = await Promise.all([
    choosePlayableName(lib, { key: 'A' }, want(1709280000_000)),
    choosePlayableName(lib, { key: 'B' }, want(1709280030_000)),
  ]);
  console.log({ a: a.relPath, b: b.relPath });
  expect(a.relPath).not.toBe(b.relPath);
});

it.fails('a real pull of three recordings of the same minute keeps three playable files', async () => {
  const vol = path.join(work, 'vol');
  await fs.mkdir(vol);
  await layOutRecorder(vol, {
    recordings: [
      { startSec: 1709280000, seconds: 1 },
      { startSec: 1709280020, seconds: 1 },
      { startSec: 1709280040, seconds: 1 },
    ],
  });
  const recs = (await scanVolume(vol, TEST_SERIAL)).recordings;
  const dev = { sn: TEST_SERIAL, mountPath: vol } as never;
  // First pulled without an upload format (--format none / the originals only); then the playable files are made.
  await pullAll(dev, recs, { libraryDir: lib, format: null });
  const summary = await pullAll(dev, recs, { libraryDir: lib, format: 'opus' });
  const visible = await fs.readdir(path.join(lib, 'Plaud Note 1884'));
  console.log({ visible });
  console.log({ pulled: summary.pulled.length, failed: summary.failed.map((f) => f.message) });
  // The next pull, one at a time: the names written into the manifests before the failure stick.
  const again = await pullAll(dev, recs, { libraryDir: lib, format: 'opus', concurrency: 1 });
  const names = (await originalsManifests(lib)).map((m) => m.manifest.upload?.opus?.path);
  console.log({ again: again.pulled.length, names, visible: await fs.readdir(path.join(lib, 'Plaud Note 1884')) });
  expect(new Set(names).size).toBe(3);
});
