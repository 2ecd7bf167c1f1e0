import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWavToMp3, encodeWavToOggOpus } from '../../../main/sync/audio/encode.js';
import { lamejsFrameCount } from '../../../main/sync/audio/mp3-info.js';
import { deviceWavHeader, makeDeviceWav, makeSpeechPcm } from '../../support/fixtures/audio.js';

const run = promisify(execFile);

async function encodeTo(
  fn: typeof encodeWavToMp3,
  wav: string,
  out: string,
): Promise<{ durationMs: number; bytes: number }> {
  const parts: Buffer[] = [];
  const r = await fn(wav, (b) => void parts.push(b), { serial: 42 });
  await writeFile(out, Buffer.concat(parts));
  expect(r.bytes).toBe(Buffer.concat(parts).length);
  return r;
}

/** Lag (in samples) at which `b` best matches `a`. */
function bestLag(a: Int16Array, b: Int16Array, maxLag: number): number {
  let best = 0;
  let bestErr = Infinity;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let e = 0;
    for (let i = 2000; i < 12_000; i++) {
      const d = (b[i + lag] ?? 0) - (a[i] ?? 0);
      e += d * d;
    }
    if (e < bestErr) [bestErr, best] = [e, lag];
  }
  return best;
}

const asInt16 = (b: Buffer): Int16Array =>
  new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length - (b.length % 2)));

