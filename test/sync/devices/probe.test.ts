// Probing mount-root entries (probe.ts, find.ts): both probe programs read MODEL.txt from a real folder; a volume
// whose backing store stopped (nbdkit SIGSTOPped under nbdfuse + fusefat) is reported hung after the timeout,
// logged once, never probed twice at a time, and found again once it answers; on Windows only removable drive
// letters (or one that appeared with a recorder's USB attach) are looked at.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDevices, probeMountRoots } from '../../../main/sync/devices/find.js';
import { DeviceMonitor } from '../../../main/sync/devices/watcher.js';
import { VolumeProber, type ProbeResult } from '../../../main/sync/devices/probe.js';
import { probeableRoots, type DriveInfo } from '../../../main/sync/devices/windows-drives.js';
import type { Logger } from '../../../main/sync/log.js';
import {
  buildRecorderImage,
  nbdUnavailableReason,
  startNbdRecorder,
  type NbdRecorder,
} from '../../support/nbd-recorder.js';
import { writeModelTxt, TEST_SERIAL } from '../../support/recorder.js';

function recordingLogger(): Logger & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    debug() {},
    info: (m) => void infos.push(m),
    warn: (m) => void warnings.push(m),
    error: (m) => void warnings.push(m),
  };
}

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-probe-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe.each(['sh', 'node'] as const)('the %s probe', (program) => {
  it('reads MODEL.txt in any casing, says so when there is none, and tells a missing folder apart', async () => {
    const rec = path.join(tmp, `${program}-rec`);
    const other = path.join(tmp, `${program}-other`);
    await fs.mkdir(rec);
    await fs.mkdir(other);
    await writeModelTxt(rec, {});
    await fs.rename(path.join(rec, 'MODEL.txt'), path.join(rec, 'model.TXT'));
    await fs.writeFile(path.join(other, 'notes.txt'), 'hello');
    const prober = new VolumeProber({ program, timeoutMs: 20_000 });
    const r = await prober.probe(rec);
    expect(r.state).toBe('answered');
    expect(r.state === 'answered' && r.modelText).toContain(`Serial No.:${TEST_SERIAL}`);
    expect(await prober.probe(other)).toEqual({ state: 'answered' });
    expect((await prober.probe(path.join(tmp, 'nope'))).state).toBe('absent');
  });

  it('does not follow a MODEL.txt symlink', async () => {
    const dir = path.join(tmp, `${program}-link`);
    await fs.mkdir(dir);
    await writeModelTxt(tmp, {});
    await fs.symlink(path.join(tmp, 'MODEL.txt'), path.join(dir, 'MODEL.txt'));
    expect(await new VolumeProber({ program, timeoutMs: 20_000 }).probe(dir)).toEqual({ state: 'answered' });
  });
});

