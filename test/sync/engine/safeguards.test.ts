// Safeguards no other test guarded (issue 11 §10 and §7), each tried by breaking the order or the check it protects:
//   - "pull finished" (safe to unplug) only once the ledger's changes are on disk;
//   - nothing is deleted from the recorder before the 'pending' delete mark is on disk;
//   - remove-after-sync re-verifies the library copy by MD5, not by size;
//   - a server's Retry-After is believed: a 429 asking for 999999 s is not retried seconds later.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineEvent } from '../../../main/sync/engine/api.js';
import type { CloudPort } from '../../../main/sync/engine/cloud-port.js';
import { SyncEngine } from '../../../main/sync/engine/engine.js';
import { MemorySecretStore } from '../../../main/sync/secrets-memory.js';
import { defaultSettings, type Settings } from '../../../main/sync/settings.js';
import type { UploadResult } from '../../../main/sync/upload/index.js';
import { startEmulator, type Emulator } from '../../support/emulator/index.js';
import { layOutRecorder, relBaseOf } from '../../support/recorder.js';
import { TestWatcher } from '../../support/test-watcher.js';
import { until } from '../../support/until.js';

const SPEC = { startSec: 1_718_500_000, seconds: 1 };

/** A cloud that confirms every upload at once (the engine's order is under test, not the uploader). */
function instantCloud(): CloudPort {
  let n = 0;
  return {
    apiBase: 'http://127.0.0.1:9',
    reachable: async () => true,
    testConnection: async () => ({ ok: true, message: 'ok' }),
    async upload(job, hooks): Promise<UploadResult> {
      n++;
      const state = {
        fileId: `f${n}`,
        uploadId: `u${n}`,
        partSize: 5 << 20,
        fileSize: 1,
        md5: job.md5!,
        parts: [],
        completing: false,
        possibleDuplicate: false,
      };
      await hooks.onSessionStarted?.(state);
      await hooks.onCompleting?.({ ...state, completing: true });
      return {
        file: { id: `cloud-${n}` } as UploadResult['file'],
        fileId: `cloud-${n}`,
        uploadId: `u${n}`,
        md5: job.md5!,
        bytes: 1,
        sessionsStarted: 1,
        possibleDuplicate: false,
      };
    },
  };
}

/** Hold the ledger's background fsyncs while `holding` is true (they run when let go). */
function fsyncGate() {
  const held: (() => void)[] = [];
  const real = fs.fdatasync;
  let holding = false;
  const spy = vi.spyOn(fs, 'fdatasync').mockImplementation(((
    fd: number,
    cb: (err: NodeJS.ErrnoException | null) => void,
  ) => {
    if (holding) held.push(() => real(fd, cb));
    else real(fd, cb);
  }) as unknown as typeof fs.fdatasync);
  return {
    hold: () => (holding = true),
    release: () => {
      holding = false;
      held.splice(0).forEach((go) => go());
    },
    get waiting() {
      return held.length;
    },
    restore: () => {
      holding = false;
      spy.mockRestore();
      held.splice(0).forEach((go) => go());
    },
  };
}

