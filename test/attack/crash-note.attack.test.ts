// ATTACK (2cf6988): "a crash at any point while a playable file is made never leaves a second copy of the recording in
// the library, never uploads it twice, and never overwrites a file that is not the take's own". The pull and
// remakeUploadFile now note the upload entry in the manifest before the rename (beforeRename), so a manifest can name
// a file that is not there yet. A hard crash is modelled by keeping what a killed process leaves on the disk: the
// fsynced `<name>.part` (the audio layer removes it only when it gets to run its catch) and the noted manifest.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { openLedger } from '../../main/sync/ledger/index.js';
import type { LibraryError } from '../../main/sync/library/errors.js';
import { md5File } from '../../main/sync/library/copy.js';
import { readManifest } from '../../main/sync/library/manifest.js';
import type { PrepareUploadFn } from '../../main/sync/library/pull.js';
import { prepareUploadFile } from '../../main/sync/library/prepare.js';
import { restoreFromLibrary } from '../../main/sync/engine/restore-from-library.js';
import { TEST_SERIAL } from '../support/recorder.js';
import { scratchLibrary, type ScratchLibrary } from '../support/scratch-library.js';

let s: ScratchLibrary;
beforeEach(async () => {
  s = await scratchLibrary([{ startSec: 1709280000, seconds: 2 }], 'crash-note-');
});
afterEach(async () => {
  await fs.rm(s.work, { recursive: true, force: true });
});

/** The library code as after the process died and started again (names handed out are forgotten). */
async function fresh() {
  vi.resetModules();
  return await import('../../main/sync/library/pull.js');
}

/** Every file of the visible library (not .originals), relative, sorted: what the user sees in a file manager. */
async function visibleFiles(): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(s.lib, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    if (e.isFile() && !path.relative(s.lib, p).startsWith('.originals')) out.push(path.relative(s.lib, p));
  }
  return out.sort();
}

