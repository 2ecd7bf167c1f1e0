// The setting of an engine end-to-end test: the emulator on s3rver, a recorder on a real FAT32 volume (fusefat), and
// a SyncEngine with its own state folder and library, all cleaned up after each test. Where FUSE cannot run, the
// tests skip and the reason is printed.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { SyncEngine } from '../../main/sync/engine/engine.js';
import { MemorySecretStore } from '../../main/sync/secrets-memory.js';
import { defaultSettings, type Settings } from '../../main/sync/settings.js';
import { startEmulator, type Emulator } from './emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from './fuse.js';
import { layOutRecorder, type RecordingSpec } from './recorder.js';
import { TestWatcher } from './test-watcher.js';
import { until } from './until.js';

export interface FatEngineHarness {
  /** Why FUSE cannot run here, or undefined. */
  readonly noFuse: string | undefined;
  readonly emu: Emulator;
  /** A recorder with these recordings on a fresh FAT32 volume; returns its mount folder. */
  recorder(serial: string, recordings: RecordingSpec[]): Promise<string>;
  /** An engine (not started yet) against the emulator, with a fresh state folder (the library inside it). */
  engine(): Promise<{ e: SyncEngine; watcher: TestWatcher; stateDir: string }>;
  /**
   * A recorder with these recordings plugged into a started engine whose uploads are paused, once the first one is
   * pulled; `before` is the emulator's file count before it started.
   */
  pulledWhilePaused(
    serial: string,
    recordings: RecordingSpec[],
  ): Promise<{ e: SyncEngine; watcher: TestWatcher; dir: string; before: number }>;
}

export function useFatEngineHarness(name: string): FatEngineHarness {
  const noFuse = fuseUnavailableReason();
  if (noFuse) console.warn(`${name} skipped: ${noFuse}`);
  let emu: Emulator | undefined;
  let tmp = '';
  let volumes = 0;
  const mounts: FatMount[] = [];
  const engines: SyncEngine[] = [];
  beforeAll(async () => {
    emu = await startEmulator();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-fat-engine-'));
  });
  afterAll(async () => {
    await emu?.stop();
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop().catch(() => {});
    for (const m of mounts.splice(0)) await m.unmount().catch(() => {});
  });
  return {
    noFuse,
    get emu() {
      return emu!;
    },
    async recorder(serial, recordings) {
      const img = path.join(tmp, `rec-${++volumes}.img`);
      await makeFatImage(img, 40);
      const m = await mountFat(img, path.join(tmp, 'media', `rec-${volumes}`));
      mounts.push(m);
      await layOutRecorder(m.dir, { serial, recordings });
      return m.dir;
    },
    async engine() {
      const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-fat-engine-state-'));
      const settings: Settings = {
        ...defaultSettings(path.join(stateDir, 'library')),
        apiBase: emu!.baseUrl,
        credentials: { kind: 'token' },
      };
      const watcher = new TestWatcher();
      const e = new SyncEngine({
        stateDir,
        settings,
        secrets: new MemorySecretStore({ apiToken: emu!.token }),
        watcher,
      });
      engines.push(e);
      return { e, watcher, stateDir };
    },
    async pulledWhilePaused(serial, recordings) {
      const dir = await this.recorder(serial, recordings);
      const { e, watcher } = await this.engine();
      const before = emu!.files().length;
      await e.start();
      e.pause();
      await watcher.plug(dir);
      await until(() => e.records().some((r) => r.state === 'pulled'), 30_000, 'pulled');
      return { e, watcher, dir, before };
    },
  };
}
