// The assembled main process against the electron mock and a recording engine double.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BrowserWindow,
  __mock,
  app,
  ipcMain,
  makeInvokeEvent,
  powerMonitor,
  protocol,
} from '../support/electron-mock.js';
import type { UpdateStatus } from '../../main/app/updater.js';
import { EngineDouble, device, emptyState, item } from './engine-double.js';
import { startApp, type EngineContext, type RunningApp } from '../../main/app/app.js';
import { PULLING_WARNING } from '../../main/app/quit.js';
import { isStartAtLogin, launchedHidden, setStartAtLogin } from '../../main/app/login-item.js';
import { nullLogger } from '../../main/sync/log.js';

vi.mock('electron', () => import('../support/electron-mock.js'));

let tmp: string;
let engine: EngineDouble;
let ctx: EngineContext | null;
// An app folder as the build leaves it: out/renderer (served over app://) and the tray icons.
const appRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'app-root-'));
fs.mkdirSync(path.join(appRoot, 'out', 'renderer'), { recursive: true });
fs.writeFileSync(path.join(appRoot, 'out', 'renderer', 'index.html'), '<!doctype html><title>Plaud Sync</title>');
fs.symlinkSync(path.resolve('assets'), path.join(appRoot, 'assets'));
process.once('exit', () => fs.rmSync(appRoot, { recursive: true, force: true }));

