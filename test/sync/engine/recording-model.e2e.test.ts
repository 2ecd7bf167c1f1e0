// The recording model end to end, on a real FAT recorder (fusefat) against the emulator on s3rver: the ways a
// recording used to be doubled or lost, each as a user meets it.
//   - plugged in a moment after a recording ended: one of its files still settling;
//   - a partner file that appears after the recording was uploaded (or before);
//   - remove-after-sync, then a recorder whose clock was reset writes a different recording under the same name and
// size;
//   - a WAV whose header announces less audio than the file holds.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SyncEngine } from '../../../main/sync/engine/engine.js';
import { MemorySecretStore } from '../../../main/sync/secrets-memory.js';
import { defaultSettings, type Settings } from '../../../main/sync/settings.js';
import { startEmulator, type Emulator } from '../../support/emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../../support/fuse.js';
import {
  DEVICE_WAV_DATA_OFFSET,
  deviceWavHeader,
  makeDeviceAsr,
  makeDeviceWav,
  oggOpusPackets,
} from '../../support/fixtures/audio.js';
import { layOutRecorder, relBaseOf, type RecordingSpec } from '../../support/recorder.js';
import { TestWatcher } from '../../support/test-watcher.js';
import { until } from '../../support/until.js';

const noFuse = fuseUnavailableReason();
if (noFuse) console.warn(`recording-model e2e tests skipped: ${noFuse}`);
const SERIAL = '888000000000000077';
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

