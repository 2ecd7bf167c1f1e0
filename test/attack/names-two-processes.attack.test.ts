// ATTACK (attack4): playable.ts claims a name in memory ("the library lock keeps other processes out"), but
// `plaud-sync pull` takes the library lock only to move an old library (engine/library-layout.ts): on a moved library
// it pulls beside the open app without any lock. Two processes naming recordings of the same minute at once (two
// recorders and a pattern without {recorder}, which Settings accepts) both take one name: one pull fails (their
// temp file is one file) or the later file replaces the other recording's playable file.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { scanVolume } from '../../main/sync/devices/scan.js';
import { templateProblem } from '../../main/sync/library/names.js';
import { layOutRecorder, TEST_SERIAL } from '../support/recorder.js';
import { scratchLibrary, type ScratchLibrary } from '../support/scratch-library.js';

const OTHER_SERIAL = '888317426571229999';
let s: ScratchLibrary;
beforeEach(async () => {
  s = await scratchLibrary([{ startSec: 1709280000, seconds: 2 }], 'attack4-two-');
});
afterEach(async () => {
  await fs.rm(s.work, { recursive: true, force: true });
});

/** The library code of another process (its own memory of names handed out). */
async function processPull() {
  vi.resetModules();
  return (await import('../../main/sync/library/pull.js')).pullRecording;
}
const md5 = async (p: string) =>
  crypto
    .createHash('md5')
    .update(await fs.readFile(p))
    .digest('hex');

// KNOWN, not fixed yet (it.fails: this turns red once it is): `plaud-sync pull` names files without the library lock
// while the app runs; the fix is for the CLI to hold the lock for the whole pull.
it.fails('the app and plaud-sync pull never give two recordings one playable file', async () => {
  const nameTemplate = 'Recordings/{date} {time}';
  expect(templateProblem(nameTemplate)).toBeUndefined();
  const vol2 = path.join(s.work, 'vol2');
  await fs.mkdir(vol2);
  await layOutRecorder(vol2, { serial: OTHER_SERIAL, recordings: [{ startSec: 1709280020, seconds: 3 }] });
  const rec2 = (await scanVolume(vol2, OTHER_SERIAL)).recordings[0]!;
  const app = await processPull();
  const cli = await processPull();
  const got = await Promise.allSettled([
    app({ sn: TEST_SERIAL, mountPath: s.vol }, s.recs[0]!, { libraryDir: s.lib, nameTemplate }),
    cli({ sn: OTHER_SERIAL, mountPath: vol2 }, rec2, { libraryDir: s.lib, nameTemplate }),
  ]);
  // Observed: both take "Recordings/2024-03-01 08.00" and share its temp file; one fails with ENOENT on the rename
  // (or, with other timing, its file replaces the other's).
  console.log(got.map((g) => (g.status === 'fulfilled' ? path.relative(s.lib, g.value.upload!.path) : g.reason)));
  expect(got.map((g) => g.status)).toEqual(['fulfilled', 'fulfilled']);
  const [a, b] = got.map((g) => (g as PromiseFulfilledResult<Awaited<ReturnType<typeof app>>>).value);
  if (!a || !b) return;
  expect(a.upload!.path).not.toBe(b.upload!.path);
  expect(await md5(a.upload!.path)).toBe(a.upload!.md5);
  expect(await md5(b.upload!.path)).toBe(b.upload!.md5);
});