async function start(
  over: { argv?: string[]; platform?: NodeJS.Platform; stopTimeoutMs?: number } = {},
): Promise<RunningApp | null> {
  return startApp({
    createEngine: (c) => {
      ctx = c;
      return engine;
    },
    stateDir: tmp,
    appRoot,
    env: { XDG_CONFIG_HOME: path.join(tmp, 'xdg') },
    argv: over.argv ?? ['electron', '.'],
    platform: over.platform ?? 'linux',
    log: nullLogger,
    stopTimeoutMs: over.stopTimeoutMs,
  });
}
const flush = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  __mock.reset();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'app-main-'));
  engine = new EngineDouble(emptyState({ lastSyncAt: Date.now() - 3 * 60_000 }));
  ctx = null;
});
afterEach(() => {
  for (const t of __mock.trays) t.destroy();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('single instance', () => {
  it('a second copy quits at once without touching the engine or the state dir', async () => {
    __mock.singleInstanceLockFree = false;
    expect(await start()).toBeNull();
    expect(__mock.quitCalls).toBe(1);
    expect(ctx).toBeNull();
    expect(BrowserWindow.getAllWindows()).toHaveLength(0);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('the first copy brings its window back when the app is launched again', async () => {
    const running = (await start({ argv: ['electron', '.', '--hidden'] }))!;
    expect(running.window()).toBeNull(); // started from the login item: tray only
    __mock.launchSecondInstance();
    const win = running.window()!;
    expect(win.isVisible()).toBe(false); // shown once the page has painted, not blank before
    await vi.waitFor(() => expect(win.isVisible()).toBe(true));
    win.close(); // hides
    expect(win.isVisible()).toBe(false);
    win.minimize();
    __mock.launchSecondInstance();
    expect(running.window()).toBe(win);
    expect(win.isVisible()).toBe(true);
    expect(win.isMinimized()).toBe(false);
    expect(BrowserWindow.getAllWindows()).toHaveLength(1);
  });
});

describe('startup and wiring', () => {
  it('gives the engine the settings, the safeStorage secret store and the state dir', async () => {
    await start();
    expect(ctx!.stateDir).toBe(tmp);
    expect(ctx!.settings.autoSync).toBe(true);
    expect(ctx!.secrets.canStore()).toBe(true);
    expect(engine.listenerCount()).toEqual({ state: 1, event: 1 });
  });

  it('serves the window from app://, a privileged scheme declared before ready, never from file://', async () => {
    const running = (await start())!;
    expect(protocol.privileged).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    const win = running.window() as unknown as BrowserWindow;
    expect(win.webContents.getURL()).toBe('app://plaud-sync/index.html');
    const page = await protocol.handlers.get('app')!(new Request('app://plaud-sync/index.html'));
    expect(await page.text()).toContain('<title>Plaud Sync</title>');
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self';/);
    expect(
      (await protocol.handlers.get('app')!(new Request('app://plaud-sync/..%2F..%2Fassets%2Ftray%2Fidle.png'))).status,
    ).toBe(403);
  });

  it('opens the window, pushes state once the page loaded, and keeps running when it is closed', async () => {
    const running = (await start())!;
    const win = running.window() as unknown as BrowserWindow;
    await vi.waitFor(() => expect(win.webContents.sent.filter((m) => m.channel === 'state:changed')).toHaveLength(1));
    engine.setState({ queue: [item('a', { state: 'uploading', bytesDone: 10 })] });
    running.push.flush();
    const last = win.webContents.sent.at(-1)!;
    expect(last.channel).toBe('state:changed');
    expect((last.args[0] as { seq: number }).seq).toBe(engine.state.seq);
    // The page may call main through IPC.
    const h = ipcMain.handlers.get('sync:now')!;
    await h(makeInvokeEvent(win.webContents, win.webContents.mainFrame));
    expect(engine.callsTo('syncNow')).toHaveLength(1);
    // Closing the last window does not quit.
    win.close();
    expect(__mock.quitCalls).toBe(0);
    expect(engine.stopped).toBe(false);
  });

  it('waking from sleep syncs: recorders plugged in meanwhile are found, waiting uploads retried', async () => {
    await start();
    expect(engine.callsTo('syncNow')).toHaveLength(0);
    powerMonitor.emit('resume');
    expect(engine.callsTo('syncNow')).toHaveLength(1);
  });

  it('an update: its download and readiness reach the window and the tray, and both can install it', async () => {
    const running = (await start())!;
    const win = running.window() as unknown as BrowserWindow;
    await vi.waitFor(() => expect(win.webContents.sent.some((m) => m.channel === 'state:changed')).toBe(true));
    let listener: ((s: UpdateStatus) => void) | undefined;
    let installs = 0;
    let status: UpdateStatus = { state: 'idle' };
    running.setUpdater({
      status: () => status,
      onStatus: (l) => ((listener = l), () => {}),
      installNow: () => (installs++, status.state === 'ready'),
    });
    const updates = () => win.webContents.sent.filter((m) => m.channel === 'update:status').map((m) => m.args[0]);
    expect(updates()).toEqual([]); // nothing to say while idle
    listener!((status = { state: 'downloading', version: '1.4.0', percent: 10 }));
    listener!((status = { state: 'downloading', version: '1.4.0', percent: 10 }));
    listener!((status = { state: 'ready', version: '1.4.0' }));
    expect(updates()).toEqual([
      { state: 'downloading', version: '1.4.0', percent: 10 },
      { state: 'ready', version: '1.4.0' },
    ]);
    const tray = __mock.trays[0]!;
    tray.contextMenu!.getMenuItemById('install-update')!.click();
    expect(installs).toBe(1);
    expect(
      await ipcMain.handlers.get('update:install')!(makeInvokeEvent(win.webContents, win.webContents.mainFrame)),
    ).toBe(true);
    expect(installs).toBe(2);
  });

  it('the tray follows the engine and its menu drives it', async () => {
    const running = (await start())!;
    const tray = __mock.trays[0]!;
    expect(tray.image.sourcePath).toBe(path.join(appRoot, 'assets/tray/idle.png'));
    expect(tray.contextMenu!.items[0]!.label).toBe('Synced 3 min ago');
    engine.setState({ queue: [item('a', { state: 'uploading', bytesDone: 400, bytesTotal: 1000 })] });
    expect(tray.image.sourcePath).toMatch(/syncing\.png$/);
    expect(tray.toolTip).toContain('Uploading 1 of 1, 40%');
    tray.contextMenu!.getMenuItemById('pause-resume')!.click();
    expect(engine.state.paused).toBe(true);
    expect(tray.image.sourcePath).toMatch(/paused\.png$/);
    tray.contextMenu!.getMenuItemById('pause-resume')!.click();
    expect(engine.state.paused).toBe(false);
    tray.contextMenu!.getMenuItemById('sync-now')!.click();
    expect(engine.callsTo('syncNow')).toHaveLength(1);
    tray.contextMenu!.getMenuItemById('open-logs')!.click();
    tray.contextMenu!.getMenuItemById('open-library')!.click();
    await vi.waitFor(() => expect(__mock.opened).toHaveLength(2));
    expect(__mock.opened).toEqual([running.logsDir, running.settings.get().libraryDir]);
    (running.window() as unknown as BrowserWindow).webContents.sent.length = 0;
    tray.contextMenu!.getMenuItemById('settings')!.click();
    await vi.waitFor(() =>
      expect(
        (running.window() as unknown as BrowserWindow).webContents.sent.some(
          (m) => m.channel === 'app:navigate' && m.args[0] === 'settings',
        ),
      ).toBe(true),
    );
  });

  it('start at login: the checkbox saves the setting and writes the OS login item (packaged only)', async () => {
    app.isPackaged = true;
    const running = (await start({ platform: 'linux' }))!;
    const autostart = path.join(tmp, 'xdg', 'autostart', 'plaud-sync.desktop');
    expect(fs.readFileSync(autostart, 'utf8')).toMatch(/^Exec=.* --hidden$/m);
    __mock.trays[0]!.contextMenu!.getMenuItemById('start-at-login')!.click();
    expect(running.settings.get().startAtLogin).toBe(false);
    expect(fs.existsSync(autostart)).toBe(false);
    expect(__mock.trays[0]!.contextMenu!.getMenuItemById('start-at-login')!.checked).toBe(false);
    expect((engine.callsTo('applySettings').at(-1)![0] as { startAtLogin: boolean }).startAtLogin).toBe(false);
  });

  it('uses the OS login item on macOS and Windows', async () => {
    app.isPackaged = true;
    await start({ platform: 'win32' });
    expect(__mock.loginItem).toMatchObject({ openAtLogin: true, args: ['--hidden'] });
  });
});

describe('login item', () => {
  it('Linux: an autostart entry that quotes paths with spaces and prefers the AppImage', () => {
    const env = { XDG_CONFIG_HOME: path.join(tmp, 'cfg') };
    const e = { platform: 'linux' as const, env, execPath: '/opt/Plaud Sync/plaud-sync', appArgs: [] };
    setStartAtLogin(true, e);
    const file = path.join(tmp, 'cfg/autostart/plaud-sync.desktop');
    expect(fs.readFileSync(file, 'utf8')).toContain('Exec="/opt/Plaud Sync/plaud-sync" --hidden\n');
    expect(isStartAtLogin(e)).toBe(true);
    setStartAtLogin(true, { ...e, env: { ...env, APPIMAGE: '/home/u/Apps/Plaud-Sync.AppImage' } });
    expect(fs.readFileSync(file, 'utf8')).toContain('Exec=/home/u/Apps/Plaud-Sync.AppImage --hidden\n');
    setStartAtLogin(false, e);
    expect(isStartAtLogin(e)).toBe(false);
  });

  it('a launch from the login item starts hidden', () => {
    expect(launchedHidden(['plaud-sync', '--hidden'], 'win32')).toBe(true);
    expect(launchedHidden(['plaud-sync'], 'win32')).toBe(false);
    __mock.wasOpenedAtLogin = true;
    expect(launchedHidden(['Plaud Sync'], 'darwin')).toBe(true);
  });
});

describe('macOS', () => {
  it('shows a Dock icon only while the window is open', async () => {
    const running = (await start({ platform: 'darwin', argv: ['electron', '.', '--hidden'] }))!;
    expect(__mock.dockVisible).toBe(false);
    running.openWindow();
    await vi.waitFor(() => expect(__mock.dockVisible).toBe(true));
    running.window()!.close();
    expect(__mock.dockVisible).toBe(false);
    expect(__mock.trays[0]!.image.sourcePath).toMatch(/idleTemplate\.png$/);
  });
});

describe('notifications', () => {
  it('a summary per sync, "Safe to unplug", one per problem; none when switched off', async () => {
    const running = (await start())!;
    engine.emit({ type: 'pull-finished', deviceId: 'd1', displayName: 'NotePin', pulled: 3, failed: 0 });
    engine.emit({ type: 'sync-finished', deviceId: 'd1', displayName: 'NotePin', synced: 3, failed: 0 });
    const p = {
      id: 'p1',
      code: 'offline' as const,
      severity: 'warning' as const,
      message: 'The Plaud cloud cannot be reached',
      since: 0,
    };
    engine.emit({ type: 'problem', problem: p });
    engine.emit({ type: 'problem', problem: { ...p, id: 'p2' } });
    expect(__mock.notifications.map((n) => n.title)).toEqual([
      'Safe to unplug NotePin',
      '3 recordings from NotePin synced',
      'The Plaud cloud cannot be reached',
    ]);
    // Clicking one opens the window.
    running.window()!.hide();
    __mock.notifications[0]!.emit('click');
    expect(running.window()!.isVisible()).toBe(true);
    running.settings.set({ notifications: false });
    engine.emit({ type: 'sync-finished', synced: 1, failed: 0 });
    expect(__mock.notifications).toHaveLength(3);
  });

  it('nothing when the OS has no notifications', async () => {
    __mock.notificationsSupported = false;
    await start();
    engine.emit({ type: 'sync-finished', synced: 1, failed: 0 });
    expect(__mock.notifications).toHaveLength(0);
  });
});

describe('graceful quit', () => {
  it('Quit in the tray stops the engine before the app exits', async () => {
    (await start())!;
    engine.stopDelayMs = 20;
    __mock.trays[0]!.contextMenu!.getMenuItemById('quit')!.click();
    expect(__mock.exited).toBeNull(); // held back while the engine checkpoints
    await vi.waitFor(() => expect(__mock.exited).toBe(0));
    expect(engine.callsTo('stop')).toHaveLength(1);
    expect(engine.stopped).toBe(true);
    expect(BrowserWindow.getAllWindows()).toHaveLength(0);
    expect(__mock.trays[0]!.isDestroyed()).toBe(true);
  });

  it('warns while a recorder is being read, and "Keep running" keeps it running', async () => {
    (await start())!;
    engine.setState({
      devices: [device({ pull: { state: 'pulling', filesDone: 1, filesTotal: 3, bytesDone: 1, bytesTotal: 3 } })],
    });
    __mock.nextMessageBoxResponse = 0; // Keep running
    app.quit();
    await vi.waitFor(() => expect(__mock.dialogs.some((d) => d.kind === 'message')).toBe(true));
    await flush();
    const box = __mock.dialogs.find((d) => d.kind === 'message')!;
    expect(box.options.message).toBe(PULLING_WARNING);
    expect(box.options.buttons).toEqual(['Keep running', 'Quit anyway']);
    expect(engine.callsTo('stop')).toHaveLength(0);
    expect(__mock.exited).toBeNull();
    expect(BrowserWindow.getAllWindows()).toHaveLength(1);
    // The second time the user insists.
    __mock.nextMessageBoxResponse = 1;
    app.quit();
    await vi.waitFor(() => expect(__mock.exited).toBe(0));
    expect(engine.callsTo('stop')).toHaveLength(1);
  });

  it('quits even when the engine does not stop in time', async () => {
    await start({ stopTimeoutMs: 30 });
    engine.stop = () => new Promise(() => {}); // hangs
    app.quit();
    await vi.waitFor(() => expect(__mock.exited).toBe(0));
  });
});
