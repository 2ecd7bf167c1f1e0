// Library rules that do not need FUSE: containment, conflicts, cancellation, the manifest.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanVolume } from '../../../main/sync/devices/scan.js';
import { ORIGINALS_DIR, placeOf } from '../../../main/sync/library/layout.js';
import { LibraryError } from '../../../main/sync/library/errors.js';
import { readManifest } from '../../../main/sync/library/manifest.js';
import { isPulled, planPull, pullRecording, type PrepareUploadFn } from '../../../main/sync/library/pull.js';
import { pullAll } from '../../../main/sync/engine/pull-coordinator.js';
import { ReadTurns } from '../../../main/sync/library/read-turns.js';
import { AudioFormatError } from '../../../main/sync/audio/errors.js';
import type { Recording } from '../../../main/sync/types.js';
import { layOutRecorder, TEST_SERIAL } from '../../support/recorder.js';

describe('library pull on plain folders', () => {
  let work: string;
  let vol: string;
  let lib: string;
  let recs: Recording[];
  const device = () => ({ sn: TEST_SERIAL, mountPath: vol });

  beforeEach(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-lib-'));
    vol = path.join(work, 'vol');
    lib = path.join(work, 'lib');
    await fs.mkdir(vol);
    await fs.mkdir(lib);
    await layOutRecorder(vol, {
      recordings: [
        { startSec: 1709280000, seconds: 2 },
        { startSec: 1709290000, seconds: 1, kind: 'call' },
      ],
    });
    recs = (await scanVolume(vol, TEST_SERIAL)).recordings;
  });
  afterEach(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('refuses destinations outside the library: bad serial, forged relBase, a symlinked folder', async () => {
    expect(() => placeOf(lib, { ...recs[0]!, sn: '../../etc' })).toThrow(/no usable serial/);
    expect(() => placeOf(lib, { ...recs[0]!, relBase: 'NOTES/../../x/1' })).toThrow(LibraryError);
    expect(() => placeOf(lib, { ...recs[0]!, relBase: 'NOTES/20240301/../../1709280000' })).toThrow(
      /not FOLDER\/YYYYMMDD/,
    );
    // A library sub-folder that is a symlink to elsewhere must not be written through.
    const outside = path.join(work, 'outside');
    await fs.mkdir(outside);
    await fs.symlink(outside, path.join(lib, ORIGINALS_DIR));
    await expect(pullRecording(device(), recs[0]!, { libraryDir: lib, format: null })).rejects.toMatchObject({
      code: 'OUTSIDE_LIBRARY',
    });
    expect(await fs.readdir(outside)).toEqual([]);
    // The same for the folder of readable names: the playable file is not written through a link either.
    await fs.rm(path.join(lib, ORIGINALS_DIR));
    await fs.symlink(outside, path.join(lib, `Plaud Note ${TEST_SERIAL.slice(-4)}`));
    await expect(pullRecording(device(), recs[0]!, { libraryDir: lib, format: 'opus' })).rejects.toMatchObject({
      code: 'OUTSIDE_LIBRARY',
    });
    expect(await fs.readdir(outside)).toEqual([]);
  });

  it('refuses to read through a forged source path', async () => {
    const forged: Recording = { ...recs[0]!, wav: { ...recs[0]!.wav!, relPath: '../outside.WAV' } };
    await expect(pullRecording(device(), forged, { libraryDir: lib, format: null })).rejects.toMatchObject({
      code: 'OUTSIDE_LIBRARY',
    });
  });

  it('writes the manifest last with sizes and MD5s; a recorder file that later differs is a conflict, not an overwrite', async () => {
    const r = await pullRecording(device(), recs[0]!, { libraryDir: lib, format: null });
    const m = await readManifest(r.dir, '1709280000');
    expect(m).toMatchObject({
      complete: true,
      key: recs[0]!.key,
      wav: { name: '1709280000.WAV', size: recs[0]!.wav!.size },
      asr: { name: '1709280000.ASR' },
    });
    expect(r.files.map((f) => [f.role, f.md5])).toEqual([
      ['asr', m!.asr!.md5],
      ['wav', m!.wav!.md5],
    ]);
    const changed: Recording = { ...recs[0]!, wav: { ...recs[0]!.wav!, size: recs[0]!.wav!.size + 64 } };
    expect((await planPull(lib, changed, { format: null })).state).toBe('conflict');
    await expect(pullRecording(device(), changed, { libraryDir: lib, format: null })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect((await fs.stat(path.join(r.dir, '1709280000.WAV'))).size).toBe(recs[0]!.wav!.size);
  });

  it('a library file deleted by the user is copied again; a damaged manifest means not pulled', async () => {
    const r = await pullRecording(device(), recs[0]!, { libraryDir: lib, format: null });
    await fs.rm(path.join(r.dir, '1709280000.WAV'));
    expect(await planPull(lib, recs[0]!, { format: null })).toMatchObject({ state: 'partial', toCopy: ['wav'] });
    const again = await pullRecording(device(), recs[0]!, { libraryDir: lib, format: null });
    expect(again.copiedBytes).toBe(recs[0]!.wav!.size);
    await fs.writeFile(path.join(r.dir, '.1709280000.manifest.json'), '{"version":1,');
    expect(await isPulled(lib, recs[0]!, { format: null })).toBe(false);
  });

  it('a file that changed size since the scan is not kept', async () => {
    await fs.appendFile(path.join(vol, recs[0]!.wav!.relPath), Buffer.alloc(128));
    const s = await pullAll(device(), [recs[0]!], { libraryDir: lib, format: null });
    expect(s.failed[0]).toMatchObject({ code: 'SOURCE_CHANGED' });
    expect(s.failed[0]!.message).toMatch(/changed on the recorder while it was copied/);
    const dir = path.join(lib, ORIGINALS_DIR, TEST_SERIAL, 'NOTES', '20240301');
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.WAV') || f.endsWith('.part'))).toEqual([]);
  });

  it('cancelling stops the pull and leaves no temp or partial file', async () => {
    const ac = new AbortController();
    ac.abort();
    const s = await pullAll(device(), recs, { libraryDir: lib, format: null, signal: ac.signal });
    expect(s.stopped?.code).toBe('ABORTED');
    const all = await fs.readdir(lib, { recursive: true });
    expect(all.filter((f) => /\.(WAV|ASR|part)$/.test(f))).toEqual([]);
  });

  it('reads from the recorder take turns: a copy waits for its turn and hands it back before its fsync and check', async () => {
    const turns = new ReadTurns();
    const held = await turns.take();
    let bytes = 0;
    const pulling = pullRecording(device(), recs[0]!, {
      libraryDir: lib,
      format: null,
      readTurns: turns,
      onBytes: (n) => (bytes += n),
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(bytes).toBe(0);
    held();
    const r = await pulling;
    expect(bytes).toBe(r.copiedBytes);
    // Free again afterwards: every turn was handed back, also the ones of files that finished.
    (await turns.take())();

    // pullAll with several recordings in flight: never two files read from the recorder at once.
    let holders = 0;
    let most = 0;
    let taken = 0;
    const counting = new ReadTurns();
    const take = counting.take.bind(counting);
    counting.take = async (signal?: AbortSignal) => {
      const release = await take(signal);
      taken++;
      most = Math.max(most, ++holders);
      return () => {
        holders--;
        release();
      };
    };
    const lib2 = path.join(work, 'lib2');
    const s = await pullAll(device(), recs, { libraryDir: lib2, format: 'opus', concurrency: 3, readTurns: counting });
    expect(s.pulled).toHaveLength(recs.length);
    expect(taken).toBe(recs.reduce((n, x) => n + (x.wav ? 1 : 0) + (x.asr ? 1 : 0), 0));
    expect(most).toBe(1);
  });

  it('a recording that fails after its files were verified keeps their record, so a retry reads nothing from the recorder again', async () => {
    const failing: PrepareUploadFn = async () => {
      throw new AudioFormatError('NO_SOURCE', 'made to fail by the test');
    };
    await expect(
      pullRecording(device(), recs[0]!, { libraryDir: lib, format: 'opus', prepare: failing }),
    ).rejects.toMatchObject({ code: 'BAD_RECORDING' });
    const place = placeOf(lib, recs[0]!);
    const m = await readManifest(place.dir, place.base);
    expect(m).toMatchObject({ complete: false, wav: { size: recs[0]!.wav!.size }, asr: { size: recs[0]!.asr!.size } });
    const again = await pullRecording(device(), recs[0]!, { libraryDir: lib, format: 'opus' });
    expect(again.copiedBytes).toBe(0);
    expect(again.upload?.filetype).toBe('opus');
    expect((await readManifest(place.dir, place.base))?.complete).toBe(true);
  });

  it('nothing on the recorder is modified by a pull', async () => {
    const before = await fs.readdir(vol, { recursive: true, withFileTypes: true });
    const stats = await Promise.all(
      before
        .filter((e) => e.isFile())
        .map(async (e) => [e.name, (await fs.stat(path.join(e.parentPath, e.name))).mtimeMs] as const),
    );
    await pullAll(device(), recs, { libraryDir: lib, format: 'opus' });
    const after = await Promise.all(
      before
        .filter((e) => e.isFile())
        .map(async (e) => [e.name, (await fs.stat(path.join(e.parentPath, e.name))).mtimeMs] as const),
    );
    expect(after).toEqual(stats);
    expect((await fs.readdir(vol, { recursive: true })).length).toBe(before.length);
  });
});
