// Cancel, Resume and what the snapshot says about them, end to end: a real FAT recorder (fusefat), the real library,
// ledger and uploader, and the Plaud API emulator on a real S3 server.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SyncEngine } from '../../../main/sync/engine/engine.js';
import { MemorySecretStore } from '../../../main/sync/secrets-memory.js';
import { defaultSettings, type Settings } from '../../../main/sync/settings.js';
import { startEmulator, type Emulator } from '../../support/emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../../support/fuse.js';
import { layOutRecorder, type RecordingSpec } from '../../support/recorder.js';
import { TestWatcher } from '../../support/test-watcher.js';

const noFuse = fuseUnavailableReason();
if (noFuse) console.warn(`cancel e2e tests skipped: ${noFuse}`);

async function until(cond: () => boolean, ms: number, what: string, show?: () => unknown): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${show ? `: ${JSON.stringify(show())}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!!noFuse)('cancel and resume (FAT recorder + emulator + s3rver)', () => {
  let emu: Emulator;
  let tmp: string;
  const mounts: FatMount[] = [];
  const engines: SyncEngine[] = [];

  beforeAll(async () => {
    emu = await startEmulator();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-cancel-'));
  });
  afterAll(async () => {
    await emu?.stop();
  });
  afterEach(async () => {
    emu.faults.clear();
    for (const e of engines.splice(0)) await e.stop().catch(() => {});
    for (const m of mounts.splice(0)) await m.unmount().catch(() => {});
  });

  async function recorder(name: string, serial: string, recordings: RecordingSpec[]) {
    const img = path.join(tmp, `${name}.img`);
    await makeFatImage(img, 40);
    const m = await mountFat(img, path.join(tmp, 'media', name));
    mounts.push(m);
    await layOutRecorder(m.dir, { serial, recordings });
    return m;
  }

  async function engine() {
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-state-'));
    const watcher = new TestWatcher();
    const settings: Settings = {
      ...defaultSettings(path.join(stateDir, 'library')),
      apiBase: emu.baseUrl,
      credentials: { kind: 'token' },
    };
    const e = new SyncEngine({
      stateDir,
      settings,
      secrets: new MemorySecretStore({ apiToken: emu.token }),
      watcher,
      stateIntervalMs: 20,
    });
    await e.start();
    engines.push(e);
    return { e, watcher };
  }

  it('a failed upload waiting for its retry can be cancelled (grey, no countdown), and Resume (retry) syncs it', async () => {
    const m = await recorder('recX', '888000000000000071', [{ startSec: 1_730_000_000, seconds: 2 }]);
    // The part upload is refused with "come back in an hour": the recording waits for a retry far away.
    emu.faults.rateLimit({ target: 'parts', retryAfterSeconds: 3600, times: 1 });
    const { e, watcher } = await engine();
    const dev = await watcher.plug(m.dir);
    await until(
      () => e.getState().queue.some((q) => q.state === 'waiting-retry'),
      60_000,
      'a retry scheduled',
      () => e.getState().queue,
    );
    const waiting = e.getState().queue.find((q) => q.state === 'waiting-retry')!;
    expect(waiting.phase).toBe('upload');
    expect(waiting.nextRetryAt).toBeGreaterThan(Date.now() + 30 * 60_000);
    const attempts = e.records().find((r) => r.id === waiting.id)!.attempts;

    await e.cancel(waiting.id);
    const rec = e.records().find((r) => r.id === waiting.id)!;
    expect(rec.state).toBe('failed');
    expect(rec.failure).toMatchObject({ code: 'cancelled', nextTryAt: null });
    expect(rec.attempts).toBeGreaterThanOrEqual(attempts);
    const item = e.getState().queue.find((q) => q.id === waiting.id)!;
    expect(item.state).toBe('cancelled');
    expect(item.nextRetryAt).toBeUndefined();
    // Cancelled is not "failed" (red) and not counted as waiting or to upload.
    expect(e.getState().totals).toMatchObject({ failed: 0, queued: 0 });
    expect(e.getState().totals.upload).toBeUndefined();
    // A manual sync does not bring a cancelled recording back by itself.
    await e.syncNow();
    await new Promise((r) => setTimeout(r, 300));
    expect(e.records().find((r) => r.id === waiting.id)!.state).toBe('failed');

    // Resume: the same upload, now let through, reaches the cloud.
    await e.retry(waiting.id);
    await until(() => e.records().find((r) => r.id === waiting.id)!.state === 'synced', 60_000, 'synced after resume');

    // History points at the playable file, with its size; the card of the unplugged recorder counts what synced.
    const h = (await e.getHistory({ text: waiting.id })).entries;
    expect(h.map((x) => x.id)).toEqual([waiting.id]);
    expect(h[0]!.localPath).toMatch(/\.(opus|mp3)$/);
    expect(h[0]!.sizeBytes).toBe((await fs.stat(h[0]!.localPath)).size);
    watcher.unplug(m.dir);
    await until(() => e.getState().devices.some((d) => d.id === dev.id && !d.connected), 10_000, 'recorder unplugged');
    const card = e.getState().devices.find((d) => d.id === dev.id)!;
    expect(card.lastVisit?.synced).toBe(1);
  }, 120_000);

  it('while copying, the device card and the copy phase agree and the upload phase holds only library bytes', async () => {
    const m = await recorder('recY', '888000000000000072', [
      { startSec: 1_731_000_000, seconds: 2, wavRepeat: 60 },
      { startSec: 1_731_000_100, seconds: 2, wavRepeat: 60 },
    ]);
    const { e, watcher } = await engine();
    const seen: {
      copy?: { bytesDone: number; bytesTotal: number };
      pull: { bytesDone: number; bytesTotal: number };
    }[] = [];
    e.onState((s) => {
      const d = s.devices.find((x) => x.connected && x.pull.state === 'pulling');
      if (d) seen.push({ ...(s.totals.copy ? { copy: s.totals.copy } : {}), pull: d.pull });
      for (const q of s.queue) {
        // A row's bytes are its own phase's: a copying row never shows the upload file's size, and back.
        if (q.state === 'pulling') expect(q.phase).toBe('copy');
        if (q.state === 'uploading' || q.state === 'completing') expect(q.phase).toBe('upload');
        if (q.state === 'completing') expect(q.bytesDone).toBe(q.bytesTotal);
      }
      if (s.totals.upload) expect(s.totals.upload.bytesDone).toBeLessThanOrEqual(s.totals.upload.bytesTotal);
      // The headline time left is the upload phase's own, never the recorder's bytes at the upload speed.
      expect(s.totals.etaSec).toBe(s.totals.upload?.etaSec ?? null);
      expect(s.totals.speedBps).toBe(s.totals.upload?.speedBps ?? 0);
    });
    await watcher.plug(m.dir);
    await until(() => e.records().filter((r) => r.state === 'synced').length === 2, 90_000, 'both synced');
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen)
      expect(s.copy).toEqual(expect.objectContaining({ bytesDone: s.pull.bytesDone, bytesTotal: s.pull.bytesTotal }));
  }, 120_000);
});
