import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BrowserWindow,
  WebContents,
  WebFrameMain,
  __mock,
  app,
  ipcMain,
  ipcRenderer,
  makeInvokeEvent,
  protocol,
  session,
} from '../support/electron-mock.js';
import { EngineDouble, emptyState, item } from './engine-double.js';
import { registerIpcHandlers, type IpcDeps } from '../../main/app/ipc/handlers.js';
import { invokeChannels, ipcWire, type PlaudSyncApi } from '../../main/app/ipc/contract.js';
import { appOrigin, devServerOrigin } from '../../main/app/origin.js';
import { APP_SCHEME, rendererFiles } from '../../main/app/protocol.js';
import { SafeStorageSecretStore } from '../../main/app/secrets.js';
import { defaultSettings, type Settings } from '../../main/sync/settings.js';
import type { LogFields } from '../../main/sync/log.js';

vi.mock('electron', () => import('../support/electron-mock.js'));

let tmp: string;
let engine: EngineDouble;
let win: BrowserWindow;
let warnings: { msg: string; fields?: LogFields }[];
let settings: Settings;
let opened: string[];
let deps: IpcDeps;
const origin = appOrigin();

function recordingLog() {
  return {
    debug() {},
    info() {},
    error() {},
    warn: (msg: string, fields?: LogFields) => warnings.push({ msg, fields }),
  };
}

