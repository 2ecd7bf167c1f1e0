// The device side end to end on a real FAT32 filesystem (fusefat): detect, scan, pull, verify byte for byte,
// a cable pulled mid-copy, the resume, and a full library disk.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeviceMonitor } from '../../../main/sync/devices/watcher.js';
import { scanVolume } from '../../../main/sync/devices/scan.js';
import { identifyVolume } from '../../../main/sync/devices/identify.js';
import { isPulled } from '../../../main/sync/library/pull.js';
import { pullAll, type PullEvent } from '../../../main/sync/engine/pull-coordinator.js';
import type { DeviceInfo } from '../../../main/sync/types.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../../support/fuse.js';
import { layOutRecorder, relBaseOf, TEST_SERIAL, type RecordingSpec } from '../../support/recorder.js';
import { ORIGINALS_DIR } from '../../../main/sync/library/layout.js';

const noFuse = fuseUnavailableReason();
if (noFuse) console.warn(`SKIPPING FAT/FUSE pull tests: ${noFuse}`);

const RECS: RecordingSpec[] = [
  { kind: 'note', startSec: 1709280000, seconds: 3 },
  { kind: 'note', startSec: 1709290000, seconds: 2 },
  { kind: 'call', startSec: 1709370000, seconds: 2 },
  { kind: 'note', startSec: 1709380000, seconds: 1, wav: false },
];

async function listAll(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  await walk(dir).catch(() => {});
  return out.sort();
}

