// A recorder plugged in again reads no header of the recordings the engine already has (real FAT volume through
// FUSE): the scan describes them from the ledger, so the first byte of a new recording is not held up by a read of
// every old one. The new recording is still read, pulled and uploaded, and nothing old is uploaded twice.
import fss from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useFatEngineHarness } from '../../support/fat-engine-harness.js';
import { layOutRecorder, relBaseOf, type RecordingSpec } from '../../support/recorder.js';
import { until } from '../../support/until.js';

const h = useFatEngineHarness('known-scan e2e');
const SERIAL = '888000000000000031';

describe.skipIf(!!h.noFuse)('plugging in a recorder the engine knows (FAT recorder + emulator)', () => {
  it('opens only the new recording on the recorder during the scan', async () => {
    const t0 = 1_717_100_000;
    const old: RecordingSpec[] = [
      { startSec: t0, seconds: 2 },
      { startSec: t0 + 600, seconds: 2, kind: 'call' },
      { startSec: t0 + 1200, seconds: 2, wav: false },
    ];
    const dir = await h.recorder(SERIAL, old);
    const { e, watcher } = await h.engine();
    const before = h.emu.files().length;
    await e.start();
    await watcher.plug(dir);
    await until(() => e.records().filter((r) => r.state === 'synced').length === 3, 30_000, 'first plug-in synced');
    watcher.unplug(dir);

    // Away from the computer, the recorder records once more.
    const fresh: RecordingSpec = { startSec: t0 + 7200, seconds: 2 };
    await layOutRecorder(dir, { serial: SERIAL, recordings: [fresh] });

    const opened: string[] = [];
    const real = fss.openSync;
    vi.spyOn(fss, 'openSync').mockImplementation(((p: fss.PathLike, ...rest: unknown[]) => {
      const f = String(p);
      if (f.startsWith(dir) && /\.(wav|asr)$/i.test(f)) opened.push(path.relative(dir, f));
      return (real as (...a: unknown[]) => number)(p, ...rest);
    }) as typeof fss.openSync);
    try {
      await watcher.plug(dir);
      await until(() => e.records().filter((r) => r.state === 'synced').length === 4, 30_000, 'new recording synced');
      await e.whenIdle();
    } finally {
      vi.restoreAllMocks();
    }
    const base = relBaseOf(fresh);
    expect(opened.sort()).toEqual([`${base}.ASR`, `${base}.WAV`]);
    expect(h.emu.files().length - before).toBe(4);
  });
});