if (nbdUnavailableReason()) console.warn(`stalled-volume probe tests skipped: ${nbdUnavailableReason()}`);
describe.skipIf(!!nbdUnavailableReason())('a volume that stops answering', { timeout: 120_000 }, () => {
  let stalled: NbdRecorder | undefined;
  let root: string;

  beforeAll(async () => {
    root = path.join(tmp, 'media');
    const image = path.join(tmp, 'stalled.img');
    await buildRecorderImage(image, { recordings: [{ startSec: 1_723_100_000, seconds: 1 }] });
    stalled = await startNbdRecorder({ image, mountPoint: path.join(root, 'STALLED') });
    const healthy = path.join(root, 'HEALTHY');
    await fs.mkdir(healthy, { recursive: true });
    await writeModelTxt(healthy, { serial: '888777000000000099' });
  }, 60_000);
  afterAll(async () => {
    await stalled?.cleanup();
  });

  it('is skipped after the timeout, logged once, probed once at a time, and found again when it answers', async () => {
    const log = recordingLogger();
    const prober = new VolumeProber({ timeoutMs: 1500, logger: log });
    stalled!.stall();
    await stalled!.dropCaches();

    const t0 = performance.now();
    const first = await findDevices([root], { prober, checkWavSerial: false });
    // The healthy one is there, in about the probe timeout, not held up by the other.
    expect(first.map((d) => d.sn)).toEqual(['888777000000000099']);
    expect(performance.now() - t0).toBeLessThan(1500 + 5000);
    expect(prober.hungEntries()).toEqual([stalled!.mountPoint]);

    // Again and again: no second probe of the hung entry, no second warning; the healthy one is still found.
    for (let i = 0; i < 3; i++) {
      const again = await probeMountRoots([root], { prober });
      const byPath = new Map<string, ProbeResult>(again.map((e) => [e.mountPath, e.result]));
      expect(byPath.get(stalled!.mountPoint)).toEqual({ state: 'hung' });
      expect(byPath.get(path.join(root, 'HEALTHY'))?.state).toBe('answered');
      expect(prober.outstandingCount()).toBe(1);
    }
    expect(log.warnings.filter((w) => w.includes('does not answer'))).toHaveLength(1);

    stalled!.resume();
    const deadline = Date.now() + 20_000;
    while (prober.hungEntries().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(prober.hungEntries()).toEqual([]);
    expect(log.infos.some((m) => m.includes('answers again'))).toBe(true);
    const after = await findDevices([root], { prober, checkWavSerial: false });
    expect(after.map((d) => d.sn).sort()).toEqual([TEST_SERIAL, '888777000000000099'].sort());
  });

  it('the monitor attaches the healthy recorder at once, and the other as soon as it answers again', async () => {
    stalled!.stall();
    await stalled!.dropCaches();
    // No fallback scan within the test, no follow-ups: only the probe's "answers again" can bring the second one.
    const monitor = new DeviceMonitor({
      mountRoots: [root],
      usb: false,
      rescanIntervalMs: 120_000,
      followUpMs: [],
      prober: new VolumeProber({ timeoutMs: 1000 }),
    });
    const attached: string[] = [];
    monitor.on('device-attached', (d) => attached.push(d.sn));
    try {
      await monitor.start();
      expect(attached).toEqual(['888777000000000099']);
      stalled!.resume();
      const deadline = Date.now() + 20_000;
      while (attached.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(attached).toEqual(['888777000000000099', TEST_SERIAL]);
    } finally {
      stalled!.resume();
      await monitor.stop();
    }
  });
});

describe('Windows drive letters', () => {
  const drives: DriveInfo[] = [
    { letter: 'D:', driveType: 3 },
    { letter: 'E:', driveType: 2 },
    { letter: 'F:', driveType: 3 },
    { letter: 'Z:', driveType: 4 },
  ];

  it('keeps removable letters and chosen folders; a fixed disk only when it is new with a recorder USB attach; never a network drive', () => {
    const roots = ['D:\\', 'E:\\', 'F:\\', 'G:\\', 'Z:\\', 'C:\\Users\\me\\mounts'];
    expect(probeableRoots(roots, drives)).toEqual(['E:\\', 'C:\\Users\\me\\mounts']);
    const known = new Set(['D:', 'E:', 'Z:']);
    expect(probeableRoots(roots, drives, { usbAttachSeen: true, known })).toEqual([
      'E:\\',
      'F:\\',
      'C:\\Users\\me\\mounts',
    ]);
    expect(probeableRoots(roots, [...drives, { letter: 'G:', driveType: 4 }], { usbAttachSeen: true, known })).toEqual([
      'E:\\',
      'F:\\',
      'C:\\Users\\me\\mounts',
    ]);
  });

  it('findDevices on win32 probes only those roots, and none of the letters when the drive list cannot be had', async () => {
    const probed: string[] = [];
    class Observing extends VolumeProber {
      override probe(dir: string, opts?: { timeoutMs?: number }) {
        probed.push(dir);
        return super.probe(dir, opts);
      }
    }
    const folder = path.join(tmp, 'win-folder');
    await fs.mkdir(folder, { recursive: true });
    await findDevices(['D:\\', 'E:\\', 'Z:\\', folder], {
      platform: 'win32',
      listDrives: async () => drives,
      prober: new Observing(),
    });
    expect(probed).toContain('E:\\');
    expect(probed).toContain(folder);
    expect(probed).not.toContain('D:\\');
    expect(probed).not.toContain('Z:\\');

    probed.length = 0;
    const log = recordingLogger();
    await findDevices(['E:\\', folder], {
      platform: 'win32',
      listDrives: () => Promise.reject(new Error('powershell.exe not found')),
      prober: new Observing(),
      logger: log,
    });
    expect(probed).toEqual([folder]);
    expect(log.warnings.some((w) => w.includes('removable'))).toBe(true);
  });
});