async function manifestFile(): Promise<string> {
  for (const e of await fs.readdir(path.join(s.lib, '.originals'), { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.manifest.json')) return path.join(e.parentPath, e.name);
  }
  throw new Error('no manifest');
}

/**
 * A prepare that dies (SIGKILL, power cut) once the entry is noted and before the rename. `kept` receives the .part
 * a killed process leaves behind (its catch never runs), put back after the throw.
 */
function dieAfterNoting(noted: { dest?: string; part?: Buffer }): PrepareUploadFn {
  return (args) =>
    prepareUploadFile({
      ...args,
      beforeRename: async (file) => {
        await args.beforeRename!(file);
        noted.dest = args.destPath;
        noted.part = await fs.readFile(`${args.destPath}.part`);
        throw Object.assign(new Error('killed'), { code: 'EIO' });
      },
    });
}

async function crashAfterNoting(format: 'opus' | 'mp3' = 'opus'): Promise<{ dest: string; part: Buffer }> {
  const noted: { dest?: string; part?: Buffer } = {};
  const { pullRecording } = await fresh();
  await expect(
    pullRecording({ sn: TEST_SERIAL, mountPath: s.vol }, s.recs[0]!, {
      libraryDir: s.lib,
      format,
      prepare: dieAfterNoting(noted),
    }),
  ).rejects.toThrow();
  // What a hard kill leaves: the complete, fsynced .part (the throw let the audio layer remove it; put it back).
  await fs.writeFile(`${noted.dest!}.part`, noted.part!);
  return { dest: noted.dest!, part: noted.part! };
}

it('held: after a crash between the noting and the rename, a file the user put under that name is never overwritten', async () => {
  const { dest } = await crashAfterNoting();
  const mine = Buffer.from('my own dictation, not the recording\n');
  await fs.writeFile(dest, mine);
  const { pullRecording } = await fresh();
  const again = await pullRecording({ sn: TEST_SERIAL, mountPath: s.vol }, s.recs[0]!, { libraryDir: s.lib });
  expect(await fs.readFile(dest)).toEqual(mine);
  expect(again.upload!.path).not.toBe(dest);
  expect((await fs.stat(again.upload!.path)).size).toBe(again.upload!.size);
});

// Was BROKEN, fixed (playable.ts dropOwnPart: a .part holding exactly the noted bytes is removed when the take moves
// to a new name). What happened: the crash leaves "<name>.opus.part", a complete fsynced copy of the recording, in
// the visible library. When the next pull makes the file under the same name, the audio layer removes that .part
// first; but when the name has to move (the user put a file there, as above, or renamed ours and another take took
// the name), the take went to "<name> (2).opus" and "<name>.opus.part" stayed for good: removeStaleParts (pull.ts)
// only looks in the take's .originals folder. Observed then: [<name>.opus (user's), <name>.opus.part, <name> (2).opus].
it('a crash between the noting and the rename leaves no stray .part copy once the take moves to a new name', async () => {
  const { dest } = await crashAfterNoting();
  await fs.writeFile(dest, 'my own dictation, not the recording\n');
  const { pullRecording } = await fresh();
  const again = await pullRecording({ sn: TEST_SERIAL, mountPath: s.vol }, s.recs[0]!, { libraryDir: s.lib });
  const files = await visibleFiles();
  console.log({ files });
  expect(files).toEqual([path.relative(s.lib, dest), path.relative(s.lib, again.upload!.path)].sort());
});

it('held: a crash between the noting and the rename; the next pull makes the file under the noted name, no .part left', async () => {
  const { dest } = await crashAfterNoting();
  const { pullRecording } = await fresh();
  const again = await pullRecording({ sn: TEST_SERIAL, mountPath: s.vol }, s.recs[0]!, { libraryDir: s.lib });
  expect(again.upload!.path).toBe(dest);
  expect(await visibleFiles()).toEqual([path.relative(s.lib, dest)]);
});

it('held: the manifest cannot be written when the entry is noted: a plain error, no .part, nothing lost, the next pull works', async () => {
  const { pullRecording } = await fresh();
  const device = { sn: TEST_SERIAL, mountPath: s.vol };
  let saved: { file: string; text: string } | undefined;
  let dest: string | undefined;
  // Something in the way of the manifest at the moment the entry is noted (a full disk, a folder gone read-only):
  // a folder at its path makes the write fail for real, also as root.
  const blocked: PrepareUploadFn = (args) =>
    prepareUploadFile({
      ...args,
      beforeRename: async (file) => {
        const m = await manifestFile();
        saved = { file: m, text: await fs.readFile(m, 'utf8') };
        await fs.rm(m);
        await fs.mkdir(m);
        dest = args.destPath;
        await args.beforeRename!(file);
      },
    });
  const err = await pullRecording(device, s.recs[0]!, { libraryDir: s.lib, prepare: blocked }).catch((e: unknown) => e);
  expect((err as LibraryError).name).toBe('LibraryError');
  console.log({ message: (err as Error).message });
  expect((err as Error).message).toMatch(/manifest of NOTES\/20240301\/1709280000/);
  expect(await visibleFiles()).toEqual([]); // no .part, no playable file
  // The originals stay verified where they are.
  const orig = path.dirname(saved!.file);
  expect((await fs.readdir(orig)).filter((n) => /\.(WAV|ASR)$/.test(n)).length).toBeGreaterThan(0);

  // Space freed: the manifest as it was before the failed write.
  await fs.rmdir(saved!.file);
  await fs.writeFile(saved!.file, saved!.text);
  const again = await pullRecording(device, s.recs[0]!, { libraryDir: s.lib });
  expect(again.upload!.path).toBe(dest);
  expect(await visibleFiles()).toEqual([path.relative(s.lib, dest!)]);
  expect(again.copiedBytes).toBe(0);
});

it('held: remakeUploadFile killed between the noting and the rename, or after the rename: one file, the same name', async () => {
  const { pullRecording, remakeUploadFile } = await fresh();
  const first = await pullRecording({ sn: TEST_SERIAL, mountPath: s.vol }, s.recs[0]!, { libraryDir: s.lib });
  const dest = first.upload!.path;
  await fs.rm(dest); // deleted by the user before the upload
  const mDir = path.dirname(await manifestFile());
  const base = path
    .basename(await manifestFile())
    .replace(/^\./, '')
    .replace(/\.manifest\.json$/, '');

  const noted: { dest?: string; part?: Buffer } = {};
  await expect(remakeUploadFile(mDir, base, 'opus', { prepare: dieAfterNoting(noted) })).rejects.toThrow();
  expect(noted.dest).toBe(dest);
  await fs.writeFile(`${dest}.part`, noted.part!);

  // Killed right after the rename, before the last manifest save.
  const dieAfterRename: PrepareUploadFn = async (args) => {
    await prepareUploadFile(args);
    throw Object.assign(new Error('killed'), { code: 'EIO' });
  };
  await expect((await fresh()).remakeUploadFile(mDir, base, 'opus', { prepare: dieAfterRename })).rejects.toThrow();
  expect(await visibleFiles()).toEqual([path.relative(s.lib, dest)]);

  const made = await (await fresh()).remakeUploadFile(mDir, base, 'opus');
  expect(made!.path).toBe(dest);
  expect(await visibleFiles()).toEqual([path.relative(s.lib, dest)]);
  const m = await readManifest(mDir, base);
  expect(m!.upload!.opus!.md5).toBe(made!.md5);
  expect((await md5File(dest)).md5).toBe(made!.md5);
});

// Was BROKEN (mild), fixed: restore now takes the first format whose file is there with its noted size. What
// happened: a take pulled complete as MP3, then (format switched) killed while its Opus is made, after the
// noting: the manifest stays `complete: true` with an opus entry whose file was never made. The ledger lost and put
// back from the library (recover-ledger) takes `m.upload.opus ?? m.upload.mp3` (restore-from-library.ts) and so
// points the restored take at the missing .opus while its real .mp3 is there. Observed: the restored record's upload
// path is "<name>.opus", which does not exist. The upload then makes the Opus again from the originals
// (playableAtHand), so nothing is lost or sent twice; but until then the window and `status` show a file that is not
// there.
it('a ledger put back from the library points at a playable file that exists', async () => {
  const device = { sn: TEST_SERIAL, mountPath: s.vol };
  const mp3 = await (await fresh()).pullRecording(device, s.recs[0]!, { libraryDir: s.lib, format: 'mp3' });
  const { dest } = await crashAfterNoting('opus');
  await fs.rm(`${dest}.part`);
  const mDir = path.dirname(await manifestFile());
  const base = path
    .basename(await manifestFile())
    .replace(/^\./, '')
    .replace(/\.manifest\.json$/, '');
  expect((await readManifest(mDir, base))!.complete).toBe(true);

  const ledger = await openLedger(path.join(s.work, 'state'));
  try {
    const report = await restoreFromLibrary(ledger, s.lib);
    expect(report.restoredToUpload).toBe(1);
    const r = ledger.all()[0]!;
    console.log({ restored: r.pulled!.upload.path, mp3: mp3.upload!.path });
    expect(
      await fs.stat(r.pulled!.upload.path).then(
        () => true,
        () => false,
      ),
    ).toBe(true);
  } finally {
    ledger.close();
  }
});

// Was BROKEN (a regression of 2cf6988), fixed by `replaces`: the earlier file's size and MD5 stay in the noted
// entry until the rename is confirmed, and planPull makes such an entry again. What happened: a take whose playable
// file is already there is made again (a partner file that came later, here the recorder's WAV). The new entry (new
// MD5; the Opus packaging differs each time it is made, the size does not) was noted before the rename; killed
// there, the manifest described bytes that never took the name, while the take's earlier file still had it. The next
// pull's plan compared sizes only and returned the noted MD5 for bytes that have another one; the engine's upload
// (playableAtHand) saw the MD5 differ and made the file again, and the own-file rule (playable.ts) did not take the
// earlier file as the take's own, so the take moved to "<name> (2).opus" and its earlier file stayed beside it for
// good. Observed then: pulled MD5 != MD5 on disk; files ["<name> (2).opus", "<name>.opus"].
it("a crash while a take's existing playable file is made again leaves no second copy", async () => {
  await fs.rm(s.work, { recursive: true, force: true });
  s = await scratchLibrary([{ startSec: 1709280000, seconds: 2, wav: false }], 'crash-note-');
  const device = { sn: TEST_SERIAL, mountPath: s.vol };
  const first = await (await fresh()).pullRecording(device, s.recs[0]!, { libraryDir: s.lib });
  // The WAV of the same recording turns up on the recorder (laid out by the same helper, so it matches the ASR).
  const other = await scratchLibrary([{ startSec: 1709280000, seconds: 2 }], 'crash-note-wav-');
  try {
    const wav = other.recs[0]!.wav!;
    await fs.copyFile(path.join(other.vol, wav.relPath), path.join(s.vol, wav.relPath));
    const rec = { ...s.recs[0]!, wav };
    const noted: { dest?: string; part?: Buffer } = {};
    await expect(
      (await fresh()).pullRecording(device, rec, { libraryDir: s.lib, prepare: dieAfterNoting(noted) }),
    ).rejects.toThrow();
    expect(noted.dest).toBe(first.upload!.path);
    const again = await (await fresh()).pullRecording(device, rec, { libraryDir: s.lib });
    const onDisk = await md5File(again.upload!.path);
    // What the engine's upload does first (upload-queue.ts playableAtHand): a file whose MD5 is not the pulled one is
    // made again from the originals.
    let remade: string | undefined;
    if (onDisk.md5 !== again.upload!.md5) {
      const m = await manifestFile();
      const base = path
        .basename(m)
        .replace(/^\./, '')
        .replace(/\.manifest\.json$/, '');
      remade = (await (await fresh()).remakeUploadFile(path.dirname(m), base, 'opus'))?.path;
    }
    const files = await visibleFiles();
    console.log({ pulledMd5: again.upload!.md5, onDisk: onDisk.md5, remade, files });
    expect(files).toEqual([path.relative(s.lib, first.upload!.path)]);
    expect(onDisk.md5).toBe(again.upload!.md5);
  } finally {
    await fs.rm(other.work, { recursive: true, force: true });
  }
});

it('held: two formats, a crash between the noting and the rename of the second: its next pull makes it in place', async () => {
  const device = { sn: TEST_SERIAL, mountPath: s.vol };
  const opus = await (await fresh()).pullRecording(device, s.recs[0]!, { libraryDir: s.lib, format: 'opus' });
  const { dest } = await crashAfterNoting('mp3');
  expect(dest.replace(/\.mp3$/, '')).toBe(opus.upload!.path.replace(/\.opus$/, ''));
  const mp3 = await (await fresh()).pullRecording(device, s.recs[0]!, { libraryDir: s.lib, format: 'mp3' });
  expect(mp3.upload!.path).toBe(dest);
  expect(await visibleFiles()).toEqual([path.relative(s.lib, dest), path.relative(s.lib, opus.upload!.path)].sort());
  expect((await md5File(dest)).md5).toBe(mp3.upload!.md5);
  expect((await md5File(opus.upload!.path)).md5).toBe(opus.upload!.md5);
});

// Was BROKEN (the same root as above, through remakeUploadFile), fixed the same way. What happened: the upload makes
// a take's file again while the take's
// own file is still there when the ledger's MD5 is not the file's (a kill after an earlier remake's rename and before
// the ledger took the new MD5: remade Opus differs each time). Killed again between the noting and the rename, the
// manifest notes the new MD5 while the earlier file keeps the name; the next remake finds the file not the take's own
// and makes "<name> (2).opus" beside it. Observed: ["<name> (2).opus", "<name>.opus"].
it('remakeUploadFile killed between the noting and the rename over the take’s own file: one file after', async () => {
  const { pullRecording } = await fresh();
  const first = await pullRecording({ sn: TEST_SERIAL, mountPath: s.vol }, s.recs[0]!, { libraryDir: s.lib });
  const m = await manifestFile();
  const base = path
    .basename(m)
    .replace(/^\./, '')
    .replace(/\.manifest\.json$/, '');
  const noted: { dest?: string; part?: Buffer } = {};
  await expect(
    (await fresh()).remakeUploadFile(path.dirname(m), base, 'opus', { prepare: dieAfterNoting(noted) }),
  ).rejects.toThrow();
  expect(noted.dest).toBe(first.upload!.path);
  const made = await (await fresh()).remakeUploadFile(path.dirname(m), base, 'opus');
  const files = await visibleFiles();
  console.log({ made: made && path.relative(s.lib, made.path), files });
  expect(files).toEqual([path.relative(s.lib, first.upload!.path)]);
});

// Held for "nothing lost": no .part, no playable file, the next remake makes it under its name. The error was the raw
// system one ("EISDIR: illegal operation on a directory, rename ..."), and a full disk there would have read "Disk
// full: could not write the upload file <playable>", naming the wrong file; it now names the manifest, as the pull's.
it('held: remakeUploadFile cannot write the manifest when noting: no .part, nothing lost, the next remake works', async () => {
  const { pullRecording } = await fresh();
  const first = await pullRecording({ sn: TEST_SERIAL, mountPath: s.vol }, s.recs[0]!, { libraryDir: s.lib });
  await fs.rm(first.upload!.path);
  const m = await manifestFile();
  const base = path
    .basename(m)
    .replace(/^\./, '')
    .replace(/\.manifest\.json$/, '');
  const text = await fs.readFile(m, 'utf8');
  const blocked: PrepareUploadFn = (args) =>
    prepareUploadFile({
      ...args,
      beforeRename: async (file) => {
        await fs.rm(m);
        await fs.mkdir(m);
        await args.beforeRename!(file);
      },
    });
  const err = await (
    await fresh()
  )
    .remakeUploadFile(path.dirname(m), base, 'opus', { prepare: blocked })
    .catch((e: unknown) => e as Error);
  console.log({ message: (err as Error).message });
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toMatch(/the manifest of NOTES\/20240301\/1709280000/);
  expect((err as Error).message).not.toMatch(/upload file/);
  expect(await visibleFiles()).toEqual([]);
  await fs.rmdir(m);
  await fs.writeFile(m, text);
  const made = await (await fresh()).remakeUploadFile(path.dirname(m), base, 'opus');
  expect(made!.path).toBe(first.upload!.path);
  expect(await visibleFiles()).toEqual([path.relative(s.lib, first.upload!.path)]);
});

it('held: a .part beside the old name that does not hold the noted bytes is left alone when the take moves', async () => {
  const { dest } = await crashAfterNoting();
  await fs.writeFile(dest, 'my own dictation, not the recording\n');
  // Not the bytes the manifest noted: someone else's file of that name (or another take's copy being written).
  await fs.writeFile(`${dest}.part`, 'a file of the same name that is not ours\n');
  const { pullRecording } = await fresh();
  const again = await pullRecording({ sn: TEST_SERIAL, mountPath: s.vol }, s.recs[0]!, { libraryDir: s.lib });
  expect(await fs.readFile(`${dest}.part`, 'utf8')).toBe('a file of the same name that is not ours\n');
  expect(again.upload!.path).not.toBe(dest);
});
