// The DeviceMonitor's follow-up rescans (after a folder or USB event) exist to catch a mount that lands after its
// folder appeared. They must still do that, but must not probe again what already answered as a recorder since the
// event: each probe is a child process, and each spawn costs the app's main process CPU while that recorder's
// first recordings are being copied.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VolumeProber, type ProbeResult } from '../../../main/sync/devices/probe.js';
import { DeviceMonitor } from '../../../main/sync/devices/watcher.js';
import type { DeviceInfo } from '../../../main/sync/types.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../../support/fuse.js';
import { layOutRecorder, TEST_SERIAL } from '../../support/recorder.js';

/** A real prober (child processes and all) that counts its probes per entry. */
class CountingProber extends VolumeProber {
  readonly counts = new Map<string, number>();
  override probe(dir: string, opts?: Parameters<VolumeProber['probe']>[1]): Promise<ProbeResult> {
    this.counts.set(dir, (this.counts.get(dir) ?? 0) + 1);
    return super.probe(dir, opts);
  }
}

const RECORDER = { recordings: [{ kind: 'note' as const, startSec: 1_709_280_000, seconds: 2 }] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let tmp: string;
let root: string;
let monitor: DeviceMonitor | undefined;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-follow-ups-'));
  root = path.join(tmp, 'media');
  await fs.mkdir(root);
});
afterEach(async () => {
  await monitor?.stop();
  monitor = undefined;
  await fs.rm(tmp, { recursive: true, force: true });
});

function startMonitor(
  prober: VolumeProber,
  mountRoots: string[] = [root],
): { attached: DeviceInfo[]; started: Promise<void> } {
  monitor = new DeviceMonitor({
    mountRoots,
    usb: false,
    prober,
    followUpMs: [250, 500, 1000],
    rescanIntervalMs: 120_000,
  });
  const attached: DeviceInfo[] = [];
  monitor.on('device-attached', (d) => attached.push(d));
  return { attached, started: monitor.start() };
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(25);
}

/** The volume appears in one step (one folder event), as an automounter's mount does; resolves once attached. */
async function plugIn(attached: DeviceInfo[]): Promise<void> {
  const staging = path.join(tmp, 'staging');
  await fs.mkdir(staging);
  await layOutRecorder(staging, RECORDER);
  await fs.rename(staging, path.join(root, 'PLAUD_NOTE'));
  await until(() => attached.length > 0, 10_000);
}

describe('follow-up rescans', () => {
  it('do not probe again a recorder that answered since the event, nor the root that holds it', async () => {
    const prober = new CountingProber();
    const { attached, started } = startMonitor(prober);
    await started;
    await plugIn(attached);
    expect(attached.map((d) => d.sn)).toEqual([TEST_SERIAL]);
    await sleep(1500); // every follow-up has run
    // Once by the event's own pass; the three follow-ups reused that answer. (Before: four times.)
    expect(prober.counts.get(path.join(root, 'PLAUD_NOTE'))).toBe(1);
    // The root: once at start, once for the event. It holds a recorder's mount point, so nothing will be mounted
    // over the root itself.
    expect(prober.counts.get(root)).toBe(2);
    // A later full pass (the fallback scan, or an explicit rescan) probes everything again.
    await monitor!.rescan();
    expect(prober.counts.get(path.join(root, 'PLAUD_NOTE'))).toBe(2);
    expect(attached).toHaveLength(1);
  });

  it('still find a mount that lands after its folder appeared (no event of its own)', async () => {
    const prober = new CountingProber();
    const { attached, started } = startMonitor(prober);
    await started;
    const volume = path.join(root, 'PLAUD_NOTE');
    await fs.mkdir(volume); // the folder event: the event's pass finds an empty folder
    await sleep(180);
    await layOutRecorder(volume, RECORDER); // the "mount": files appear inside, no event at the root
    await until(() => attached.length > 0, 5_000);
    expect(attached.map((d) => d.sn)).toEqual([TEST_SERIAL]);
    // Found by a follow-up (the fallback scan is 120 s away), after the event's pass saw nothing there.
    expect(prober.counts.get(volume)).toBeGreaterThanOrEqual(2);
  });

  it('a new event makes its own pass look again at a recorder already attached (its follow-ups then reuse that)', async () => {
    const prober = new CountingProber();
    const { attached, started } = startMonitor(prober);
    await started;
    await plugIn(attached);
    await sleep(1500);
    const before = prober.counts.get(path.join(root, 'PLAUD_NOTE'))!;
    await fs.mkdir(path.join(root, 'OTHER')); // another folder event
    await sleep(1500);
    // The event's pass and each follow-up after it probed again: the earlier answer is older than the event.
    expect(prober.counts.get(path.join(root, 'PLAUD_NOTE'))! - before).toBe(1);
    expect(prober.counts.get(path.join(root, 'OTHER'))).toBeGreaterThanOrEqual(4);
  });
});

// A mount over a folder makes no event in that folder: only the follow-ups of an earlier event can see it.
const noFuse = fuseUnavailableReason();
if (noFuse) console.warn(`follow-up test on a real mount skipped: ${noFuse}`);

describe.skipIf(!!noFuse)('a mount point given as the root itself (real FAT volume through FUSE)', () => {
  let fat: FatMount | undefined;
  afterEach(async () => {
    await monitor?.stop();
    monitor = undefined;
    await fat?.unmount();
    fat = undefined;
  });

  it('is found by a follow-up when its mount lands after the event', async () => {
    const image = path.join(tmp, 'recorder.img');
    await makeFatImage(image, 40);
    const staging = await mountFat(image, path.join(tmp, 'staging'));
    await layOutRecorder(staging.dir, RECORDER);
    await staging.unmount();

    const prober = new CountingProber();
    const volume = path.join(root, 'PLAUD_NOTE');
    await fs.mkdir(volume);
    const { attached, started } = startMonitor(prober, [volume]);
    await started;
    await fs.mkdir(path.join(volume, 'tmp')); // an event in the root, then gone again
    await fs.rmdir(path.join(volume, 'tmp'));
    await sleep(180); // the event's own pass: the root answers, no recorder yet
    fat = await mountFat(image, volume); // the mount lands, with no event of its own
    await until(() => attached.length > 0, 5_000);
    // Found by a follow-up: the fallback scan is 120 s away.
    expect(attached.map((d) => d.sn)).toEqual([TEST_SERIAL]);
  }, 30_000);
});
