import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectAsr } from '../../../main/sync/audio/asr.js';
import { oggCrc, oggCrcUpdate, oggCrcUpdateBytewise, oggPageCrcOk } from '../../../main/sync/audio/ogg-crc.js';
import { buildOggPage, lacingFor, OggOpusWriter, packageRawAsr } from '../../../main/sync/audio/ogg-opus.js';
import { pagePackets, readVerifiedOggPage, type OggPageHeader } from '../../../main/sync/audio/ogg-page.js';
import { makeDeviceAsr, makeSpeechPcm, oggOpusPackets } from '../../support/fixtures/audio.js';

const run = promisify(execFile);

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function packageToBuffer(
  asr: Buffer,
  chunk = 65_536,
  serial = 0x1234abcd,
): Promise<{ ogg: Buffer; durationMs: number; packets: number }> {
  const out: Buffer[] = [];
  const r = await packageRawAsr(chunked(asr, chunk), (p) => void out.push(p), { serial });
  const ogg = Buffer.concat(out);
  expect(r.bytes).toBe(ogg.length);
  return { ogg, durationMs: r.durationMs, packets: r.packets };
}

function pages(ogg: Buffer): OggPageHeader[] {
  const out: OggPageHeader[] = [];
  for (let off = 0; off < ogg.length;) {
    const h = readVerifiedOggPage(ogg, off);
    if (!h) throw new Error(`bad page at ${off}`);
    out.push(h);
    off += h.pageLength;
  }
  return out;
}

