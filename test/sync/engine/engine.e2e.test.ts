// The engine end to end: a real FAT recorder (fusefat), the real library, ledger and uploader, and the
// Plaud API emulator on a real S3 server. Only the attach/detach signal is driven by the test (the
// volume monitor has its own tests); identification is the real one.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SyncEngine } from '../../../main/sync/engine/engine.js';
import type { EngineEvent } from '../../../main/sync/engine/api.js';
import { jsonLineLogger } from '../../../main/sync/log.js';
import { MemorySecretStore } from '../../../main/sync/secrets-memory.js';
import { defaultSettings, type Settings } from '../../../main/sync/settings.js';
import { startEmulator, type Emulator } from '../../support/emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../../support/fuse.js';
import { layOutRecorder, relBaseOf, type RecordingSpec } from '../../support/recorder.js';
import { unreadableNames, visibleLibraryNames } from '../../support/library-names.js';
import { TestWatcher } from '../../support/test-watcher.js';
import { until } from '../../support/until.js';

const noFuse = fuseUnavailableReason();
if (noFuse) console.warn(`engine e2e tests skipped: ${noFuse}`);

const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

describe.skipIf(!!noFuse)('sync engine end to end (FAT recorder + emulator + s3rver)', () => {
  let emu: Emulator;
  let tmp: string;
  const mounts: FatMount[] = [];
  const engines: SyncEngine[] = [];

  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(async () => {
    await emu?.stop();
  });
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.stop().catch(() => {});
    for (const m of mounts.splice(0)) await m.unmount().catch(() => {});
  });

  async function recorder(name: string, serial: string, recordings: RecordingSpec[], sizeMiB = 40, modelLine?: string) {
    tmp ??= await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-engine-'));
    const img = path.join(tmp, `${name}.img`);
    await makeFatImage(img, sizeMiB);
    const m = await mountFat(img, path.join(tmp, 'media', name));
    mounts.push(m);
    const written = await layOutRecorder(m.dir, { serial, recordings, ...(modelLine ? { modelLine } : {}) });
    return { mount: m, written, img };
  }

  async function engine(
    stateDir: string,
    over: Partial<Settings> = {},
    secrets = new MemorySecretStore({ apiToken: emu.token }),
  ) {
    const watcher = new TestWatcher();
    const settings: Settings = {
      ...defaultSettings(path.join(stateDir, 'library')),
      apiBase: emu.baseUrl,
      credentials: { kind: 'token' },
      ...over,
    };
    const e = new SyncEngine({
      stateDir,
      settings,
      secrets,
      watcher,
      stateIntervalMs: 20,
      ...(process.env.ENGINE_DEBUG ? { logger: jsonLineLogger(undefined, 'debug') } : {}),
    });
    const events: EngineEvent[] = [];
    e.onEvent((ev) => events.push(ev));
    await e.start();
    engines.push(e);
    return { e, watcher, events, settings };
  }

  it('plug in: pulls, uploads byte-exact with the right metadata; plug in again: nothing twice; same names on a second recorder do not collide', async () => {
    const t0 = 1_717_000_000;
    const specs: RecordingSpec[] = [
      { startSec: t0, seconds: 3 },
      { startSec: t0 + 600, seconds: 2, kind: 'call' },
      { startSec: t0 + 1200, seconds: 2, wav: false },
    ];
    const a = await recorder('recA', '888000000000000001', specs);
    const b = await recorder('recB', '882000000000000002', specs, 40, 'PLAUD NOTEPIN V0102@10:00:00 Mar 01 2025'); // a NotePin with the same file names
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-state-'));
    const before = emu.files().length;
    const { e, watcher, events } = await engine(stateDir);
    const states: number[] = [];
    e.onState((s) => states.push(s.seq));

    await watcher.plug(a.mount.dir);
    await until(() => e.records().filter((r) => r.state === 'synced').length === 3, 30_000, 'recorder A synced');
    expect(events.some((ev) => ev.type === 'pull-finished' && ev.pulled === 3)).toBe(true);
    const snap = e.getState();
    expect(snap.devices.find((d) => d.sn === '888000000000000001')?.safeToUnplug).toBe(true);
    // One summary for the plug-in, after the pull, with the device's total (not one per emptied queue).
    await until(() => events.some((ev) => ev.type === 'sync-finished'), 5_000, 'sync summary');
    const summaries = events.filter((ev) => ev.type === 'sync-finished');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ deviceId: 'note:888000000000000001', synced: 3 });
    expect(events.findIndex((ev) => ev.type === 'pull-finished')).toBeLessThan(
      events.findIndex((ev) => ev.type === 'sync-finished'),
    );

    const filesA = emu.files().slice(before);
    expect(filesA).toHaveLength(3);
    for (const spec of specs) {
      const rec = e.records().find((r) => r.sn === '888000000000000001' && r.relBase === relBaseOf(spec))!;
      const stored = filesA.find((f) => f.fileId === rec.synced!.cloudFileId || f.id === rec.synced!.cloudFileId)!;
      expect(stored, `cloud file of ${rec.relBase}`).toBeDefined();
      const local = await fs.readFile(rec.pulled!.upload.path);
      const remote = await emu.getObject(stored.fileId);
      expect(md5(remote)).toBe(md5(local));
      expect(stored.body).toMatchObject({
        sn: '888000000000000001',
        sn_type: 'note',
        filetype: 'opus',
        start_time: spec.startSec * 1000,
        file_md5: md5(local),
        // The cloud keeps the recorder's name for the file, whatever the library calls it.
        filename: `${spec.startSec}.opus`,
      });
      expect(Math.abs((stored.body.duration as number) - spec.seconds * 1000)).toBeLessThan(100);
      // library copies equal the device files byte for byte
      for (const f of rec.pulled!.files) {
        expect(md5(await fs.readFile(f.libraryPath))).toBe(md5(a.written.get(f.relPath)!));
      }
    }

    // Plug in again: nothing new is pulled or uploaded.
    watcher.unplug(a.mount.dir);
    await watcher.plug(a.mount.dir);
    await e.whenIdle();
    await new Promise((r) => setTimeout(r, 200));
    expect(emu.files().length - before).toBe(3);

    // A second recorder with the same names: three more cloud files, filed under its own serial.
    await watcher.plug(b.mount.dir);
    await until(() => e.records().filter((r) => r.state === 'synced').length === 6, 30_000, 'recorder B synced');
    expect(emu.files().length - before).toBe(6);
    const recB = e.records().filter((r) => r.sn === '882000000000000002');
    expect(
      recB.every(
        (r) => r.sn_type === 'notepin' && r.pulled!.upload.path.includes(`${path.sep}Plaud NotePin 0002${path.sep}`),
      ),
    ).toBe(true);
    // The library reads as people name things: no bare epoch or serial anywhere a file manager shows.
    const library = path.join(stateDir, 'library');
    expect(unreadableNames(library)).toEqual([]);
    const visible = visibleLibraryNames(library);
    expect(visible.filter((n) => !n.includes(path.sep))).toEqual(['Plaud Note 0001', 'Plaud NotePin 0002']);
    expect(visible.filter((n) => n.startsWith(`Plaud Note 0001${path.sep}`))).toHaveLength(3);
    expect(visible.some((n) => / Call\.opus$/.test(n))).toBe(true);
    expect(
      emu
        .files()
        .slice(before)
        .filter((f) => f.body.sn === '882000000000000002')
        .every((f) => f.body.sn_type === 'notepin'),
    ).toBe(true);
    // History lists all six, newest first.
    const hist = await e.getHistory({});
    expect(hist.total).toBe(6);
    expect(hist.entries[0]!.startMs).toBeGreaterThanOrEqual(hist.entries[5]!.startMs);
    expect(events.filter((ev) => ev.type === 'sync-finished').length).toBeGreaterThanOrEqual(1);
    expect(states.length).toBeGreaterThan(3);

    // A synced recording's playable file moved away by its owner is not copied or uploaded again.
    const gone = e.records().find((r) => r.sn === '888000000000000001')!.pulled!.upload.path;
    await fs.rename(gone, path.join(stateDir, 'moved-away.opus'));
    watcher.unplug(a.mount.dir);
    await watcher.plug(a.mount.dir);
    await e.whenIdle();
    await new Promise((r) => setTimeout(r, 200));
    expect(emu.files().length - before).toBe(6);
    await expect(fs.stat(gone)).rejects.toMatchObject({ code: 'ENOENT' });
  }, 90_000);

  it('without an account: pulls at once, uploads wait visibly, and start when credentials arrive', async () => {
    const r = await recorder('recC', '888000000000000003', [{ startSec: 1_718_000_000, seconds: 2 }]);
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-state-'));
    const secrets = new MemorySecretStore();
    const { e, watcher, settings } = await engine(stateDir, { credentials: { kind: 'none' } }, secrets);
    await watcher.plug(r.mount.dir);
    await until(() => e.records().some((x) => x.state === 'pulled'), 20_000, 'pulled');
    const s = e.getState();
    expect(s.account).toBe('missing');
    expect(s.queue[0]!.state).toBe('waiting-account');
    expect(s.problems.some((p) => p.code === 'no-account')).toBe(true);
    expect((await e.testConnection()).ok).toBe(false);
    // While it waits, its owner tidies up and moves the playable file out of the library: the upload must still
    // happen (made again from the verified originals), once.
    const playable = e.records()[0]!.pulled!.upload.path;
    await fs.rename(playable, path.join(stateDir, 'tidied-away.opus'));
    const cloudBefore = emu.files().length;
    // The upload started under the wrong token is still waiting for its answer when the right token arrives:
    // its late refusal must not mark the new credentials as refused (which would leave the recording stuck).
    emu.faults.slow({ target: 'presign', delayMs: 2_000, times: 1 });
    await secrets.set('apiToken', 'a-wrong-token');
    await e.applySettings({ ...settings, credentials: { kind: 'token' } });
    await until(
      () => e.getState().queue.some((q) => q.state === 'uploading'),
      10_000,
      'the upload under the wrong token to start',
    );
    const refused = await e.testConnection();
    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(/refused/i);
    expect(refused.message).not.toContain('a-wrong-token');
    await secrets.set('apiToken', emu.token);
    await e.applySettings({ ...settings, credentials: { kind: 'token' } });
    expect(await e.testConnection()).toMatchObject({ ok: true });
    await until(
      () => e.records().every((x) => x.state === 'synced'),
      45_000,
      'synced after credentials',
      () => ({
        records: e.records().map((x) => x.state),
        account: e.getState().account,
        problems: e.getState().problems.map((p) => p.code),
      }),
    );
    expect(e.getState().problems.some((p) => p.code === 'no-account' || p.code === 'auth-refused')).toBe(false);
    const done = e.records()[0]!;
    expect(done.pulled!.upload.path).toBe(playable); // the same readable name, made again
    const uploaded = emu.files().slice(cloudBefore);
    expect(uploaded).toHaveLength(1);
    expect(md5(await emu.getObject(uploaded[0]!.fileId))).toBe(md5(await fs.readFile(playable)));
    expect(done.pulled!.upload.md5).toBe(md5(await fs.readFile(playable)));
  }, 90_000);

  it('emulator down mid-upload: the queue goes offline without burning attempts and resumes when it is back', async () => {
    const r = await recorder('recD', '888000000000000004', [
      { startSec: 1_719_000_000, seconds: 2, wav: true, asr: false, wavRepeat: 1 },
      { startSec: 1_719_000_100, seconds: 2 },
    ]);
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-state-'));
    await emu.goOffline();
    const { e, watcher } = await engine(stateDir);
    try {
      await watcher.plug(r.mount.dir);
      await until(() => !e.getState().online, 60_000, 'offline detected');
      const s = e.getState();
      expect(s.problems.some((p) => p.code === 'offline')).toBe(true);
      expect(e.records().every((x) => x.attempts === 0)).toBe(true);
      expect(
        s.queue.every((q) => q.state === 'waiting-network' || q.state === 'queued' || q.state === 'uploading'),
      ).toBe(true);
    } finally {
      await emu.goOnline();
    }
    await until(() => e.records().filter((x) => x.state === 'synced').length === 2, 60_000, 'synced after outage');
    expect(e.getState().online).toBe(true);
    expect(e.getState().problems.some((p) => p.code === 'offline')).toBe(false);
  }, 120_000);

  it('unplugged mid-pull: nothing incomplete is kept, the problem says so, and the next plug-in resumes and syncs', async () => {
    const spec = { startSec: 1_724_000_000, seconds: 2, wavRepeat: 200 };
    const r = await recorder('recG', '888000000000000007', [spec, { startSec: 1_724_000_900, seconds: 2 }], 64);
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-state-'));
    const { e, watcher } = await engine(stateDir);
    await watcher.plug(r.mount.dir);
    await until(
      () => e.getState().devices.some((d) => d.pull.state === 'pulling' && d.pull.bytesDone > 0),
      20_000,
      'pull under way',
    );
    await r.mount.yank();
    watcher.unplug(r.mount.dir);
    await until(
      () => e.getState().devices.every((d) => d.sn !== '888000000000000007' || !d.connected),
      10_000,
      'device shown away',
    );
    await until(() => !e.isPulling(), 10_000, 'pull stopped');
    const afterYank = e.records().find((x) => x.relBase === relBaseOf(spec))!;
    expect(afterYank.state).toBe('discovered');
    expect(afterYank.attempts).toBe(0);
    const gone = e.getState().problems.find((p) => p.code === 'device-read-error');
    expect(gone?.message).toMatch(/went away|unplugged/);
    expect(gone?.action).toMatch(/plug/i);
    // No file with a final name that is not complete: the recording cut off has no WAV under its final name, and a
    // WAV that did get one (reads take turns, so the short recording's may be copied first) is byte-exact.
    const dir = path.join(stateDir, 'library', '.originals', '888000000000000007', 'NOTES');
    const dateDir = path.join(dir, (await fs.readdir(dir))[0]!);
    const lib = await fs.readdir(dateDir).catch(() => [] as string[]);
    const finals = lib.filter((n) => n.endsWith('.WAV') && !n.startsWith('.'));
    expect(finals).not.toContain(`${path.basename(relBaseOf(spec))}.WAV`);
    for (const n of finals) {
      const source = [...r.written.entries()].find(([rel]) => rel.endsWith(`/${n}`))!;
      expect(md5(await fs.readFile(path.join(dateDir, n)))).toBe(md5(source[1]));
    }

    const again = await mountFat(r.img, r.mount.dir);
    mounts.push(again);
    await watcher.plug(again.dir);
    await until(
      () => e.records().filter((x) => x.sn === '888000000000000007' && x.state === 'synced').length === 2,
      60_000,
      'synced after re-plug',
    );
    const rec = e.records().find((x) => x.relBase === relBaseOf(spec))!;
    for (const f of rec.pulled!.files)
      expect(md5(await fs.readFile(f.libraryPath))).toBe(md5(r.written.get(f.relPath)!));
    expect(e.getState().problems.some((p) => p.code === 'device-read-error')).toBe(false);
  }, 120_000);

  it('a full library disk: a clear problem, nothing that looks complete, the recording still on the recorder', async () => {
    const r = await recorder('recE', '888000000000000005', [{ startSec: 1_720_000_000, seconds: 2, wavRepeat: 150 }]);
    const libImg = path.join(tmp, 'lib.img');
    await makeFatImage(libImg, 16, 'LIBRARY', 16);
    const lib = await mountFat(libImg, path.join(tmp, 'libmnt'));
    mounts.push(lib);
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-state-'));
    const { e, watcher } = await engine(stateDir, { libraryDir: lib.dir });
    await watcher.plug(r.mount.dir);
    await until(() => e.getState().problems.some((p) => p.code === 'library-full'), 30_000, 'library-full problem');
    const p = e.getState().problems.find((x) => x.code === 'library-full')!;
    expect(p.message).toMatch(/full/i);
    expect(p.action).toMatch(/space|library folder/i);
    const rec = e.records()[0]!;
    expect(rec.state).not.toBe('pulled');
    // nothing with a final name that is not verified
    const walk = async (d: string): Promise<string[]> =>
      (await fs.readdir(d, { withFileTypes: true }))
        .flatMap((x) => (x.isDirectory() ? [] : [path.join(d, x.name)]))
        .concat(
          ...(await Promise.all(
            (await fs.readdir(d, { withFileTypes: true }))
              .filter((x) => x.isDirectory())
              .map((x) => walk(path.join(d, x.name))),
          )),
        );
    const left = await walk(lib.dir);
    // Whatever has a final name is a complete, verified copy (the ASR fits; the big WAV does not).
    const finals = left.filter((f) => /\.(WAV|ASR)$/i.test(f) && !path.basename(f).startsWith('.'));
    expect(finals.some((f) => f.endsWith('.WAV'))).toBe(false);
    for (const f of finals) {
      const rel = path.relative(path.join(lib.dir, '.originals', '888000000000000005'), f);
      expect(md5(await fs.readFile(f)), rel).toBe(md5(r.written.get(rel)!));
    }
    expect(left.filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(
      await fs.stat(path.join(r.mount.dir, `${relBaseOf({ startSec: 1_720_000_000, seconds: 2 })}.WAV`)),
    ).toBeTruthy();
  }, 60_000);

  it('remove-after-sync deletes from the recorder only after the cloud confirmed and the library copy verifies', async () => {
    const spec = { startSec: 1_721_000_000, seconds: 2 };
    const r = await recorder('recF', '888000000000000006', [spec]);
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-state-'));
    const { e, watcher } = await engine(stateDir, { removeAfterSync: true });
    await watcher.plug(r.mount.dir);
    await until(() => e.records()[0]?.deviceDelete?.state === 'done', 30_000, 'device delete done');
    const rel = relBaseOf(spec);
    await expect(fs.stat(path.join(r.mount.dir, `${rel}.WAV`))).rejects.toThrow();
    await expect(fs.stat(path.join(r.mount.dir, `${rel}.ASR`))).rejects.toThrow();
    const rec = e.records()[0]!;
    expect(rec.state).toBe('synced');
    for (const f of rec.pulled!.files) await expect(fs.stat(f.libraryPath)).resolves.toBeTruthy();
  }, 60_000);
});
