// The emulator's uplink cap: parts PUT in parallel share one capped link, so N MB take at least N / cap seconds
// (within a small tolerance for the first chunk), the bytes stored are exact, and lifting the cap makes it fast again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { md5Hex, oggOpusBytes, partBytes, presign, putPart } from './fixtures.js';

const MiB = 1024 * 1024;
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ uploadBytesPerSec: 2 * MiB });
});
afterAll(async () => {
  await emu?.stop();
});

/** PUT every part at once (as a parallel uploader does); returns the seconds it took. */
async function putAllAtOnce(data: Buffer): Promise<number> {
  const p = await presign(emu.baseUrl, emu.token, data.length);
  const t0 = performance.now();
  const answers = await Promise.all(p.parts.map((part) => putPart(part.url, partBytes(data, p, part.partNumber))));
  const s = (performance.now() - t0) / 1000;
  for (const [i, res] of answers.entries()) {
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${md5Hex(partBytes(data, p, i + 1))}"`);
  }
  return s;
}

describe('upload throttle', { timeout: 60_000 }, () => {
  it('holds the shared cap over parallel part PUTs, and lifting it makes uploads fast again', async () => {
    const data = oggOpusBytes(12 * MiB); // three parts at once
    const capped = await putAllAtOnce(data);
    // 12 MiB at 2 MiB/s: 6 s, less at most one 64 KiB chunk of slack.
    expect(capped).toBeGreaterThanOrEqual(6 * 0.97);
    expect(capped).toBeLessThan(6 * 3); // and not stalled: the cap, not something else, set the pace

    emu.uploadThrottle.setRate(0);
    const free = await putAllAtOnce(data);
    expect(free).toBeLessThan(capped / 2);
  });
});