describe('Ogg page bytes', () => {
  it('the four-bytes-at-a-time CRC equals the byte-at-a-time one for every length and split', () => {
    const data = Buffer.alloc(4099);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    for (const len of [0, 1, 2, 3, 4, 5, 7, 8, 27, 255, 4096, 4099]) {
      const part = data.subarray(0, len);
      expect(oggCrcUpdate(0, part), `length ${len}`).toBe(oggCrcUpdateBytewise(0, part));
      // Continued over a split at an odd place, as a page is checked in three pieces.
      const cut = Math.floor(len / 3);
      expect(oggCrcUpdate(oggCrcUpdate(0, part.subarray(0, cut)), part.subarray(cut))).toBe(
        oggCrcUpdateBytewise(0, part),
      );
    }
    expect(oggCrcUpdate(0, Buffer.from('OggS'))).not.toBe(0);
  });

  it('CRC is the Ogg one (poly 0x04C11DB7, no reflection), matching a page written by ffmpeg', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plaud-crc-'));
    try {
      const f = join(dir, 'a.opus');
      await run('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=300:sample_rate=16000:duration=0.5',
        '-c:a',
        'libopus',
        f,
      ]);
      const ogg = await readFile(f);
      const first = ogg.subarray(0, 27 + ogg[26]! + 19);
      const stored = first.readUInt32LE(22);
      const zeroed = Buffer.from(first);
      zeroed.writeUInt32LE(0, 22);
      expect(oggCrc(zeroed)).toBe(stored);
      expect(crc32(zeroed)).not.toBe(stored);
      expect(oggPageCrcOk(first)).toBe(true);
      zeroed.writeUInt32LE(stored, 22);
      zeroed[30] = zeroed[30]! ^ 1;
      expect(oggPageCrcOk(zeroed)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('known page: fixed fields and CRC', () => {
    const page = buildOggPage({
      headerType: 0x02,
      granule: 0n,
      serial: 0x01020304,
      sequence: 0,
      packets: [Buffer.from('OpusHead')],
    });
    expect(page.toString('hex')).toBe(
      '4f676753' +
        '00' +
        '02' +
        '0000000000000000' +
        '04030201' +
        '00000000' +
        page.subarray(22, 26).toString('hex') +
        '01' +
        '08' +
        Buffer.from('OpusHead').toString('hex'),
    );
    // Computed independently with the bitwise definition of the Ogg CRC.
    const bitwise = (b: Uint8Array): number => {
      let c = 0;
      for (const byte of b) {
        c ^= byte << 24;
        for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
      }
      return c >>> 0;
    };
    const z = Buffer.from(page);
    z.writeUInt32LE(0, 22);
    expect(page.readUInt32LE(22)).toBe(bitwise(z));
  });

  it('lacing: a packet of exactly 255 bytes needs a trailing 0 segment', () => {
    expect(lacingFor(0)).toEqual([0]);
    expect(lacingFor(80)).toEqual([80]);
    expect(lacingFor(254)).toEqual([254]);
    expect(lacingFor(255)).toEqual([255, 0]);
    expect(lacingFor(256)).toEqual([255, 1]);
    expect(lacingFor(510)).toEqual([255, 255, 0]);
    const a = Buffer.alloc(255, 0xaa);
    const b = Buffer.alloc(1, 0xbb);
    const page = buildOggPage({ headerType: 0, granule: 960n, serial: 1, sequence: 2, packets: [a, b] });
    const h = readVerifiedOggPage(page, 0)!;
    expect([...h.lacing]).toEqual([255, 0, 1]);
    const { packets, partial } = pagePackets(page.subarray(h.headerLength), h.lacing);
    expect(packets.map((p) => Buffer.from(p))).toEqual([a, b]);
    expect(partial).toBeNull();
  });

  it('the writer never puts more than 255 segments on a page', () => {
    const w = new OggOpusWriter({ serial: 7 });
    const out: Buffer[] = [...w.headers()];
    for (let i = 0; i < 300; i++) out.push(...w.packet(Buffer.alloc(300, i & 0xff), 960)); // 2 segments each
    out.push(...w.end());
    const ps = pages(Buffer.concat(out));
    for (const p of ps) expect(p.lacing.length).toBeLessThanOrEqual(255);
    expect(ps.length).toBeGreaterThan(4);
    expect(ps.at(-1)!.granule).toBe(300n * 960n);
  });

  it('end trimming is limited to the last page', () => {
    const w = new OggOpusWriter({ serial: 7, maxPacketsPerPage: 2 });
    w.headers();
    for (let i = 0; i < 5; i++) w.packet(Buffer.alloc(80), 960);
    expect(() => w.end(5n * 960n + 1n)).toThrow(RangeError);
    expect(() => w.end(4n * 960n - 1n)).toThrow(RangeError);
    const last = w.end(4n * 960n + 100n);
    expect(readVerifiedOggPage(last[0]!, 0)!.granule).toBe(4n * 960n + 100n);
  });
});

describe('packageRawAsr (recorder .ASR -> Ogg Opus, no re-encoding)', () => {
  let dir: string;
  let asr: Buffer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plaud-ogg-'));
    asr = await makeDeviceAsr(3);
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('page structure: OpusHead+BOS, OpusTags, audio pages with 960 per packet, sequence, one serial, EOS last', async () => {
    const { ogg, packets, durationMs } = await packageToBuffer(asr);
    expect(packets).toBe(150);
    expect(durationMs).toBe(Math.round((150 * 960 - 120) / 48));
    const ps = pages(ogg);
    expect(ps.map((p) => p.sequence)).toEqual(ps.map((_, i) => i));
    expect(new Set(ps.map((p) => p.serial))).toEqual(new Set([0x1234abcd]));
    expect(ps.map((p) => p.headerType)).toEqual([0x02, 0, 0, 0, 0x04]);
    expect(ps.map((p) => p.granule)).toEqual([0n, 0n, 50n * 960n, 100n * 960n, 150n * 960n]);
    const head = ogg.subarray(ps[0]!.headerLength, ps[0]!.pageLength);
    expect(head.toString('latin1', 0, 8)).toBe('OpusHead');
    expect(head[8]).toBe(1);
    expect(head[9]).toBe(1);
    expect(head.readUInt16LE(10)).toBe(120);
    expect(head.readUInt32LE(12)).toBe(16_000);
    // The packets inside are the recorder's bytes, untouched.
    expect(Buffer.concat(oggOpusPackets(ogg))).toEqual(asr);
    // And our own inspector reads the result as Ogg Opus of the same length.
    const f = join(dir, 'x.ASR');
    await writeFile(f, ogg);
    expect(await inspectAsr(f)).toEqual({ format: 'ogg-opus', durationMs });
  });

  it('output does not depend on how the input is chunked', async () => {
    const ref = (await packageToBuffer(asr)).ogg;
    for (const size of [1, 79, 80, 81, 4096]) expect((await packageToBuffer(asr, size)).ogg.equals(ref)).toBe(true);
  });

  it('rejects stray bytes, a bad TOC and empty input with AudioFormatError', async () => {
    await expect(packageToBuffer(asr.subarray(0, asr.length - 7))).rejects.toMatchObject({
      code: 'ASR_STRAY_BYTES',
      message: expect.stringContaining('73 stray bytes'),
    });
    const bad = Buffer.from(asr);
    bad[80 * 77] = 0x00;
    await expect(packageToBuffer(bad)).rejects.toMatchObject({
      code: 'ASR_BAD_TOC',
      message: expect.stringContaining('packet 78'),
    });
    await expect(packageToBuffer(Buffer.alloc(0))).rejects.toMatchObject({ code: 'ASR_EMPTY' });
  });

  it('pre-skip 120 lines the decoded packets up with the audio the recorder heard', async () => {
    const { ogg } = await packageToBuffer(asr);
    const f = join(dir, 'align.opus');
    const wav = join(dir, 'align.wav');
    await writeFile(f, ogg);
    await run('opusdec', ['--quiet', '--rate', '16000', f, wav]);
    const dec = await readFile(wav);
    const decoded = new Int16Array(
      dec.buffer.slice(dec.byteOffset + 44, dec.byteOffset + dec.length - (dec.length % 2)),
    );
    const pcm = await makeSpeechPcm(3);
    const speech = new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.length));
    let best = 0;
    let bestErr = Infinity;
    for (let lag = -200; lag <= 200; lag++) {
      let e = 0;
      for (let i = 4000; i < 20_000; i++) {
        const d = (decoded[i + lag] ?? 0) - speech[i]!;
        e += d * d;
      }
      if (e < bestErr) [bestErr, best] = [e, lag];
    }
    expect(Math.abs(best)).toBeLessThanOrEqual(1);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(packageRawAsr(chunked(asr, 4000), () => {}, { signal: ac.signal })).rejects.toThrow(/abort/i);
  });

  it('opusinfo accepts it without warnings and opusdec/ffprobe get the expected length', async () => {
    for (const seconds of [3, 0.02, 7.3]) {
      const src = await makeDeviceAsr(seconds);
      const { ogg, durationMs } = await packageToBuffer(src);
      const f = join(dir, `pk-${seconds}.opus`);
      await writeFile(f, ogg);
      const info = await run('opusinfo', [f]);
      const text = info.stdout + info.stderr;
      expect(text).not.toMatch(/warning|error/i);
      expect(text).toMatch(/Pre-skip: 120/);
      expect(text).toMatch(/Channels: 1/);
      expect(text).toMatch(/Packet duration:\s+20\.0ms \(max\),\s+20\.0ms \(avg\),\s+20\.0ms \(min\)/);

      const wav = join(dir, `pk-${seconds}.wav`);
      await run('opusdec', ['--quiet', '--rate', '48000', f, wav]);
      const decodedSamples = ((await readFile(wav)).length - 44) / 2;
      const expectedSamples = Math.round(seconds * 50) * 960 - 120;
      expect(Math.abs(decodedSamples - expectedSamples)).toBeLessThanOrEqual(960 + 120);
      expect(Math.abs(decodedSamples / 48 - durationMs)).toBeLessThanOrEqual(20 + 2.5);

      const probe = await run('ffprobe', [
        '-v',
        'error',
        '-show_entries',
        'stream=codec_name,channels,duration',
        '-of',
        'json',
        f,
      ]);
      const stream = JSON.parse(probe.stdout).streams[0];
      expect(stream.codec_name).toBe('opus');
      expect(stream.channels).toBe(1);
      expect(Math.abs(Number(stream.duration) * 1000 - durationMs)).toBeLessThanOrEqual(20 + 2.5);
    }
  }, 180_000); // first run encodes the fixtures
});

describe('packageRawAsr streams', () => {
  it('writes pages while the input is still being read (never holds the whole file)', async () => {
    const packets = 50 * 60 * 10; // 10 minutes of recorder Opus (2.4 MB) in 4000-byte chunks
    let pulled = 0;
    let pulledAtFirstAudioPage = -1;
    async function* source(): AsyncGenerator<Buffer> {
      for (let i = 0; i < packets / 50; i++) {
        pulled++;
        const b = Buffer.alloc(4000, 0x11);
        for (let k = 0; k < 50; k++) b[k * 80] = 0xb8;
        yield b;
      }
    }
    let pages = 0;
    const r = await packageRawAsr(
      source(),
      () => {
        pages++;
        if (pages === 3 && pulledAtFirstAudioPage < 0) pulledAtFirstAudioPage = pulled;
      },
      { serial: 1 },
    );
    expect(r.packets).toBe(packets);
    expect(pages).toBe(2 + packets / 50);
    expect(pulledAtFirstAudioPage).toBeLessThanOrEqual(3);
  });
});