beforeEach(async () => {
  __mock.reset();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-test-'));
  engine = new EngineDouble(emptyState({ queue: [item('r1', { state: 'failed' }), item('r2', { state: 'failed' })] }));
  warnings = [];
  opened = [];
  settings = defaultSettings(path.join(tmp, 'library'));
  await app.whenReady();
  fs.mkdirSync(path.join(tmp, 'renderer'));
  fs.writeFileSync(path.join(tmp, 'renderer', 'index.html'), '<!doctype html><title>Plaud Sync</title>');
  protocol.handle(APP_SCHEME, rendererFiles(path.join(tmp, 'renderer'), ''));
  win = new BrowserWindow({ show: false });
  await win.loadURL(origin.entryUrl);
  __mock.rendererWebContents = win.webContents;
  deps = {
    engine,
    settings: { get: () => settings, set: (p) => (settings = { ...settings, ...p }) },
    secrets: new SafeStorageSecretStore(tmp, recordingLog(), 'linux'),
    log: recordingLog(),
    origin,
    webContents: () => win.webContents as never,
    openPath: async (p) => {
      opened.push(p);
      return '';
    },
    chooseFolder: async () => '/chosen',
  };
  registerIpcHandlers(ipcMain as never, deps);
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function call(channel: string, event: ReturnType<typeof makeInvokeEvent>, ...args: unknown[]) {
  const h = ipcMain.handlers.get(channel);
  if (!h) throw new Error(`no handler for ${channel}`);
  return Promise.resolve().then(() => h(event, ...args));
}
const ours = () => makeInvokeEvent(win.webContents, win.webContents.mainFrame);

describe('IPC sender checks', () => {
  it('registers a handler for every channel of the contract', () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual(Object.keys(invokeChannels).sort());
  });

  it('rejects another webContents, and the engine never hears of it', async () => {
    const other = new WebContents(session.defaultSession);
    other.mainFrame.url = origin.entryUrl; // even showing our page
    await expect(call('sync:now', makeInvokeEvent(other, other.mainFrame))).rejects.toThrow(/not our window/);
    expect(engine.callsTo('syncNow')).toHaveLength(0);
    expect(warnings[0]).toMatchObject({
      msg: 'ipc rejected: sender',
      fields: { channel: 'sync:now', reason: 'not our window' },
    });
  });

  it('rejects our window when its frame shows a foreign page', async () => {
    const foreign = new WebFrameMain('https://evil.example/', 7);
    await expect(call('sync:pause', makeInvokeEvent(win.webContents, foreign))).rejects.toThrow(/foreign page/);
    for (const [i, url] of [
      'file:///tmp/evil.html',
      'app://evil/index.html',
      'app://plaud-sync/other.html',
      'file:///opt/plaud-sync/out/renderer/index.html',
    ].entries()) {
      const other = new WebFrameMain(url, 8 + i * 100);
      await expect(call('sync:pause', makeInvokeEvent(win.webContents, other))).rejects.toThrow(/foreign page/);
    }
    expect(engine.callsTo('pause')).toHaveLength(0);
  });

  it('rejects a subframe, a vanished frame and a destroyed window', async () => {
    const sub = new WebFrameMain(origin.entryUrl, 9);
    sub.parent = win.webContents.mainFrame;
    await expect(call('sync:now', makeInvokeEvent(win.webContents, sub))).rejects.toThrow(/subframe/);
    await expect(call('sync:now', makeInvokeEvent(win.webContents, null))).rejects.toThrow(/frame gone/);
    win.destroy();
    await expect(call('sync:now', ours())).rejects.toThrow(/no window/);
    expect(engine.callsTo('syncNow')).toHaveLength(0);
  });

  it('accepts hash routes of our page but not other files next to it', () => {
    expect(origin.owns(origin.entryUrl + '#/settings')).toBe(true);
    expect(origin.owns(origin.entryUrl.replace('index.html', 'other.html'))).toBe(false);
    expect(origin.owns(origin.entryUrl + '?x=1')).toBe(false);
    const dev = devServerOrigin('http://localhost:5173/');
    expect(dev.owns('http://localhost:5173/src/main.tsx')).toBe(true);
    expect(dev.owns('http://localhost:5174/')).toBe(false);
    expect(() => devServerOrigin('https://cdn.example/')).toThrow(/localhost/);
  });
});

describe('IPC payload validation', () => {
  const bad: [string, unknown[]][] = [
    ['queue:cancel', []],
    ['queue:cancel', [42]],
    ['queue:cancel', ['']],
    ['queue:cancel', ['x'.repeat(513)]],
    ['queue:retry', [{ id: 'r1' }]],
    ['sync:now', ['extra']],
    ['settings:set', [{ concurrency: 0 }]],
    ['settings:set', [{ apiBase: 'not a url' }]],
    ['settings:set', [{ libraryDir: '/x', evil: true }]],
    ['history:query', [{ limit: 5000 }]],
    ['history:query', [{ text: 1 }]],
    ['recording:open', [{ path: '/etc/passwd' }]],
  ];
  for (const [channel, args] of bad) {
    it(`rejects ${channel}(${JSON.stringify(args).slice(0, 40)}) without acting`, async () => {
      const before = engine.calls.length;
      const settingsBefore = settings;
      await expect(call(channel, ours(), ...args)).rejects.toThrow(/invalid arguments/);
      expect(engine.calls.length).toBe(before);
      expect(settings).toBe(settingsBefore);
      expect(opened).toEqual([]);
      expect(warnings.at(-1)).toMatchObject({ msg: 'ipc rejected: payload', fields: { channel } });
    });
  }

  it('never logs a rejected payload (it may hold a token)', async () => {
    await expect(call('settings:set', ours(), { apiToken: 'sekret-token-123', bogus: 1 })).rejects.toThrow();
    expect(JSON.stringify(warnings)).not.toContain('sekret-token-123');
  });
});

describe('good messages reach the engine', () => {
  it('pause, resume, retry, cancel, sync now, test connection, state', async () => {
    await call('sync:pause', ours());
    expect(engine.state.paused).toBe(true);
    await call('sync:resume', ours());
    expect(engine.state.paused).toBe(false);
    await call('queue:retry', ours(), 'r1');
    await call('queue:retry', ours());
    expect(engine.callsTo('retry')).toEqual([['r1'], []]);
    expect(engine.state.queue.map((q) => q.state)).toEqual(['queued', 'queued']);
    await call('queue:cancel', ours(), 'r2');
    expect(engine.state.queue.map((q) => q.id)).toEqual(['r1']);
    await call('sync:now', ours());
    expect(engine.callsTo('syncNow')).toHaveLength(1);
    expect(await call('connection:test', ours())).toEqual(engine.connection);
    expect(((await call('state:get', ours())) as { seq: number }).seq).toBe(engine.state.seq);
  });

  it('update:install restarts into a ready update only for our window, and says false when there is none', async () => {
    expect(await call('update:install', ours())).toBe(false); // no updater wired
    let installs = 0;
    deps.installUpdate = () => (installs++, true);
    const other = new BrowserWindow({ show: false });
    await other.loadURL('https://evil.example/');
    await expect(
      call('update:install', makeInvokeEvent(other.webContents, other.webContents.mainFrame)),
    ).rejects.toThrow(/Rejected update:install/);
    expect(installs).toBe(0);
    await expect(call('update:install', ours(), 'now')).rejects.toThrow(/invalid arguments/);
    expect(await call('update:install', ours())).toBe(true);
    expect(installs).toBe(1);
  });

  it('engine errors reach the caller', async () => {
    await expect(call('queue:cancel', ours(), 'nope')).rejects.toThrow(/No queue item nope/);
  });

  it('settings: a token is stored encrypted, never returned, and the engine gets the new settings', async () => {
    const view = (await call('settings:set', ours(), { apiToken: 'tok-abc', concurrency: 2 })) as Record<
      string,
      unknown
    >;
    expect(view).toMatchObject({
      concurrency: 2,
      hasApiToken: true,
      secretStorageAvailable: true,
      credentials: { kind: 'token' },
    });
    expect(JSON.stringify(view)).not.toContain('tok-abc');
    expect(fs.readFileSync(path.join(tmp, 'secrets.json'), 'utf8')).not.toContain('tok-abc');
    expect(await deps.secrets.get('apiToken')).toBe('tok-abc');
    const applied = engine.callsTo('applySettings').at(-1)![0] as Settings;
    expect(applied.concurrency).toBe(2);
    expect(applied.credentials).toEqual({ kind: 'token' });
    // An empty token deletes it and clears the credential kind.
    const cleared = (await call('settings:set', ours(), { apiToken: '' })) as Record<string, unknown>;
    expect(cleared).toMatchObject({ hasApiToken: false, credentials: { kind: 'none' } });
  });

  it('settings: with no keyring the token is refused in plain words and nothing changes', async () => {
    __mock.storageBackend = 'basic_text';
    await expect(call('settings:set', ours(), { apiToken: 'tok-abc', concurrency: 3 })).rejects.toThrow(/no keyring/);
    expect(settings.concurrency).toBe(4);
    expect(engine.callsTo('applySettings')).toHaveLength(0);
    expect(fs.existsSync(path.join(tmp, 'secrets.json'))).toBe(false);
    const view = (await call('settings:get', ours())) as Record<string, unknown>;
    expect(view.secretStorageAvailable).toBe(false);
  });

  it('settings: a plain-http remote API address is refused before the token is stored', async () => {
    await expect(
      call('settings:set', ours(), { apiBase: 'http://api.example.com', apiToken: 'tok-abc' }),
    ).rejects.toThrow(/plain http/);
    expect(fs.existsSync(path.join(tmp, 'secrets.json'))).toBe(false);
    expect(settings.apiBase).toBe('https://api.plaud.ai');
    const ok = (await call('settings:set', ours(), { apiBase: 'http://127.0.0.1:8080/' })) as { apiBase: string };
    expect(ok.apiBase).toBe('http://127.0.0.1:8080');
  });

  it('opens the library folder (creating it) and only recordings the history returned', async () => {
    await call('library:open', ours());
    expect(opened).toEqual([settings.libraryDir]);
    expect(fs.existsSync(settings.libraryDir)).toBe(true);
    const file = path.join(settings.libraryDir, 'a.opus');
    fs.writeFileSync(file, 'x');
    engine.history = [
      {
        id: 'h1',
        sn: '1',
        sn_type: 'note',
        deviceId: 'd',
        kind: 'note',
        startMs: 0,
        durationMs: 0,
        cloudFileId: 'c',
        syncedAt: 0,
        localPath: file,
      },
    ];
    const res = (await call('history:query', ours(), { limit: 10 })) as { total: number };
    expect(res.total).toBe(1);
    await call('recording:open', ours(), 'h1');
    expect(opened.at(-1)).toBe(file);
    await expect(call('recording:open', ours(), '/etc/passwd')).rejects.toThrow(/not in the history/);
    expect(opened).not.toContain('/etc/passwd');
    // "Show in folder": the same lookup, through the system's file manager (shell.showItemInFolder).
    const shown: string[] = [];
    deps.showItemInFolder = (p) => void shown.push(p);
    await call('recording:show', ours(), 'h1');
    expect(shown).toEqual([file]);
    await expect(call('recording:show', ours(), '../../etc/passwd')).rejects.toThrow(/not in the history/);
    // A recording whose file left the library says so, in words.
    fs.rmSync(file);
    await expect(call('recording:show', ours(), 'h1')).rejects.toThrow(/The local copy is missing/);
    expect(shown).toEqual([file]);
    expect(await call('library:choose', ours())).toBe('/chosen');
  });

  it('the library folder changes only to the one the user picked in the native folder picker; library:open opens only that', async () => {
    const before = settings.libraryDir;
    const elsewhere = path.join(tmp, 'elsewhere');
    fs.mkdirSync(elsewhere);
    // The page names a folder (an existing one, even): refused, nothing changes, nothing is opened there.
    await expect(call('settings:set', ours(), { libraryDir: elsewhere })).rejects.toThrow(
      /only be changed with "Choose…"/,
    );
    expect(settings.libraryDir).toBe(before);
    expect(engine.callsTo('applySettings')).toHaveLength(0);
    expect(warnings.at(-1)).toMatchObject({
      msg: 'ipc rejected: library folder not picked by the user',
      fields: { libraryDir: elsewhere },
    });
    await call('library:open', ours());
    expect(opened).toEqual([before]);
    // Saving the whole form (the current folder) is fine.
    await call('settings:set', ours(), { libraryDir: before, concurrency: 2 });
    expect(settings.concurrency).toBe(2);

    // The user picks a folder: that one, and only that one, may now be saved.
    const picked = path.join(tmp, 'picked');
    deps.chooseFolder = async () => picked;
    expect(await call('library:choose', ours())).toBe(picked);
    await expect(call('settings:set', ours(), { libraryDir: elsewhere })).rejects.toThrow(/Choose…/);
    await call('settings:set', ours(), { libraryDir: picked });
    expect(settings.libraryDir).toBe(picked);
    await call('library:open', ours());
    expect(opened.at(-1)).toBe(picked);
    // A cancelled picker allows nothing new.
    deps.chooseFolder = async () => null;
    expect(await call('library:choose', ours())).toBeNull();
    await expect(call('settings:set', ours(), { libraryDir: before })).rejects.toThrow(/Choose…/);
    expect(settings.libraryDir).toBe(picked);
  });
});

describe('preload bridge', () => {
  // The build writes the table's wire rows into the preload (electron.vite.config.ts); the same here.
  beforeEach(() => vi.stubGlobal('__PLAUD_IPC__', ipcWire()));
  afterEach(() => vi.unstubAllGlobals());
  const API_KEYS: Record<keyof Required<PlaudSyncApi>, true> = {
    getState: true,
    onState: true,
    onEvent: true,
    onNavigate: true,
    syncNow: true,
    pause: true,
    resume: true,
    retry: true,
    cancel: true,
    uploadNewerVersion: true,
    getSettings: true,
    setSettings: true,
    testConnection: true,
    openLibrary: true,
    chooseLibraryFolder: true,
    getHistory: true,
    openRecording: true,
    showRecording: true,
    onUpdate: true,
    installUpdate: true,
  };

  it('exposes exactly PlaudSyncApi as window.plaudSync, and calls go through main validation to the engine', async () => {
    vi.resetModules();
    await import('../../preload/index.js');
    expect(Object.keys(__mock.exposed)).toEqual(['plaudSync']);
    const api = __mock.exposed.plaudSync as PlaudSyncApi;
    expect(Object.keys(api).sort()).toEqual(Object.keys(API_KEYS).sort());
    for (const v of Object.values(api)) expect(typeof v).toBe('function');

    await api.pause();
    expect(engine.state.paused).toBe(true);
    await api.retry();
    await api.retry('r1');
    expect(engine.callsTo('retry')).toEqual([[], ['r1']]);
    // Errors reach the page as plain words, without Electron's "Error invoking remote method" wrapper.
    const err = await api.cancel(5 as unknown as string).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^Rejected queue:cancel: invalid arguments/);
    expect(((await api.cancel('nope').catch((e: Error) => e)) as Error).message).toBe('No queue item nope');
    expect((await api.getSettings()).libraryDir).toBe(settings.libraryDir);
  });

  it('subscriptions deliver payloads only and unsubscribe', async () => {
    vi.resetModules();
    await import('../../preload/index.js');
    const api = __mock.exposed.plaudSync as PlaudSyncApi;
    const got: unknown[][] = [];
    const off = api.onState((...args: unknown[]) => got.push(args));
    const offNav = api.onNavigate((v) => got.push(['nav', v]));
    const offUpdate = api.onUpdate((u) => got.push(['update', u]));
    __mock.pushToRenderer('state:changed', emptyState({ seq: 9 }));
    __mock.pushToRenderer('app:navigate', 'settings');
    __mock.pushToRenderer('update:status', { state: 'ready', version: '1.4.0' });
    off();
    offNav();
    offUpdate();
    __mock.pushToRenderer('state:changed', emptyState({ seq: 10 }));
    __mock.pushToRenderer('update:status', { state: 'none' });
    expect(got).toEqual([
      [emptyState({ seq: 9 })],
      ['nav', 'settings'],
      ['update', { state: 'ready', version: '1.4.0' }],
    ]);
    expect(ipcRenderer.listenerCount('state:changed')).toBe(0);
  });
});
