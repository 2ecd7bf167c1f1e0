// API answers have a size cap: an answer of hundreds of MB is not read past 1 MiB, fails with a clear error, and
// the process's memory stays low (before the cap, a 600 MB answer took the process to 1.36 GB RSS).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ANSWER_BYTES, PlaudCloudClient } from '../../../main/sync/cloud/client.js';
import { CloudError } from '../../../main/sync/cloud/errors.js';
import { startEmulator, type Emulator } from '../../support/emulator/index.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

const CHUNK = 'x'.repeat(64 * 1024);
const TIMES = 3200; // 200 MiB: far past the cap, small enough not to hurt a shared machine if the cap is broken

/** Peak RSS growth over a baseline while `work` runs, sampled every 10 ms. */
async function peakRssGrowth(work: () => Promise<unknown>): Promise<number> {
  global.gc?.();
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage.rss()) - base;
}

describe('answer size cap', () => {
  it.each([
    ['with a Content-Length', false],
    ['chunked, size unknown up front', true],
  ])('a 200 MiB answer (%s) stops at 1 MiB with a clear error; RSS stays low', async (_name, chunked) => {
    emu.faults.customAnswer('presign', {
      times: 1,
      status: 200,
      contentType: 'application/json',
      body: CHUNK,
      repeat: TIMES,
      chunked,
    });
    const client = new PlaudCloudClient({ apiBase: emu.baseUrl, credentials: { kind: 'token', token: emu.token } });
    let err: unknown;
    const t0 = Date.now();
    const growth = await peakRssGrowth(async () => {
      err = await client.generatePresignedUrls({ filesize: 1000, filetype: 'opus' }).catch((e: unknown) => e);
    });
    expect(err).toBeInstanceOf(CloudError);
    expect(err).toMatchObject({ kind: 'bad-response' });
    expect((err as Error).message).toMatch(
      /Starting the upload \(generate-presigned-urls\): The Plaud server sent an answer of more than 1 MiB/,
    );
    expect(growth).toBeLessThan(100 * 1024 * 1024);
    expect(Date.now() - t0).toBeLessThan(10_000);
    console.log(`answer cap (${_name}): RSS grew ${(growth / 1e6).toFixed(1)} MB, ${Date.now() - t0} ms`);
  });

  it('an answer just under the cap is still read (a large but legal error page)', async () => {
    const body = JSON.stringify({ message: 'y'.repeat(MAX_ANSWER_BYTES - 100) });
    emu.faults.customAnswer('presign', { times: 1, status: 400, contentType: 'application/json', body });
    const client = new PlaudCloudClient({ apiBase: emu.baseUrl, credentials: { kind: 'token', token: emu.token } });
    const err = await client.generatePresignedUrls({ filesize: 1000, filetype: 'opus' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'validation', status: 400 });
    expect((err as Error).message).toMatch(/server said: y{100}/);
  });
});
