import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMonoPcm } from '../../../main/sync/audio/pcm-reader.js';

function canonicalWav(channels: number, frames: number, sample: (frame: number, ch: number) => number): Buffer {
  const data = Buffer.alloc(frames * channels * 2);
  for (let f = 0; f < frames; f++)
    for (let c = 0; c < channels; c++) data.writeInt16LE(sample(f, c), (f * channels + c) * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(16_000, 24);
  h.writeUInt32LE(16_000 * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

async function readAll(path: string): Promise<Int16Array> {
  const { chunks } = await openMonoPcm(path);
  const parts: Int16Array[] = [];
  for await (const c of chunks) parts.push(c);
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('openMonoPcm', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plaud-pcm-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('averages channels to mono, frames intact across read-chunk boundaries (3 channels: 6-byte frames)', async () => {
    const frames = 100_000; // 600 KB: several 256 KiB reads, none ending on a frame boundary
    const p = join(dir, 'three.wav');
    await writeFile(
      p,
      canonicalWav(3, frames, (f, c) => ((f % 2000) - 1000) * (c + 1)),
    );
    const mono = await readAll(p);
    expect(mono.length).toBe(frames);
    for (let f = 0; f < frames; f += 997) expect(mono[f]).toBe(((f % 2000) - 1000) * 2);
  });

  it('stereo: the mean of left and right, negative samples included', async () => {
    const p = join(dir, 'stereo.wav');
    await writeFile(
      p,
      canonicalWav(2, 1000, (f, c) => (c === 0 ? -30_000 + f : 10_000)),
    );
    const mono = await readAll(p);
    expect(mono[0]).toBe(-10_000);
    expect(mono[999]).toBe(Math.floor((-30_000 + 999 + 10_000) / 2));
  });

  it('mono passes through unchanged', async () => {
    const p = join(dir, 'mono.wav');
    await writeFile(
      p,
      canonicalWav(1, 5000, (f) => ((f * 13) % 65_536) - 32_768),
    );
    const mono = await readAll(p);
    expect([...mono.subarray(0, 4)]).toEqual([-32_768, -32_755, -32_742, -32_729]);
    expect(mono.length).toBe(5000);
  });
});
