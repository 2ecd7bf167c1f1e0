import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioFormatError } from '../../../main/sync/audio/errors.js';
import { inspectWav, parseWavHeader } from '../../../main/sync/audio/wav.js';
import { deviceWavHeader, DEVICE_WAV_BYTES_PER_SECOND } from '../../support/fixtures/wav-header.js';

const SERIAL = '888317426694681884';

function deviceWav(dataBytes: number, opts?: Parameters<typeof deviceWavHeader>[2]): Buffer {
  const pcm = Buffer.alloc(dataBytes);
  for (let i = 0; i < dataBytes; i++) pcm[i] = (i * 37) & 0xff;
  return Buffer.concat([deviceWavHeader(dataBytes, SERIAL, opts), pcm]);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof AudioFormatError) return e.code;
    throw e;
  }
  return undefined;
}

describe('parseWavHeader', () => {
  it('reads the recorder header: format, pad serial, data at 0x200, duration from the bytes present', () => {
    const f = deviceWav(DEVICE_WAV_BYTES_PER_SECOND * 3 + 16_000);
    expect(f.toString('latin1', 0x2c, 0x2c + 21)).toBe(`SN:${SERIAL}`);
    const info = parseWavHeader(f, f.length);
    expect(info).toEqual({
      sampleRate: 16_000,
      channels: 2,
      bitsPerSample: 16,
      dataOffset: 0x200,
      dataBytes: DEVICE_WAV_BYTES_PER_SECOND * 3 + 16_000,
      durationMs: 3250,
      padSerial: SERIAL,
      truncated: false,
    });
  });

  it('only needs the header bytes when given the real file size', () => {
    const f = deviceWav(64_000 * 2);
    const info = parseWavHeader(f.subarray(0, 0x200), f.length);
    expect(info.dataBytes).toBe(128_000);
    expect(info.durationMs).toBe(2000);
  });

  it('a file cut short gets the length of the audio actually present, in whole frames', () => {
    const f = deviceWav(64_000 * 10).subarray(0, 0x200 + 64_000 + 3); // header claims 10 s; 1 s + 3 bytes remain
    const info = parseWavHeader(f, f.length);
    expect(info.truncated).toBe(true);
    expect(info.dataBytes).toBe(64_000);
    expect(info.durationMs).toBe(1000);
  });

  it('placeholder sizes of a never-finalised header (0 and 0xFFFFFFFF) mean audio to end of file', () => {
    for (const dataSize of [0, 0xffffffff]) {
      const f = deviceWav(32_000, { dataSize, riffSize: 0 });
      const info = parseWavHeader(f, f.length);
      expect(info.dataBytes).toBe(32_000);
      expect(info.durationMs).toBe(500);
      expect(info.truncated).toBe(true);
    }
  });

  it('a header alone is a zero-length recording, not an error', () => {
    const f = deviceWavHeader(0, SERIAL);
    const info = parseWavHeader(f, f.length);
    expect(info.dataBytes).toBe(0);
    expect(info.durationMs).toBe(0);
  });

  it('a standard 44-byte WAV without pad chunk parses too', () => {
    const f = deviceWav(6400);
    // Rebuild as canonical: RIFF + fmt + data right after.
    const canon = Buffer.concat([f.subarray(0, 36), Buffer.from('data'), Buffer.alloc(4), f.subarray(0x200)]);
    canon.writeUInt32LE(6400, 40);
    const info = parseWavHeader(canon, canon.length);
    expect(info.dataOffset).toBe(44);
    expect(info.padSerial).toBeUndefined();
    expect(info.durationMs).toBe(100);
  });

  it('rejects damaged headers with specific codes and plain messages', () => {
    const good = deviceWav(6400);
    expect(codeOf(() => parseWavHeader(Buffer.alloc(0), 0))).toBe('WAV_EMPTY');
    const notRiff = Buffer.from(good);
    notRiff.write('RIFX', 0, 'latin1');
    expect(codeOf(() => parseWavHeader(notRiff, notRiff.length))).toBe('WAV_NOT_RIFF');

    const noFmt = Buffer.from(good);
    noFmt.write('junk', 12, 'latin1'); // the fmt chunk is now an unknown chunk, skipped
    expect(codeOf(() => parseWavHeader(noFmt, noFmt.length))).toBe('WAV_NO_FMT');
    expect(() => parseWavHeader(noFmt, noFmt.length)).toThrow(/no 'fmt ' chunk/);

    const hugeChunk = Buffer.from(good);
    hugeChunk.writeUInt32LE(0x7fffffff, 0x28); // pad chunk claims 2 GB
    expect(codeOf(() => parseWavHeader(hugeChunk, hugeChunk.length))).toBe('WAV_BAD_CHUNK');

    const binaryId = Buffer.from(good);
    binaryId.writeUInt32LE(0x00ff00ff, 0x24);
    expect(codeOf(() => parseWavHeader(binaryId, binaryId.length))).toBe('WAV_BAD_CHUNK');

    const float = Buffer.from(good);
    float.writeUInt16LE(3, 20);
    expect(codeOf(() => parseWavHeader(float, float.length))).toBe('WAV_UNSUPPORTED');

    const badAlign = Buffer.from(good);
    badAlign.writeUInt16LE(3, 32);
    expect(codeOf(() => parseWavHeader(badAlign, badAlign.length))).toBe('WAV_BAD_FMT');

    const zeroRate = Buffer.from(good);
    zeroRate.writeUInt32LE(0, 24);
    expect(codeOf(() => parseWavHeader(zeroRate, zeroRate.length))).toBe('WAV_BAD_FMT');

    const cutInHeader = good.subarray(0, 0x100);
    expect(codeOf(() => parseWavHeader(cutInHeader, cutInHeader.length))).toBe('WAV_BAD_CHUNK');

    const cutBeforeData = good.subarray(0, 0x1f8); // pad chunk complete, no data chunk header
    expect(codeOf(() => parseWavHeader(cutBeforeData, cutBeforeData.length))).toBe('WAV_NO_DATA');
  });
});

describe('inspectWav', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plaud-wav-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the header from disk and sizes the audio from the file', async () => {
    const p = join(dir, '1709280000.WAV');
    await writeFile(p, deviceWav(64_000 * 5).subarray(0, 0x200 + 64_000 * 4 + 2));
    const info = await inspectWav(p);
    expect(info.durationMs).toBe(4000);
    expect(info.truncated).toBe(true);
    expect(info.padSerial).toBe(SERIAL);
  });

  it('an empty file is a WAV_EMPTY error naming the file', async () => {
    const p = join(dir, 'empty.WAV');
    await writeFile(p, Buffer.alloc(0));
    await expect(inspectWav(p)).rejects.toMatchObject({ code: 'WAV_EMPTY', filePath: p });
  });
});