describe('engine safeguards', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
    vi.restoreAllMocks();
  });

  async function setup(over: Partial<Settings> = {}, cloudFactory: (() => CloudPort) | null = instantCloud) {
    const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'plaud-safeguards-'));
    cleanup.push(() => fsp.rm(work, { recursive: true, force: true }));
    const vol = path.join(work, 'PLAUD_NOTE');
    await fsp.mkdir(vol);
    await layOutRecorder(vol, { recordings: [SPEC] });
    const watcher = new TestWatcher();
    const settings: Settings = {
      ...defaultSettings(path.join(work, 'library')),
      apiBase: 'http://127.0.0.1:9',
      credentials: { kind: 'token' },
      ...over,
    };
    const engine = new SyncEngine({
      stateDir: path.join(work, 'state'),
      settings,
      secrets: new MemorySecretStore({ apiToken: 't' }),
      watcher,
      ...(cloudFactory ? { cloudFactory } : {}),
    });
    const events: EngineEvent[] = [];
    engine.onEvent((e) => events.push(e));
    await engine.start();
    cleanup.push(() => engine.stop());
    return { engine, watcher, vol, events, settings, work };
  }

  it('"pull finished" (safe to unplug) is not sent while the ledger changes are not on disk', async () => {
    const gate = fsyncGate();
    cleanup.push(() => gate.restore()); // never leave fsyncs held, or the engine's stop waits on them
    const { engine, watcher, vol, events } = await setup({ credentials: { kind: 'none' } }, null);
    gate.hold();
    await watcher.plug(vol);
    await until(() => engine.records()[0]?.state === 'pulled', 20_000, 'pulled in memory');
    await new Promise((r) => setTimeout(r, 300));
    expect(gate.waiting).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'pull-finished')).toBe(false);
    expect(engine.getState().devices[0]?.safeToUnplug).toBe(false);
    gate.release();
    await until(() => events.some((e) => e.type === 'pull-finished'), 10_000, 'pull-finished after the flush');
  });

  it('remove-after-sync deletes nothing from the recorder before the pending mark is on disk', async () => {
    const gate = fsyncGate();
    cleanup.push(() => gate.restore());
    const { engine, watcher, vol, settings } = await setup({ removeAfterSync: false });
    await watcher.plug(vol);
    await until(
      () => engine.records()[0]?.state === 'synced',
      20_000,
      () => `synced ${JSON.stringify(engine.records().map((x) => [x.state, x.failure?.reason]))}`,
    );
    await engine.whenIdle();
    const wav = path.join(vol, `${relBaseOf(SPEC)}.WAV`);
    gate.hold();
    await engine.applySettings({ ...settings, removeAfterSync: true });
    watcher.unplug(vol);
    await watcher.plug(vol);
    await until(() => engine.records()[0]?.deviceDelete?.state === 'pending', 20_000, 'delete marked pending');
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.existsSync(wav)).toBe(true);
    gate.release();
    await until(() => !fs.existsSync(wav), 10_000, 'deleted after the flush');
    await until(() => engine.records()[0]?.deviceDelete?.state === 'done', 10_000, 'delete done');
  });

  it('two Plaud Syncs with their own state folders never fill one library at once (it would upload recordings twice)', async () => {
    const { engine: first, watcher, vol, settings } = await setup();
    await watcher.plug(vol);
    await until(() => first.records()[0]?.state === 'synced', 20_000, 'the first synced');
    // A second engine, another state folder, the same library, while the first still runs.
    const otherState = await fsp.mkdtemp(path.join(os.tmpdir(), 'plaud-safeguards-other-'));
    cleanup.push(() => fsp.rm(otherState, { recursive: true, force: true }));
    const watcher2 = new TestWatcher();
    const second = new SyncEngine({
      stateDir: otherState,
      settings,
      secrets: new MemorySecretStore({ apiToken: 't' }),
      watcher: watcher2,
      cloudFactory: instantCloud,
    });
    await second.start();
    cleanup.push(() => second.stop());
    await watcher2.plug(vol);
    await until(() => second.getState().problems.some((p) => p.code === 'library-in-use'), 10_000, 'library in use');
    await second.whenIdle();
    expect(second.records()).toHaveLength(0);
    // Once the first quits, the second may use the library (and finds the recording already in the cloud there).
    await first.stop();
    await second.syncNow();
    await until(() => second.records()[0]?.state === 'synced', 20_000, 'the second takes over');
    expect(second.getState().problems.some((p) => p.code === 'library-in-use')).toBe(false);
  });

  it('remove-after-sync re-verifies the library copy by MD5: a copy corrupted at the same size keeps the recorder files', async () => {
    const { engine, watcher, vol, settings } = await setup({ removeAfterSync: false });
    await watcher.plug(vol);
    await until(
      () => engine.records()[0]?.state === 'synced',
      20_000,
      () => `synced ${JSON.stringify(engine.records().map((x) => [x.state, x.failure?.reason]))}`,
    );
    await engine.whenIdle();
    const copy = engine.records()[0]!.pulled!.files[0]!.libraryPath;
    const bytes = await fsp.readFile(copy);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0x01, bytes.length - 1); // same size, one bit different
    await fsp.writeFile(copy, bytes);
    await engine.applySettings({ ...settings, removeAfterSync: true });
    watcher.unplug(vol);
    await watcher.plug(vol);
    await until(
      () => engine.getState().problems.some((p) => /not removed from the recorder/.test(p.message)),
      10_000,
      'the warning',
    );
    expect(fs.existsSync(path.join(vol, `${relBaseOf(SPEC)}.WAV`))).toBe(true);
    expect(fs.existsSync(path.join(vol, `${relBaseOf(SPEC)}.ASR`))).toBe(true);
    expect(engine.records()[0]!.deviceDelete).toBeUndefined();
  });
});

describe('Retry-After', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('a 429 asking to wait 999999 s is retried no sooner, and the user is told how long', async () => {
    const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'plaud-retry-after-'));
    const vol = path.join(work, 'PLAUD_NOTE');
    await fsp.mkdir(vol);
    await layOutRecorder(vol, { recordings: [SPEC] });
    emu.faults.rateLimit({ target: 'presign', times: 50, retryAfterSeconds: 999_999 });
    const watcher = new TestWatcher();
    const engine = new SyncEngine({
      stateDir: path.join(work, 'state'),
      settings: {
        ...defaultSettings(path.join(work, 'library')),
        apiBase: emu.baseUrl,
        credentials: { kind: 'token' },
      },
      secrets: new MemorySecretStore({ apiToken: emu.token }),
      watcher,
      retry: { baseMs: 50, maxMs: 500, maxAttempts: 8 },
    });
    await engine.start();
    try {
      const t0 = Date.now();
      await watcher.plug(vol);
      await until(() => engine.records()[0]?.state === 'failed', 30_000, 'the upload failed for now');
      const r = engine.records()[0]!;
      expect(r.failure!.nextTryAt).not.toBeNull();
      expect(r.failure!.nextTryAt! - t0).toBeGreaterThanOrEqual(999_999_000 - 60_000);
      const p = engine.getState().problems.find((x) => x.code === 'rate-limited');
      expect(p?.message).toMatch(/asked us to wait \d+ min/);
      expect(p?.level).toBe('retrying');
    } finally {
      emu.faults.clear();
      await engine.stop();
      await fsp.rm(work, { recursive: true, force: true });
    }
  });
});
