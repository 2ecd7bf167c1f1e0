import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asrInfoFromHead, checkRawAsrHead, inspectAsr } from '../../../main/sync/audio/asr.js';
import type { AudioFormatError } from '../../../main/sync/audio/errors.js';
import { packageRawAsr } from '../../../main/sync/audio/ogg-opus.js';
import { scanVolume } from '../../../main/sync/devices/scan.js';
import { TEST_SERIAL } from '../../support/recorder.js';

const run = promisify(execFile);

function rawAsr(frames: number): Buffer {
  const b = Buffer.alloc(frames * 80);
  for (let i = 0; i < frames; i++) {
    b[i * 80] = 0xb8;
    for (let j = 1; j < 80; j++) b[i * 80 + j] = (i * 7 + j * 13) & 0xff;
  }
  return b;
}

describe('inspectAsr', () => {
  let dir: string;
  let n = 0;
  const put = async (data: Buffer): Promise<string> => {
    const p = join(dir, `${++n}.ASR`);
    await writeFile(p, data);
    return p;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plaud-asr-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('raw recorder Opus: 80-byte packets of 20 ms', async () => {
    expect(await inspectAsr(await put(rawAsr(1234)))).toEqual({ format: 'raw-opus', durationMs: 24_680, frames: 1234 });
    expect(await inspectAsr(await put(rawAsr(1)))).toEqual({ format: 'raw-opus', durationMs: 20, frames: 1 });
  });

  it('a file cut mid-packet is rejected, saying how many stray bytes', async () => {
    const p = await put(rawAsr(50).subarray(0, 50 * 80 - 33));
    await expect(inspectAsr(p)).rejects.toMatchObject({
      code: 'ASR_STRAY_BYTES',
      message: expect.stringContaining('47 stray bytes'),
    });
  });

  it('an empty file is rejected', async () => {
    await expect(inspectAsr(await put(Buffer.alloc(0)))).rejects.toMatchObject({ code: 'ASR_EMPTY' });
  });

  it('a wrong TOC byte in the first, a middle or the last packet is caught', async () => {
    for (const bad of [0, 30, 999]) {
      const b = rawAsr(1000);
      b[bad * 80] = 0xfc;
      const p = await put(b);
      await expect(inspectAsr(p)).rejects.toMatchObject({
        code: 'ASR_BAD_TOC',
        message: expect.stringContaining(`packet ${bad + 1} of 1000 starts with 0xFC`),
      });
    }
    // A damaged stretch in the middle (packets 400..599 shifted by 3 bytes) is found by the sampling.
    const shifted = rawAsr(1000);
    shifted.copy(shifted, 400 * 80 + 3, 400 * 80, 600 * 80 - 3);
    await expect(inspectAsr(await put(shifted))).rejects.toMatchObject({ code: 'ASR_BAD_TOC' });
    // A file of the right size that is not Opus at all (zeros).
    await expect(inspectAsr(await put(Buffer.alloc(8000)))).rejects.toMatchObject({ code: 'ASR_BAD_TOC' });
  });

  it('a long recording (read in pieces, not whole) is checked the same way', async () => {
    const frames = 40_000; // 3.2 MB, 13 min 20 s: beyond the size read in one go
    expect(await inspectAsr(await put(rawAsr(frames)))).toEqual({
      format: 'raw-opus',
      durationMs: frames * 20,
      frames,
    });
    for (const bad of [10, 20_000, frames - 1]) {
      const b = rawAsr(frames);
      // Damage a stretch wide enough that the sampling must land in it.
      for (let i = bad; i < Math.min(frames, bad + 5_000); i++) b[i * 80] = 0x00;
      await expect(inspectAsr(await put(b))).rejects.toMatchObject({ code: 'ASR_BAD_TOC' });
    }
  });

  describe('Ogg Opus (newer firmware)', () => {
    let ogg: Buffer;
    beforeAll(async () => {
      const p = join(dir, 'sine.opus');
      await run('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:sample_rate=16000:duration=1.5',
        '-ac',
        '1',
        '-c:a',
        'libopus',
        '-application',
        'lowdelay',
        '-b:a',
        '32k',
        '-vbr',
        'off',
        '-frame_duration',
        '20',
        p,
      ]);
      ogg = await readFile(p);
    });

    it('duration comes from the last granule position minus pre-skip', async () => {
      expect(await inspectAsr(await put(ogg))).toEqual({ format: 'ogg-opus', durationMs: 1500 });
    });

    it('a cut-short Ogg file gets the length up to its last intact page', async () => {
      const info = await inspectAsr(await put(ogg.subarray(0, ogg.length - 100)));
      expect(info.format).toBe('ogg-opus');
      expect(info.durationMs).toBeGreaterThan(0);
      expect(info.durationMs).toBeLessThan(1500);
    });

    it('a damaged last page (bad CRC) is not trusted', async () => {
      const b = Buffer.from(ogg);
      b[b.length - 5] = b[b.length - 5]! ^ 0xff;
      const info = await inspectAsr(await put(b));
      expect(info.durationMs).toBeLessThan(1500);
    });

    it('Ogg that is not Opus, or with a broken first page, is rejected', async () => {
      const notOpus = Buffer.from(ogg);
      const headerLen = 27 + notOpus[26]!;
      notOpus.write('Vorbis!!', headerLen, 'latin1');
      await expect(inspectAsr(await put(notOpus))).rejects.toMatchObject({ code: 'OGG_NOT_OPUS' });
      await expect(inspectAsr(await put(ogg.subarray(0, 20)))).rejects.toMatchObject({ code: 'OGG_BAD_PAGE' });
      await expect(inspectAsr(await put(ogg.subarray(0, 200)))).rejects.toMatchObject({ code: 'OGG_NO_GRANULE' });
    });
  });
});