function waitFor<T>(m: DeviceMonitor, ev: 'device-attached' | 'device-detached', ms = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${ev} within ${ms} ms`)), ms);
    m.once(ev, (x: unknown) => {
      clearTimeout(t);
      resolve(x as T);
    });
  });
}

describe.skipIf(!!noFuse)('recorder on a real FAT32 volume', () => {
  let work: string;
  let image: string;
  let mountRoot: string;
  let volume: string;
  let library: string;
  let written: Map<string, Buffer>;
  const mounts: FatMount[] = [];

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-fuse-pull-'));
    image = path.join(work, 'recorder.img');
    mountRoot = path.join(work, 'media');
    volume = path.join(mountRoot, 'PLAUD_NOTE');
    library = path.join(work, 'library');
    await fs.mkdir(mountRoot);
    await makeFatImage(image, 64);
    // Fill the recorder through FUSE at a staging mount point, as the device would have.
    const staging = await mountFat(image, path.join(work, 'staging'));
    written = await layOutRecorder(staging.dir, { recordings: RECS });
    await staging.unmount();
  });

  afterEach(async () => {
    while (mounts.length) await mounts.pop()!.unmount();
  });

  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('the monitor (with the real usb package) sees the volume mount and unmount, once each', async () => {
    const monitor = new DeviceMonitor({
      mountRoots: [mountRoot],
      followUpMs: [300, 1000],
      detachGraceMs: 800,
      rescanIntervalMs: 10_000,
    });
    const attached: DeviceInfo[] = [];
    const detached: unknown[] = [];
    monitor.on('device-attached', (d) => attached.push(d));
    monitor.on('device-detached', (d) => detached.push(d));
    await monitor.start();
    try {
      expect(attached).toEqual([]);
      const gotAttach = waitFor<DeviceInfo>(monitor, 'device-attached');
      mounts.push(await mountFat(image, volume));
      const info = await gotAttach;
      expect(info).toMatchObject({
        sn: TEST_SERIAL,
        sn_type: 'note',
        model: 'PLAUD NOTE',
        firmware: 'V0095',
        mountPath: volume,
        warnings: [],
      });

      // A flapping mount: gone and back within the grace period fires nothing.
      await mounts.pop()!.unmount();
      mounts.push(await mountFat(image, volume));
      await monitor.rescan();
      await new Promise((r) => setTimeout(r, 1500));
      await monitor.rescan();
      expect(attached).toHaveLength(1);
      expect(detached).toHaveLength(0);

      const gotDetach = waitFor(monitor, 'device-detached');
      await mounts.pop()!.unmount();
      await monitor.rescan();
      expect(await gotDetach).toEqual({ id: `note:${TEST_SERIAL}`, mountPath: volume });
      expect(attached).toHaveLength(1);
    } finally {
      await monitor.stop();
    }
  });

  it('scans, pulls and verifies byte for byte; a second pull copies nothing', async () => {
    mounts.push(await mountFat(image, volume));
    const device = (await identifyVolume(volume))!;
    const { recordings, skipped } = await scanVolume(volume, device.sn);
    // fusefat shows the label as PLAUD_NO.TE at the root: ignored, not skipped.
    expect(skipped).toEqual([]);
    expect(recordings.map((r) => r.relBase)).toEqual(RECS.map(relBaseOf));
    const events: PullEvent[] = [];
    const summary = await pullAll(device, recordings, {
      libraryDir: library,
      format: null,
      onEvent: (e) => events.push(e),
    });
    expect(summary.failed).toEqual([]);
    expect(summary.stopped).toBeUndefined();
    expect(summary.pulled).toHaveLength(4);
    const expectedBytes = [...written.values()].reduce((a, b) => a + b.length, 0);
    expect(summary.bytesCopied).toBe(expectedBytes);
    for (const [rel, buf] of written) {
      const copy = await fs.readFile(path.join(library, ORIGINALS_DIR, TEST_SERIAL, rel));
      expect(copy.equals(buf), rel).toBe(true);
    }
    // The MD5s reported (and kept in the manifests) are the real MD5s of the files.
    for (const r of summary.pulled) {
      for (const f of r.files)
        expect(f.md5, f.path).toBe(
          createHash('md5')
            .update(await fs.readFile(f.path))
            .digest('hex'),
        );
    }
    const done = events.at(-1)!;
    expect(done).toMatchObject({
      type: 'pull-done',
      pulled: 4,
      filesDone: 7,
      filesTotal: 7,
      bytesDone: expectedBytes,
      bytesTotal: expectedBytes,
    });
    expect(events[0]).toMatchObject({
      type: 'pull-start',
      filesTotal: 7,
      bytesTotal: expectedBytes,
      recordingsTotal: 4,
    });
    for (const r of recordings) expect(await isPulled(library, r, { format: null })).toBe(true);
    // Nothing on the device changed.
    const again = await scanVolume(volume, device.sn);
    expect(again.recordings).toEqual(recordings);

    const second = await pullAll(device, recordings, { libraryDir: library, format: null });
    expect(second).toMatchObject({ alreadyPulled: 4, bytesCopied: 0, pulled: [] });
  });

  it('makes the upload file from the library copy; another format later adds a file and copies nothing', async () => {
    mounts.push(await mountFat(image, volume));
    const lib = path.join(work, 'library-upload');
    const device = (await identifyVolume(volume))!;
    const { recordings } = await scanVolume(volume, device.sn);
    const first = await pullAll(device, recordings, { libraryDir: lib });
    expect(first.failed).toEqual([]);
    expect(first.pulled).toHaveLength(4);
    for (const [i, r] of first.pulled.entries()) {
      const up = r.upload!;
      expect(up.filetype).toBe('opus');
      // The playable file has a readable name under the recorder's folder; the originals stay in the hidden folder.
      expect(r.dir.startsWith(path.join(lib, ORIGINALS_DIR) + path.sep)).toBe(true);
      const start = new Date(recordings[i]!.startMs);
      const hhmm = `${String(start.getHours()).padStart(2, '0')}.${String(start.getMinutes()).padStart(2, '0')}`;
      expect(path.relative(lib, up.path)).toMatch(
        new RegExp(
          `^Plaud Note ${TEST_SERIAL.slice(-4)}/\\d{4}-\\d{2}-\\d{2} ${hhmm} (Note|Call)( \\(\\d\\))?\\.opus$`,
        ),
      );
      const bytes = await fs.readFile(up.path);
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('OggS');
      expect(up.size).toBe(bytes.length);
      expect(up.md5).toBe(createHash('md5').update(bytes).digest('hex'));
      expect(Math.abs(up.durationMs - recordings[i]!.durationMs)).toBeLessThanOrEqual(40);
      expect(r.files.map((f) => f.role).sort()).toEqual(
        recordings[i]!.wav ? ['asr', 'upload', 'wav'] : ['asr', 'upload'],
      );
    }
    expect(await isPulled(lib, recordings[0]!)).toBe(true);
    expect(await isPulled(lib, recordings[0]!, { format: 'mp3' })).toBe(false);
    // The ASR-only recording cannot become MP3 (no WAV): a per-recording failure that does not stop the others.
    const mp3 = await pullAll(device, recordings, { libraryDir: lib, format: 'mp3' });
    expect(mp3.bytesCopied).toBe(0);
    expect(mp3.pulled.filter((p) => p.upload?.filetype === 'mp3')).toHaveLength(3);
    expect(mp3.failed).toHaveLength(1);
    expect(mp3.failed[0]).toMatchObject({ key: recordings[3]!.key, code: 'BAD_RECORDING' });
    expect(await isPulled(lib, recordings[0]!, { format: 'opus' })).toBe(true);
    expect(await isPulled(lib, recordings[0]!, { format: 'mp3' })).toBe(true);
    // The MP3 sits beside the Opus file under the same readable name.
    for (const p of mp3.pulled)
      expect(p.upload!.path.replace(/\.mp3$/, '')).toBe(
        first.pulled.find((f) => f.key === p.key)!.upload!.path.replace(/\.opus$/, ''),
      );
    expect((await listAll(lib)).filter((f) => f.endsWith('.part'))).toEqual([]);
  }, 120_000);

  it('a cable pulled mid-copy leaves nothing that looks complete, and the next attach resumes', async () => {
    const lib = path.join(work, 'library-yank');
    const bigImage = path.join(work, 'big.img');
    await makeFatImage(bigImage, 48);
    const staging = await mountFat(bigImage, path.join(work, 'staging-big'));
    mounts.push(staging);
    // ~13 MB WAV (fusefat writes big files slowly): long enough to pull the cable in the middle of it.
    const big: RecordingSpec = { kind: 'note', startSec: 1709500000, seconds: 20, wavRepeat: 10 };
    const bigWritten = await layOutRecorder(staging.dir, {
      recordings: [big, { kind: 'call', startSec: 1709600000, seconds: 2 }],
    });
    await mounts.pop()!.unmount();

    let m = await mountFat(bigImage, volume);
    mounts.push(m);
    const device = (await identifyVolume(volume))!;
    const { recordings } = await scanVolume(volume, device.sn);
    expect(recordings).toHaveLength(2);
    let yanked: Promise<void> | undefined;
    const summary = await pullAll(device, recordings, {
      libraryDir: lib,
      format: null,
      progressIntervalMs: 0,
      onEvent: (e) => {
        if (e.type === 'progress' && e.bytesDone > 3_000_000 && !yanked) yanked = m.yank();
      },
    });
    await yanked;
    mounts.pop();
    expect(summary.stopped?.code).toBe('DEVICE_GONE');
    expect(summary.stopped?.message).toMatch(/recorder went away .*plug it in again/);
    // Every file under a final name is complete and verified (byte-identical to the recorder's); the big WAV being
    // copied when the cable went is neither present nor left as a temp file.
    const files = await listAll(lib);
    expect(files.filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(files).not.toContain(`${ORIGINALS_DIR}/${TEST_SERIAL}/NOTES/20240303/1709500000.WAV`);
    expect(files).toContain(`${ORIGINALS_DIR}/${TEST_SERIAL}/NOTES/20240303/1709500000.ASR`);
    for (const f of files.filter((x) => /\.(WAV|ASR)$/.test(x))) {
      expect(
        (await fs.readFile(path.join(lib, f))).equals(
          bigWritten.get(f.slice(ORIGINALS_DIR.length + TEST_SERIAL.length + 2))!,
        ),
        f,
      ).toBe(true);
    }
    expect(await isPulled(lib, recordings[0]!, { format: null })).toBe(false);

    // Plug it back in: the pull resumes with what is missing.
    m = await mountFat(bigImage, volume);
    mounts.push(m);
    const rescan = await scanVolume(volume, device.sn);
    const resumed = await pullAll(device, rescan.recordings, { libraryDir: lib, format: null });
    expect(resumed.stopped).toBeUndefined();
    expect(resumed.pulled.map((p) => p.key)).toContain(recordings[0]!.key);
    // Only what was missing was copied: the verified ASR was not read again.
    expect(resumed.bytesCopied).toBeLessThanOrEqual(
      [...bigWritten.values()].reduce((a, b) => a + b.length, 0) -
        bigWritten.get('NOTES/20240303/1709500000.ASR')!.length,
    );
    expect(resumed.bytesCopied).toBeGreaterThanOrEqual(bigWritten.get('NOTES/20240303/1709500000.WAV')!.length);
    for (const [rel, buf] of bigWritten)
      expect((await fs.readFile(path.join(lib, ORIGINALS_DIR, TEST_SERIAL, rel))).equals(buf), rel).toBe(true);
    expect((await listAll(lib)).filter((f) => f.endsWith('.part'))).toEqual([]);
  }, 180_000);

  it('a full library disk gives a clear error and leaves nothing half-written', async () => {
    const libImage = path.join(work, 'small-lib.img');
    await makeFatImage(libImage, 16, 'LIBRARY', 16);
    const lib = await mountFat(libImage, path.join(work, 'small-lib'));
    mounts.push(lib);
    // The source is a plain folder here: the point is the destination.
    const src = path.join(work, 'src-recorder');
    await fs.mkdir(src);
    const w = await layOutRecorder(src, {
      recordings: [{ kind: 'note', startSec: 1709700000, seconds: 20, wavRepeat: 16 }],
    });
    expect(w.get('NOTES/20240306/1709700000.WAV')!.length).toBeGreaterThan(17_000_000);
    const device = (await identifyVolume(src))!;
    const { recordings } = await scanVolume(src, device.sn);
    const summary = await pullAll(device, recordings, { libraryDir: lib.dir, format: null });
    expect(summary.stopped?.code).toBe('DISK_FULL');
    expect(summary.stopped?.message).toMatch(/^The library disk is full/);
    const files = await listAll(lib.dir);
    expect(files.filter((f) => f.endsWith('.WAV') || f.endsWith('.part'))).toEqual([]);
    expect(await isPulled(lib.dir, recordings[0]!, { format: null })).toBe(false);
  }, 60_000);
});
