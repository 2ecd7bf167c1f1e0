// A hung volume never hides the recorder (issue 11 §9). Beside a healthy recorder under the same mount root sits a
// FAT volume whose backing store stops answering: served by nbdkit, exposed by nbdfuse, mounted by fusefat, and
// nbdkit SIGSTOPped after the mount with the page cache dropped, so every read of it waits, uninterruptibly.
// `devices`, `pull` and `watch` (against the emulator) must carry on with the healthy one in normal time, and exit.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { buildCli, collect, jsonLines, runCli, spawnCli } from '../support/cli.js';
import { makeFatImage, mountFat, type FatMount } from '../support/fuse.js';
import {
  buildRecorderImage,
  nbdUnavailableReason,
  startNbdRecorder,
  type NbdRecorder,
} from '../support/nbd-recorder.js';
import { layOutRecorder } from '../support/recorder.js';

const unavailable = nbdUnavailableReason();
if (unavailable) console.warn(`hung-volume CLI tests skipped: ${unavailable}`);

const HEALTHY = '888777000000000042';
const STALLED = '888777000000000043';
/** The probe timeout (2 s) plus room for a loaded 2-core machine. */
const SLACK_MS = 4000;

describe.skipIf(!!unavailable)('a hung volume under the mount root', { timeout: 180_000 }, () => {
  let work: string;
  let root: string;
  let healthy: FatMount | undefined;
  let stalled: NbdRecorder | undefined;
  let emu: Emulator | undefined;
  /** How long `devices` takes on a root with the healthy recorder alone: the normal time on this machine now. */
  let normalMs = 0;

  beforeAll(async () => {
    await buildCli();
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-hung-'));
    root = path.join(work, 'media');
    const img = path.join(work, 'healthy.img');
    await makeFatImage(img, 40);
    healthy = await mountFat(img, path.join(root, 'PLAUD_NOTE'));
    await layOutRecorder(healthy.dir, {
      serial: HEALTHY,
      recordings: [
        { startSec: 1_723_000_000, seconds: 2 },
        { startSec: 1_723_000_600, seconds: 1, kind: 'call' },
      ],
    });

    // The normal time, measured before the other volume exists.
    const t0 = performance.now();
    const alone = await runCli(['devices', '--mount-root', root, '--json'], { compiled: true, timeoutMs: 60_000 });
    normalMs = performance.now() - t0;
    expect(jsonLines(alone.stdout).map((l) => l.sn)).toEqual([HEALTHY]);

    const stalledImg = path.join(work, 'stalled.img');
    await buildRecorderImage(stalledImg, { serial: STALLED, recordings: [{ startSec: 1_723_100_000, seconds: 1 }] });
    stalled = await startNbdRecorder({ image: stalledImg, mountPoint: path.join(root, 'STALLED') });
    stalled.stall();
    await stalled.dropCaches();
    emu = await startEmulator();
  }, 120_000);

  afterAll(async () => {
    // Continue and unmount the stalled volume before anything walks the work folder.
    await stalled?.cleanup();
    await healthy?.unmount();
    await emu?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('devices lists the healthy recorder in normal time and exits', async () => {
    const t0 = performance.now();
    const r = await runCli(['devices', '--mount-root', root, '--json'], { compiled: true, timeoutMs: 60_000 });
    const ms = performance.now() - t0;
    expect(r.signal, 'the command had to be killed').toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).map((l) => l.sn)).toEqual([HEALTHY]);
    expect(ms, `normal time ${Math.round(normalMs)} ms`).toBeLessThan(normalMs + SLACK_MS);
  });

  it('pull pulls the healthy recorder and exits', async () => {
    const library = path.join(work, 'lib-pull');
    const t0 = performance.now();
    const r = await runCli(['pull', '--mount-root', root, '--library', library, '--json'], {
      compiled: true,
      timeoutMs: 60_000,
      env: { PLAUD_SYNC_STATE: path.join(work, 'state-pull') },
    });
    const ms = performance.now() - t0;
    expect(r.signal, 'the command had to be killed').toBeNull();
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const events = jsonLines(r.stdout);
    expect(events.filter((e) => e.type === 'device').map((e) => e.sn)).toEqual([HEALTHY]);
    const files = await fs.readdir(library, { recursive: true });
    expect(files.filter((f) => /\.wav$/i.test(String(f)))).toHaveLength(2);
    expect(ms).toBeLessThan(normalMs + SLACK_MS + 10_000);
  });

  it('watch finds the healthy recorder, syncs it to the cloud, and stops when asked', async () => {
    const state = path.join(work, 'state-watch');
    const child = spawnCli(
      [
        'watch',
        '--mount-root',
        root,
        '--state-dir',
        state,
        '--library',
        path.join(state, 'lib'),
        '--api-base',
        emu!.baseUrl,
        '--json',
      ],
      { compiled: true, env: { PLAUD_API_TOKEN: emu!.token } },
    );
    const done = collect(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 90_000;
    const syncedIn = (text: string) =>
      jsonLines(text)
        .filter((e) => e.type === 'sync-finished')
        .reduce((n, e) => n + ((e.synced as number) ?? 0), 0);
    while (syncedIn(out) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const r = await done;
    clearTimeout(killer);
    const events = jsonLines(r.stdout);
    expect(
      events.filter((e) => e.type === 'device-attached').map((e) => e.sn),
      r.stderr,
    ).toEqual([HEALTHY]);
    expect(syncedIn(r.stdout)).toBe(2);
    expect(emu!.files().length).toBeGreaterThanOrEqual(2);
    expect(r.signal, 'watch had to be killed').toBeNull();
  });
});
