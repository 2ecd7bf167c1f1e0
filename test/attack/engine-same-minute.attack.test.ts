// ATTACK (attack3): the engine end to end (FAT recorder through FUSE, emulator on s3rver): several recordings
// started in the same minute, pulled 3 at a time. Each must keep its own playable file and be uploaded once.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { SyncEngine } from '../../main/sync/engine/engine.js';
import { MemorySecretStore } from '../../main/sync/secrets-memory.js';
import { defaultSettings, type Settings } from '../../main/sync/settings.js';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../support/fuse.js';
import { layOutRecorder, type RecordingSpec } from '../support/recorder.js';
import { visibleLibraryNames } from '../support/library-names.js';
import { TestWatcher } from '../support/test-watcher.js';
import { until } from '../support/until.js';

const noFuse = fuseUnavailableReason();
let emu: Emulator;
let tmp: string;
const mounts: FatMount[] = [];
const engines: SyncEngine[] = [];
beforeAll(async () => {
  emu = await startEmulator();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'attack3-eng-'));
});
afterAll(async () => {
  await emu?.stop();
});
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop().catch(() => {});
  for (const m of mounts.splice(0)) await m.unmount().catch(() => {});
});

it.skipIf(!!noFuse)(
  'six recordings of the same minute: six playable files, six uploads, each its own audio',
  async () => {
    const t0 = 1_717_000_020; // :00 of a minute in every whole-hour time zone
    const specs: RecordingSpec[] = [0, 5, 10, 15, 20, 25].map((s) => ({ startSec: t0 - 20 + s, seconds: 1 }));
    const img = path.join(tmp, 'rec.img');
    await makeFatImage(img, 40);
    const m = await mountFat(img, path.join(tmp, 'media', 'rec'));
    mounts.push(m);
    await layOutRecorder(m.dir, { serial: '888000000000000001', recordings: specs });
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'attack3-state-'));
    const settings: Settings = {
      ...defaultSettings(path.join(stateDir, 'library')),
      apiBase: emu.baseUrl,
      credentials: { kind: 'token' },
    };
    const watcher = new TestWatcher();
    const e = new SyncEngine({ stateDir, settings, secrets: new MemorySecretStore({ apiToken: emu.token }), watcher });
    engines.push(e);
    const before = emu.files().length;
    await e.start();
    await watcher.plug(m.dir);
    await until(
      () => e.records().filter((r) => r.state === 'synced' || r.state === 'failed').length === 6,
      60_000,
      'all',
    );
    await e.whenIdle();
    const recs = e.records();
    const paths = recs.map((r) => r.pulled?.upload.path);
    const md5s = await Promise.all(
      recs.map(async (r) =>
        crypto
          .createHash('md5')
          .update(await fs.readFile(r.pulled!.upload.path))
          .digest('hex'),
      ),
    );
    console.log({
      states: recs.map((r) => r.state),
      visible: visibleLibraryNames(settings.libraryDir),
      uploads: emu.files().length - before,
      byStart: [...recs].sort((a, b) => a.startMs - b.startMs).map((r) => path.basename(r.pulled!.upload.path)),
    });
    expect(new Set(paths).size).toBe(6);
    expect(md5s).toEqual(recs.map((r) => r.pulled!.upload.md5));
    expect(emu.files().length - before).toBe(6);
  },
  120_000,
);