describe.skipIf(!!noFuse)('the recording model end to end (FAT recorder + emulator)', () => {
  let emu: Emulator;
  let tmp: string;
  const mounts: FatMount[] = [];
  const engines: SyncEngine[] = [];

  beforeAll(async () => {
    emu = await startEmulator();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-model-'));
  });
  afterAll(async () => {
    await emu?.stop();
    await fs.rm(tmp, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop().catch(() => {});
    for (const m of mounts.splice(0)) await m.unmount().catch(() => {});
  });

  async function recorder(name: string, recordings: RecordingSpec[]) {
    const img = path.join(tmp, `${name}.img`);
    await makeFatImage(img, 40);
    const m = await mountFat(img, path.join(tmp, 'media', name));
    mounts.push(m);
    const written = await layOutRecorder(m.dir, { serial: SERIAL, recordings });
    return { dir: m.dir, written };
  }

  async function engine(
    name: string,
    over: Partial<Settings> = {},
    secrets = new MemorySecretStore({ apiToken: emu.token }),
  ) {
    const stateDir = path.join(tmp, `state-${name}`);
    const watcher = new TestWatcher();
    const settings: Settings = {
      ...defaultSettings(path.join(stateDir, 'library')),
      apiBase: emu.baseUrl,
      credentials: { kind: 'token' },
      ...over,
    };
    const e = new SyncEngine({ stateDir, settings, secrets, watcher, stateIntervalMs: 20 });
    await e.start();
    engines.push(e);
    return { e, watcher, settings, secrets };
  }

  /** The recording's ASR appears on the recorder later (another firmware, a copy by hand), already settled. */
  async function asrArrives(dir: string, spec: RecordingSpec): Promise<Buffer> {
    const asr = await makeDeviceAsr(spec.seconds);
    const asrPath = path.join(dir, `${relBaseOf(spec)}.ASR`);
    await fs.writeFile(asrPath, asr);
    await fs.utimes(asrPath, spec.startSec + spec.seconds, spec.startSec + spec.seconds);
    return asr;
  }

  /** Cloud files of our serial made since `before`. */
  const cloudFiles = (before: number) =>
    emu
      .files()
      .slice(before)
      .filter((f) => f.body.sn === SERIAL);

  it('plugged in while the ASR is still settling: waits for the whole recording, uploads it once, from the ASR', async () => {
    const spec: RecordingSpec = { startSec: 1_730_000_000, seconds: 3 };
    const rec = await recorder('settling', [spec]);
    const asrPath = path.join(rec.dir, `${relBaseOf(spec)}.ASR`);
    const now = Date.now() / 1000;
    await fs.utimes(asrPath, now, now); // the recorder finished writing the ASR a moment ago
    const before = emu.files().length;
    const { e, watcher } = await engine('settling');
    await watcher.plug(rec.dir);
    // Nothing is pulled while a file of the recording settles, and the engine says it is waiting.
    await until(() => (e.getState().devices[0]?.waitingForRecorder ?? 0) === 1, 10_000, 'waiting for the recorder');
    expect(e.records()).toHaveLength(0);
    // It looks again by itself (no re-plug) and syncs the whole recording.
    await until(() => e.records().some((r) => r.state === 'synced'), 30_000, 'synced');
    await e.whenIdle();
    // Plug in again once everything has long settled: nothing more is uploaded.
    watcher.unplug(rec.dir);
    await watcher.plug(rec.dir);
    await new Promise((r) => setTimeout(r, 300));
    await e.whenIdle();
    const files = cloudFiles(before);
    expect(files).toHaveLength(1);
    expect(e.records()).toHaveLength(1);
    const object = await emu.getObject(files[0]!.fileId);
    expect(Buffer.concat(oggOpusPackets(object)).equals(rec.written.get(`${relBaseOf(spec)}.ASR`)!)).toBe(true);
  }, 90_000);

  it('an ASR that appears after the WAV was uploaded joins the library copy; nothing is uploaded twice', async () => {
    const spec: RecordingSpec = { startSec: 1_730_100_000, seconds: 2, asr: false };
    const rec = await recorder('partner', [spec]);
    const before = emu.files().length;
    const { e, watcher } = await engine('partner');
    await watcher.plug(rec.dir);
    await until(() => e.records().some((r) => r.state === 'synced'), 30_000, 'synced from the WAV');
    await e.whenIdle();
    // The ASR shows up at the next look (another firmware, a copy by hand): settled, same name.
    watcher.unplug(rec.dir);
    const asr = await asrArrives(rec.dir, spec);
    await watcher.plug(rec.dir);
    await until(
      async () => (e.records()[0]?.pulled?.files.length ?? 0) === 2,
      20_000,
      'the ASR joined the library copy',
    );
    await e.whenIdle();
    expect(cloudFiles(before)).toHaveLength(1);
    expect(e.records()).toHaveLength(1);
    const r = e.records()[0]!;
    expect(r.state).toBe('synced');
    const asrCopy = r.pulled!.files.find((f) => f.relPath.endsWith('.ASR'))!;
    expect(md5(await fs.readFile(asrCopy.libraryPath))).toBe(md5(asr));
  }, 90_000);

  it('an ASR that appears before the upload began: the recording is uploaded once, made from the ASR', async () => {
    const spec: RecordingSpec = { startSec: 1_730_200_000, seconds: 2, asr: false };
    const rec = await recorder('partner-early', [spec]);
    const before = emu.files().length;
    const secrets = new MemorySecretStore();
    const { e, watcher, settings } = await engine('partner-early', { credentials: { kind: 'none' } }, secrets);
    await watcher.plug(rec.dir);
    await until(() => e.records().some((r) => r.state === 'pulled'), 20_000, 'pulled from the WAV');
    watcher.unplug(rec.dir);
    const asr = await asrArrives(rec.dir, spec);
    await watcher.plug(rec.dir);
    await until(
      () => e.records()[0]?.state === 'pulled' && e.records()[0]!.pulled!.files.length === 2,
      20_000,
      'pulled again with the ASR',
    );
    await secrets.set('apiToken', emu.token);
    await e.applySettings({ ...settings, credentials: { kind: 'token' } });
    await until(() => e.records()[0]?.state === 'synced', 30_000, 'synced');
    const files = cloudFiles(before);
    expect(files).toHaveLength(1);
    const object = await emu.getObject(files[0]!.fileId);
    expect(Buffer.concat(oggOpusPackets(object)).equals(asr)).toBe(true);
  }, 90_000);

  it('remove-after-sync, then a clock reset reuses the name with the same size: the new recording is pulled and uploaded too', async () => {
    const spec: RecordingSpec = { startSec: 1_730_300_000, seconds: 3 };
    const rec = await recorder('reuse', [spec]);
    const before = emu.files().length;
    const { e, watcher, settings } = await engine('reuse', { removeAfterSync: true });
    await watcher.plug(rec.dir);
    await until(() => e.records()[0]?.deviceDelete?.state === 'done', 30_000, 'synced and removed from the recorder');
    const wavName = path.join(rec.dir, `${relBaseOf(spec)}.WAV`);
    await expect(fs.stat(wavName)).rejects.toThrow();
    watcher.unplug(rec.dir);

    // A different recording, same name, same sizes, same file times (the clock was reset to the same moment).
    const longWav = await makeDeviceWav(6, SERIAL);
    const longAsr = await makeDeviceAsr(6);
    const wav2 = Buffer.concat([
      deviceWavHeader(3 * 64_000, SERIAL),
      longWav.subarray(DEVICE_WAV_DATA_OFFSET + 3 * 64_000, DEVICE_WAV_DATA_OFFSET + 6 * 64_000),
    ]);
    const asr2 = longAsr.subarray(3 * 4000, 6 * 4000);
    expect(wav2.length).toBe(rec.written.get(`${relBaseOf(spec)}.WAV`)!.length);
    expect(asr2.length).toBe(rec.written.get(`${relBaseOf(spec)}.ASR`)!.length);
    for (const [ext, buf] of [
      ['WAV', wav2],
      ['ASR', asr2],
    ] as const) {
      const f = path.join(rec.dir, `${relBaseOf(spec)}.${ext}`);
      await fs.writeFile(f, buf);
      await fs.utimes(f, spec.startSec + 3, spec.startSec + 3);
    }
    await watcher.plug(rec.dir);
    await until(
      () => e.records().filter((r) => r.state === 'synced').length === 2,
      30_000,
      'the second recording synced',
    );
    await e.whenIdle();
    const files = cloudFiles(before);
    expect(files).toHaveLength(2);
    const takes = e.records().sort((a, b) => a.take - b.take);
    expect(takes.map((t) => t.take)).toEqual([1, 2]);
    // Neither library copy is overwritten: the first take keeps its files, the second has its own name.
    const first = takes[0]!.pulled!.files.find((f) => f.relPath.endsWith('.ASR'))!;
    const second = takes[1]!.pulled!.files.find((f) => f.relPath.endsWith('.ASR'))!;
    expect(first.libraryPath).not.toBe(second.libraryPath);
    expect(md5(await fs.readFile(first.libraryPath))).toBe(md5(rec.written.get(`${relBaseOf(spec)}.ASR`)!));
    expect(md5(await fs.readFile(second.libraryPath))).toBe(md5(asr2));
    const second_object = await emu.getObject(
      files.find((f) => f.fileId === takes[1]!.synced!.cloudFileId || f.id === takes[1]!.synced!.cloudFileId)!.fileId,
    );
    expect(Buffer.concat(oggOpusPackets(second_object)).equals(asr2)).toBe(true);
    expect((await e.getHistory({})).total).toBe(2);
    void settings;
  }, 120_000);

  it('a WAV whose header announces 4 s of its 12 s is uploaded whole (no ASR); a tiny announced size too', async () => {
    const specs: RecordingSpec[] = [
      { startSec: 1_730_400_000, seconds: 12, asr: false },
      { startSec: 1_730_400_100, seconds: 5, asr: false },
    ];
    const rec = await recorder('short-header', specs);
    const announce = [4 * 64_000, 2];
    for (const [i, spec] of specs.entries()) {
      const f = path.join(rec.dir, `${relBaseOf(spec)}.WAV`);
      const buf = Buffer.from(rec.written.get(`${relBaseOf(spec)}.WAV`)!);
      // The data chunk's size field is the last 4 bytes before the audio at 0x200.
      buf.writeUInt32LE(announce[i]!, DEVICE_WAV_DATA_OFFSET - 4);
      expect(buf.toString('latin1', DEVICE_WAV_DATA_OFFSET - 8, DEVICE_WAV_DATA_OFFSET - 4)).toBe('data');
      await fs.rm(f); // fusefat refuses to truncate a file in place
      await fs.writeFile(f, buf);
      await fs.utimes(f, spec.startSec + spec.seconds, spec.startSec + spec.seconds);
    }
    const before = emu.files().length;
    const { e, watcher } = await engine('short-header');
    await watcher.plug(rec.dir);
    await until(() => e.records().filter((r) => r.state === 'synced').length === 2, 40_000, 'both synced');
    const files = cloudFiles(before);
    expect(files).toHaveLength(2);
    for (const spec of specs) {
      const f = files.find((x) => x.body.start_time === spec.startSec * 1000)!;
      expect(
        Math.abs((f.body.duration as number) - spec.seconds * 1000),
        `duration of the ${spec.seconds} s recording`,
      ).toBeLessThan(100);
      const r = e.records().find((x) => x.startMs === spec.startSec * 1000)!;
      expect(Math.abs(r.durationMs - spec.seconds * 1000)).toBeLessThan(100);
    }
  }, 90_000);
});
