// ATTACK (attack4): "the name is noted in the manifest before the file is made, so a file found there after a crash
// is known to be this take's own" (pull.ts). It was not: a crash after the playable file was in place and before the
// manifest noted its size and MD5 left a file the own-file rule (playable.ts) did not recognise (no upload entry).
// The next pull made the take again as "<name> (2).opus" and the first file stayed in the library for good, a
// second copy of the recording that no manifest knew (nothing ever uploads, replaces or tidies it).
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { pullRecording, type PrepareUploadFn } from '../../main/sync/library/pull.js';
import { prepareUploadFile } from '../../main/sync/library/prepare.js';
import { TEST_SERIAL } from '../support/recorder.js';
import { scratchLibrary, type ScratchLibrary } from '../support/scratch-library.js';

let s: ScratchLibrary;
beforeEach(async () => {
  s = await scratchLibrary([{ startSec: 1709280000, seconds: 2 }], 'attack4-crash-');
});
afterEach(async () => {
  await fs.rm(s.work, { recursive: true, force: true });
});

async function playableFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.(opus|mp3)$/.test(e.name) && !path.join(e.parentPath, e.name).includes('.originals'))
      out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

// Fixed: the pull notes the file's entry (name, size, MD5) in the manifest before the rename, so the file left by the
// crash is the take's own and is made again in place. The same for a crash just before the rename.
it('a crash right after the playable file is made leaves no second copy of the recording', async () => {
  const device = { sn: TEST_SERIAL, mountPath: s.vol };
  const rec = s.recs[0]!;
  // The process dies once the real audio layer has renamed the playable file into place, before the manifest save
  // (a power cut, SIGKILL, a full disk for the manifest): the same state as a throw at that point.
  const dieAfterPrepare: PrepareUploadFn = async (args) => {
    await prepareUploadFile(args);
    throw Object.assign(new Error('killed'), { code: 'EIO' });
  };
  await expect(pullRecording(device, rec, { libraryDir: s.lib, prepare: dieAfterPrepare })).rejects.toThrow();
  const afterCrash = await playableFiles(s.lib);
  expect(afterCrash).toHaveLength(1);

  const again = await pullRecording(device, rec, { libraryDir: s.lib });
  const now = await playableFiles(s.lib);
  console.log({ afterCrash, now, upload: path.relative(s.lib, again.upload!.path) });
  // Expected: the take's own file (its name was noted) is made again in place: one playable file, the noted one.
  expect(now).toEqual(afterCrash);
});

it('a crash after the entry is noted and before the rename: the next pull makes the file under the noted name', async () => {
  const device = { sn: TEST_SERIAL, mountPath: s.vol };
  const rec = s.recs[0]!;
  let noted: string | undefined;
  const dieBeforeRename: PrepareUploadFn = (args) =>
    prepareUploadFile({
      ...args,
      beforeRename: async (file) => {
        await args.beforeRename!(file);
        noted = path.relative(s.lib, args.destPath);
        throw Object.assign(new Error('killed'), { code: 'EIO' });
      },
    });
  await expect(pullRecording(device, rec, { libraryDir: s.lib, prepare: dieBeforeRename })).rejects.toThrow();
  expect(noted).toBeDefined();
  expect(await playableFiles(s.lib)).toEqual([]);

  const again = await pullRecording(device, rec, { libraryDir: s.lib });
  expect(await playableFiles(s.lib)).toEqual([noted]);
  expect(path.relative(s.lib, again.upload!.path)).toBe(noted);
  expect((await fs.stat(again.upload!.path)).size).toBe(again.upload!.size);
});
