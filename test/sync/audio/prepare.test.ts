import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareUploadFile } from '../../../main/sync/audio/prepare.js';
import { makeDeviceRecording, makeDeviceWav, oggOpusPackets } from '../../support/fixtures/audio.js';

const run = promisify(execFile);
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

describe('prepareUploadFile', () => {
  let root: string;
  let src: string;
  let wavPath: string;
  let asrPath: string;
  let asr: Buffer;
  let n = 0;
  /** A fresh, empty output folder per test, so "nothing else written" can be checked by listing it. */
  const outDir = async (): Promise<string> => {
    const d = join(root, `out-${++n}`);
    await mkdir(d);
    return d;
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'plaud-prep-'));
    src = join(root, 'src');
    await mkdir(src);
    const rec = await makeDeviceRecording(3, '888317426694681884');
    asr = rec.asr;
    wavPath = join(src, '1709280000.WAV');
    asrPath = join(src, '1709280000.ASR');
    await writeFile(wavPath, rec.wav);
    await writeFile(asrPath, rec.asr);
  }, 120_000);
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('opus from a raw ASR: packaged, hashed, renamed into place, nothing else written', async () => {
    const dir = await outDir();
    const dest = join(dir, '1709280000.opus');
    const r = await prepareUploadFile({ wavPath, asrPath, format: 'opus', destPath: dest });
    const data = await readFile(dest);
    expect(r).toEqual({
      path: dest,
      size: data.length,
      md5: md5(data),
      filetype: 'opus',
      durationMs: 2998,
      source: 'asr-packaged',
    });
    expect(await readdir(dir)).toEqual(['1709280000.opus']);
    expect(Buffer.concat(oggOpusPackets(data))).toEqual(asr);
    const info = await run('opusinfo', [dest]);
    expect(info.stdout + info.stderr).not.toMatch(/warning|error/i);
  });

  it('opus from an Ogg ASR: copied byte for byte', async () => {
    const dir = await outDir();
    const oggAsr = join(src, 'ogg.ASR');
    await prepareUploadFile({ asrPath, format: 'opus', destPath: oggAsr });
    const dest = join(dir, 'x.opus');
    const r = await prepareUploadFile({ asrPath: oggAsr, format: 'opus', destPath: dest });
    expect(r.source).toBe('asr-passthrough');
    expect((await readFile(dest)).equals(await readFile(oggAsr))).toBe(true);
    expect(r.durationMs).toBe(2998);
    expect(r.md5).toBe(md5(await readFile(oggAsr)));
  });

  it('opus with a damaged ASR falls back to encoding the WAV and says why', async () => {
    const dir = await outDir();
    const cut = join(src, 'cut.ASR');
    await writeFile(cut, asr.subarray(0, asr.length - 30));
    const dest = join(dir, 'x.opus');
    const r = await prepareUploadFile({ wavPath, asrPath: cut, format: 'opus', destPath: dest });
    expect(r.source).toBe('wav-encoded');
    expect(r.asrProblem).toMatch(/50 stray bytes/);
    expect(r.durationMs).toBe(3000);
    expect(await readdir(dir)).toEqual(['x.opus']);
    const info = await run('opusinfo', [dest]);
    expect(info.stdout + info.stderr).not.toMatch(/warning|error/i);
  });

  it('damage found only while packaging (past the sampled packets) also falls back, leaving no .part', async () => {
    const dir = await outDir();
    const bad = Buffer.from(asr);
    for (let p = 1; p < 149; p += 2) bad[p * 80] = 0x42; // every odd packet: some are not in the inspector's sample
    const badPath = join(src, 'bad.ASR');
    await writeFile(badPath, bad);
    const dest = join(dir, 'x.opus');
    const withWav = await prepareUploadFile({ wavPath, asrPath: badPath, format: 'opus', destPath: dest });
    expect(withWav.source).toBe('wav-encoded');
    expect(withWav.asrProblem).toMatch(/instead of 0xB8/);
    await rm(dest);
    await expect(prepareUploadFile({ asrPath: badPath, format: 'opus', destPath: dest })).rejects.toMatchObject({
      code: 'ASR_BAD_TOC',
      filePath: badPath,
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('mp3 encodes the WAV; checked by ffprobe', async () => {
    const dir = await outDir();
    const dest = join(dir, 'x.mp3');
    const r = await prepareUploadFile({ wavPath, asrPath, format: 'mp3', destPath: dest });
    expect(r).toMatchObject({
      filetype: 'mp3',
      source: 'wav-encoded',
      durationMs: 3000,
      size: (await stat(dest)).size,
    });
    expect(r.md5).toBe(md5(await readFile(dest)));
    const probe = JSON.parse(
      (await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'json', dest])).stdout,
    );
    expect(probe.streams[0].codec_name).toBe('mp3');
  });

  it('missing sources give NO_SOURCE with a plain reason', async () => {
    const dir = await outDir();
    await expect(prepareUploadFile({ asrPath, format: 'mp3', destPath: join(dir, 'x.mp3') })).rejects.toMatchObject({
      code: 'NO_SOURCE',
      message: expect.stringContaining('no WAV'),
    });
    await expect(prepareUploadFile({ format: 'opus', destPath: join(dir, 'x.opus') })).rejects.toMatchObject({
      code: 'NO_SOURCE',
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('a stale .part from an earlier crash is replaced', async () => {
    const dir = await outDir();
    const dest = join(dir, 'x.opus');
    await writeFile(`${dest}.part`, Buffer.alloc(1_000_000, 7));
    const r = await prepareUploadFile({ asrPath, format: 'opus', destPath: dest });
    expect(await readdir(dir)).toEqual(['x.opus']);
    expect(r.size).toBeLessThan(20_000);
  });

  it('an abort mid-write removes the .part and writes nothing', async () => {
    const dir = await outDir();
    const longWav = join(src, 'long.WAV');
    await writeFile(longWav, await makeDeviceWav(30, '888317426694681884'));
    const dest = join(dir, 'x.opus');
    const ac = new AbortController();
    const poll = setInterval(() => {
      if (existsSync(`${dest}.part`)) ac.abort();
    }, 1);
    try {
      await expect(
        prepareUploadFile({ wavPath: longWav, format: 'opus', destPath: dest, signal: ac.signal }),
      ).rejects.toThrow(/abort/i);
    } finally {
      clearInterval(poll);
    }
    expect(ac.signal.aborted).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  }, 120_000);

  it('a destination that cannot be written fails with the OS error and leaves nothing', async () => {
    const dir = await outDir();
    await expect(
      prepareUploadFile({ asrPath, format: 'opus', destPath: join(dir, 'missing', 'x.opus') }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
  });
});