describe('one set of ASR rules, one wording: the listing, the inspection and the packager agree', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'plaud-asr-rules-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const packaged = async (data: Buffer): Promise<unknown> =>
    packageRawAsr(
      (async function* () {
        yield data;
      })(),
      () => {},
    ).catch((e: unknown) => e);

  const cases: [string, Buffer, string][] = [
    ['stray bytes', rawAsr(10).subarray(0, 10 * 80 - 7), 'ASR_STRAY_BYTES'],
    [
      'a first packet that is not the recorder TOC',
      Buffer.concat([Buffer.from([0xfc]), rawAsr(4).subarray(1)]),
      'ASR_BAD_TOC',
    ],
  ];
  for (const [what, data, code] of cases) {
    it(`${what}: the scan skips the file with the very message inspectAsr and packageRawAsr give`, async () => {
      const rel = `NOTES/20240301/${1709280000 + cases.findIndex((c) => c[0] === what)}.ASR`;
      const file = join(root, rel);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, data);
      await utimes(file, 1709290000, 1709290000);
      const fromInspect = (await inspectAsr(file).catch((e: unknown) => e)) as AudioFormatError;
      const fromPackager = (await packaged(data)) as AudioFormatError;
      expect(fromInspect).toMatchObject({ code });
      expect(fromPackager).toMatchObject({ code, message: fromInspect.message.replace(/ of \d+ starts/, ' starts') });
      const scan = await scanVolume(root, TEST_SERIAL);
      expect(scan.skipped.find((s) => s.relPath === rel)?.reason).toBe(fromInspect.message);
      expect(() => checkRawAsrHead(data.subarray(0, 4), data.length, file)).toThrow(fromInspect.message);
    });
  }

  it('checkRawAsrHead passes a recorder file on its first packet and size, and asrInfoFromHead hands Ogg to inspectAsr', async () => {
    expect(checkRawAsrHead(rawAsr(3).subarray(0, 4), 3 * 80)).toEqual({
      format: 'raw-opus',
      durationMs: 60,
      frames: 3,
    });
    expect(() => checkRawAsrHead(Buffer.alloc(0), 0)).toThrow(expect.objectContaining({ code: 'ASR_EMPTY' }));
    const ogg = join(root, 'x.ASR');
    await writeFile(ogg, Buffer.concat([Buffer.from('OggS'), Buffer.alloc(200)]));
    const r = asrInfoFromHead(Buffer.from('OggS'), 204, ogg);
    expect(r).toBeInstanceOf(Promise);
    await expect(r).rejects.toMatchObject({ code: 'OGG_BAD_PAGE' });
  });
});