describe('encode WAV -> Ogg Opus / MP3', () => {
  let dir: string;
  let wavPath: string;
  const SECONDS = 2.47; // not a whole number of Opus or MP3 frames
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plaud-enc-'));
    wavPath = join(dir, 'rec.WAV');
    await writeFile(wavPath, await makeDeviceWav(SECONDS, '888000000000000001'));
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('Opus: opusinfo is clean, decoded length equals the input exactly, audio lines up (pre-skip right)', async () => {
    const out = join(dir, 'enc.opus');
    const r = await encodeTo(encodeWavToOggOpus, wavPath, out);
    expect(r.durationMs).toBe(2470);
    const info = await run('opusinfo', [out]);
    expect(info.stdout + info.stderr).not.toMatch(/warning|error/i);
    expect(info.stdout).toMatch(/Pre-skip: 312/);
    expect(info.stdout).toMatch(/Original sample rate: 16000 Hz/);

    const dec = join(dir, 'enc-dec.wav');
    await run('opusdec', ['--quiet', '--rate', '16000', out, dec]);
    const decoded = asInt16((await readFile(dec)).subarray(44));
    expect(decoded.length).toBe(Math.round(SECONDS * 16_000));
    // The downmixed input is (L + 0.8 L) / 2 = 0.9 x the speech.
    const speech = asInt16(await makeSpeechPcm(SECONDS)).map((s) => Math.round(s * 0.9));
    expect(Math.abs(bestLag(speech, decoded, 200))).toBeLessThanOrEqual(2);

    const probe = JSON.parse(
      (await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,duration', '-of', 'json', out])).stdout,
    );
    expect(probe.streams[0].codec_name).toBe('opus');
    // ffprobe counts the pre-skip in the stream duration (its start time is -6.5 ms).
    expect(Math.abs(Number(probe.streams[0].duration) * 1000 - 2470)).toBeLessThanOrEqual(312 / 48 + 1);
  });

  it('MP3: ffprobe sees mp3, 16 kHz mono, with the input duration', async () => {
    const out = join(dir, 'enc.mp3');
    const r = await encodeTo(encodeWavToMp3, wavPath, out);
    expect(r.durationMs).toBe(2470);
    const probe = JSON.parse(
      (
        await run('ffprobe', [
          '-v',
          'error',
          '-show_entries',
          'stream=codec_name,sample_rate,channels,duration',
          '-of',
          'json',
          out,
        ])
      ).stdout,
    );
    expect(probe.streams[0]).toMatchObject({ codec_name: 'mp3', sample_rate: '16000', channels: 1 });
    // ffprobe's duration is the Info frame's frame count x 36 ms (it does not subtract delay and padding)...
    expect(Number(probe.streams[0].duration)).toBeCloseTo((lamejsFrameCount(39_520) * 576) / 16_000, 3);
    // ...while decoding honours the LAME delay/padding: exactly the input's samples, lined up with the input.
    const decodedBuf = (
      await run('ffmpeg', ['-v', 'error', '-i', out, '-f', 's16le', '-'], { encoding: 'buffer', maxBuffer: 1 << 26 })
    ).stdout;
    const decoded = asInt16(decodedBuf);
    expect(decoded.length).toBe(39_520);
    const speech = asInt16(await makeSpeechPcm(SECONDS)).map((s) => Math.round(s * 0.9));
    expect(Math.abs(bestLag(speech, decoded, 1200))).toBeLessThanOrEqual(2);
  });

  it('MP3 Info frame: LAME tag CRC-16 and fields are where readers look', async () => {
    const mp3 = await readFile(join(dir, 'enc.mp3'));
    expect(mp3.toString('latin1', 13, 17)).toBe('Info');
    expect(mp3.readUInt32BE(21)).toBe(lamejsFrameCount(39_520));
    expect(mp3.readUInt32BE(25)).toBe(mp3.length);
    expect(mp3.toString('latin1', 133, 137)).toBe('LAME');
    const dp = (mp3[154]! << 16) | (mp3[155]! << 8) | mp3[156]!;
    expect(dp >> 12).toBe(576);
    expect(lamejsFrameCount(39_520) * 576 - (dp >> 12) - (dp & 0xfff)).toBe(39_520);
    // CRC-16/ARC of bytes 0..166, as ffmpeg and LAME check it ("123456789" -> 0xBB3D is the standard check value).
    const arc = (b: Uint8Array): number => {
      let c = 0;
      for (const x of b) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
      }
      return c;
    };
    expect(arc(Buffer.from('123456789'))).toBe(0xbb3d);
    expect(mp3.readUInt16BE(167)).toBe(arc(mp3.subarray(0, 167)));
    const probe = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream_tags=encoder',
      '-of',
      'default=nw=1',
      join(dir, 'enc.mp3'),
    ]);
    expect(probe.stdout).toContain('LAME3.98'); // ffmpeg reports the encoder only when the tag CRC matches
  });

  it('MP3 at other sample rates (no Info frame there) still encodes, to about the right length', async () => {
    const speech = asInt16(await makeSpeechPcm(1));
    for (const rate of [24_000, 44_100]) {
      const h = deviceWavHeader(speech.length * 2, '1');
      h.writeUInt16LE(1, 22); // mono
      h.writeUInt32LE(rate, 24);
      h.writeUInt32LE(rate * 2, 28);
      h.writeUInt16LE(2, 32);
      const p = join(dir, `r${rate}.WAV`);
      await writeFile(p, Buffer.concat([h, Buffer.from(speech.buffer)]));
      const out = join(dir, `r${rate}.mp3`);
      const r = await encodeTo(encodeWavToMp3, p, out);
      expect(r.durationMs).toBe(Math.round((speech.length * 1000) / rate));
      const decoded = (
        await run('ffmpeg', ['-v', 'error', '-i', out, '-f', 's16le', '-'], { encoding: 'buffer', maxBuffer: 1 << 26 })
      ).stdout;
      const samples = decoded.length / 2;
      expect(Math.abs(samples - speech.length)).toBeLessThanOrEqual(3 * 1152);
    }
  });

  it('a truncated WAV encodes the audio it holds', async () => {
    const full = await readFile(wavPath);
    const cut = join(dir, 'cut.WAV');
    await writeFile(cut, full.subarray(0, 512 + 64_000 + 5)); // 1 s and a partial frame; header claims 2.47 s
    const r = await encodeTo(encodeWavToOggOpus, cut, join(dir, 'cut.opus'));
    expect(r.durationMs).toBe(1000);
  });

  it('rejects what it cannot encode, with plain reasons', async () => {
    const headerOnly = join(dir, 'empty.WAV');
    await writeFile(headerOnly, deviceWavHeader(0, '1'));
    await expect(encodeWavToOggOpus(headerOnly, () => {})).rejects.toMatchObject({ code: 'NO_SOURCE' });

    const h441 = deviceWavHeader(44_100 * 4, '1');
    h441.writeUInt32LE(44_100, 24);
    h441.writeUInt32LE(44_100 * 4, 28);
    const w441 = join(dir, '441.WAV');
    await writeFile(w441, Buffer.concat([h441, Buffer.alloc(44_100 * 4)]));
    await expect(encodeWavToOggOpus(w441, () => {})).rejects.toMatchObject({
      code: 'WAV_UNSUPPORTED',
      message: expect.stringContaining('44100 Hz'),
    });

    const h8 = deviceWavHeader(32_000, '1');
    h8.writeUInt16LE(8, 34);
    h8.writeUInt16LE(2, 32);
    h8.writeUInt32LE(32_000, 28);
    const w8 = join(dir, '8bit.WAV');
    await writeFile(w8, Buffer.concat([h8, Buffer.alloc(32_000)]));
    await expect(encodeWavToMp3(w8, () => {})).rejects.toMatchObject({
      code: 'WAV_UNSUPPORTED',
      message: expect.stringContaining('8-bit'),
    });
  });
});
