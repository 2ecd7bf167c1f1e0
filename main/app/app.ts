// The Electron main process, assembled: single instance, tray, window, IPC, notifications,
// settings and secrets around one sync engine. The engine comes from a factory so the app stays
// thin glue (and a test can hand in its own engine). startApp reads as its steps, in order; each
// setupX() below wires one part and returns what the later steps need.
import fs from 'node:fs';
import path from 'node:path';
import { BrowserWindow, Notification, app, dialog, powerMonitor, protocol, session, shell } from 'electron';
import type { SyncEngineApi } from '../sync/engine/api.js';
import type { Logger } from '../sync/log.js';
import { createFileLogger } from '../sync/logfile.js';
import { defaultLibraryDir, defaultStateDir } from '../sync/paths.js';
import type { SecretStore, Settings } from '../sync/settings.js';
import { contentSecurityPolicy, installCsp } from './csp.js';
import type { AppView, UpdateView } from './ipc/contract.js';
import { registerWindowIpc } from './ipc/electron-ipc.js';
import { RendererPush } from './ipc/push.js';
import { launchedHidden, setStartAtLogin } from './login-item.js';
import { Notifier } from './notifier.js';
import { resolveRendererOrigin, type RendererOrigin } from './origin.js';
import { APP_SCHEME, registerAppScheme, rendererFiles } from './protocol.js';
import { PULLING_WARNING, QuitController } from './quit.js';
import { SafeStorageSecretStore } from './secrets.js';
import { openAppSettingsStore, type AppSettingsStore } from './settings-store.js';
import { TrayController } from './tray.js';
import type { UpdateStatus, Updater } from './updater.js';
import { createMainWindow, denyAllPermissions, revealWindow } from './window.js';

export interface EngineContext {
  stateDir: string;
  settings: Settings;
  secrets: SecretStore;
  log: Logger;
}

export interface StartAppOptions {
  createEngine(ctx: EngineContext): SyncEngineApi | Promise<SyncEngineApi>;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  argv?: string[];
  /** Settings, secrets, ledger and logs; default: the CLI's state dir, so both see the same data. */
  stateDir?: string;
  /** Where out/ and assets/ are; default app.getAppPath(). */
  appRoot?: string;
  /** Override the logger (tests); default a daily file log in <stateDir>/logs. */
  log?: Logger;
  /** How long quitting waits for engine.stop() before exiting anyway (default 20 s). */
  stopTimeoutMs?: number;
}

export interface RunningApp {
  engine: SyncEngineApi;
  settings: AppSettingsStore;
  secrets: SafeStorageSecretStore;
  tray: TrayController;
  push: RendererPush;
  notifier: Notifier;
  quit: QuitController;
  stateDir: string;
  logsDir: string;
  log: Logger;
  window(): BrowserWindow | null;
  openWindow(view?: AppView): BrowserWindow;
  /** Show the updater's progress in the window and the tray, and let both install a ready update. */
  setUpdater(updater: Pick<Updater, 'status' | 'onStatus' | 'installNow'>): void;
}

/** What the window and tray show of an update status: only a download under way or a ready update. */
export function updateView(s: UpdateStatus): UpdateView {
  if (s.state === 'ready') return { state: 'ready', version: s.version };
  if (s.state === 'downloading') return { state: 'downloading', version: s.version, percent: s.percent };
  return { state: 'none' };
}

export async function startApp(o: StartAppOptions): Promise<RunningApp | null> {
  const platform = o.platform ?? process.platform;
  const env = o.env ?? process.env;
  const argv = o.argv ?? process.argv;

  const instance = setupSingleInstance();
  if (!instance) return null;
  // Privileged schemes must be declared before 'ready'.
  registerAppScheme(protocol);
  // Closing the window is not quitting: the app lives in the tray and keeps syncing.
  app.on('window-all-closed', () => {});
  await app.whenReady();
  setupPlatform(platform);

  const stateDir = o.stateDir ?? defaultStateDir(env, platform);
  const logsDir = path.join(stateDir, 'logs');
  const log = o.log ?? createFileLogger(logsDir);
  log.info('app starting', { version: app.getVersion(), platform });
  const appRoot = o.appRoot ?? app.getAppPath();
  // The window's player reaches recordings through the engine, which starts after the page's scheme is set up.
  const forPage: { engine?: SyncEngineApi } = {};
  const origin = setupPage(appRoot, env, log, () => forPage.engine);
  const core = await setupCore(o, { stateDir, logsDir, log }, platform);
  const { engine, settings } = core;
  forPage.engine = engine;
  const parts: Shell = {
    ...core,
    platform,
    env,
    appRoot,
    push: new RendererPush(),
    win: null,
    update: { state: 'none' },
    installUpdate: () => false,
  };
  const applyLoginItem = setupLoginItem(parts);
  const quit = setupQuit(parts, o.stopTimeoutMs, () => tray.destroy());
  const openWindow = setupWindow(parts, origin, quit);
  const tray = setupTray(parts, openWindow, applyLoginItem);
  setupPowerMonitor(parts);
  const notifier = setupNotifications(parts, openWindow);
  setupEngineFanOut(parts, tray, notifier);
  setupIpc(parts, origin, tray, applyLoginItem);
  applyLoginItem(settings.get().startAtLogin);
  const setUpdater = setupUpdater(parts, tray);

  const running: RunningApp = {
    engine,
    settings,
    secrets: core.secrets,
    tray,
    push: parts.push,
    notifier,
    quit,
    stateDir,
    logsDir,
    log,
    window: () => parts.win,
    openWindow,
    setUpdater,
  };
  instance.onSecondInstance(() => openWindow());

  if (settings.problem) {
    void dialog.showMessageBox({
      type: 'warning',
      message: 'Plaud Sync could not use its settings file',
      detail: settings.problem,
      buttons: ['OK'],
    });
  }
  if (instance.launchedAgain() || !launchedHidden(argv, platform)) openWindow();
  log.info('app ready', { stateDir, hidden: launchedHidden(argv, platform) });
  return running;
}

/** What the steps share: the core parts, the one window, and the update shown in it. */
interface Shell extends Core {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  appRoot: string;
  push: RendererPush;
  win: BrowserWindow | null;
  /** The updater arrives after start-up (setUpdater); until then there is nothing to show or install. */
  update: UpdateView;
  installUpdate: () => boolean;
}

interface Core {
  stateDir: string;
  logsDir: string;
  log: Logger;
  settings: AppSettingsStore;
  secrets: SafeStorageSecretStore;
  engine: SyncEngineApi;
}

/** A second copy would fight over the ledger and the recorder: it hands over to the first one and quits. */
function setupSingleInstance(): { onSecondInstance(show: () => void): void; launchedAgain(): boolean } | null {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  let show: (() => void) | null = null;
  // A launch during start-up shows the window once it exists.
  let again = false;
  app.on('second-instance', () => {
    if (show) show();
    else again = true;
  });
  return {
    onSecondInstance: (fn) => void (show = fn),
    launchedAgain: () => again,
  };
}

function setupPlatform(platform: NodeJS.Platform): void {
  if (platform === 'win32') app.setAppUserModelId('ai.plaud.sync');
  if (platform === 'darwin') app.dock?.hide();
}

/** Settings, secrets and the engine, in the state folder the CLI shares. */
async function setupCore(
  o: StartAppOptions,
  where: Pick<Core, 'stateDir' | 'logsDir' | 'log'>,
  platform: NodeJS.Platform,
): Promise<Core> {
  const { stateDir, log } = where;
  const settings = openAppSettingsStore(stateDir, defaultLibraryDir(platform), log);
  const secrets = new SafeStorageSecretStore(stateDir, log, platform);
  const engine = await o.createEngine({ stateDir, settings: settings.get(), secrets, log });
  return { ...where, settings, secrets, engine };
}

/** Returns applyLoginItem(on): registers or removes the OS login item. */
function setupLoginItem(s: Shell): (on: boolean) => void {
  const loginEnv = {
    platform: s.platform,
    env: s.env,
    execPath: process.execPath,
    appArgs: app.isPackaged ? [] : [s.appRoot],
  };
  return (on) => {
    // An unpackaged run would register the bare Electron binary; only an installed app registers.
    if (!app.isPackaged) return s.log.info('start at login not registered (app is not packaged)', { on });
    try {
      setStartAtLogin(on, loginEnv);
    } catch (err) {
      s.log.error('could not change start at login', { err });
    }
  };
}

function setupQuit(s: Shell, stopTimeoutMs: number | undefined, destroyTray: () => void): QuitController {
  const quit = new QuitController({
    engine: s.engine,
    log: s.log,
    stopTimeoutMs,
    confirmQuitWhilePulling: async () => {
      const opts = {
        type: 'warning' as const,
        message: PULLING_WARNING,
        detail:
          'Quitting now stops the copy from the recorder. Nothing is lost: it starts again next time. To finish first, keep Plaud Sync running until it says it is safe to unplug.',
        buttons: ['Keep running', 'Quit anyway'],
        defaultId: 0,
        cancelId: 0,
      };
      const r =
        s.win && !s.win.isDestroyed() ? await dialog.showMessageBox(s.win, opts) : await dialog.showMessageBox(opts);
      return r.response === 1;
    },
    finalQuit: () => {
      s.push.flush();
      s.push.dispose();
      destroyTray();
      app.quit();
    },
  });
  app.on('before-quit', (e) => quit.onBeforeQuit(e));
  return quit;
}

/** Where the page comes from (app://, or the dev server in development) and what it may do; returns its origin. */
function setupPage(
  appRoot: string,
  env: NodeJS.ProcessEnv,
  log: Logger,
  engine: () => SyncEngineApi | undefined,
): RendererOrigin {
  const origin = resolveRendererOrigin({ isPackaged: app.isPackaged, env });
  const csp = contentSecurityPolicy(origin.devSources);
  if (origin.kind === 'app')
    protocol.handle(APP_SCHEME, rendererFiles(path.join(appRoot, 'out', 'renderer'), csp, engine));
  installCsp(session.defaultSession, csp);
  denyAllPermissions(session.defaultSession, log);
  return origin;
}

/** Returns openWindow(view?): creates the one window, or brings it back, and shows `view`. */
function setupWindow(s: Shell, origin: RendererOrigin, quit: QuitController): (view?: AppView) => BrowserWindow {
  const preloadPath = path.join(s.appRoot, 'out', 'preload', 'index.cjs');
  return (view) => {
    const { push, platform } = s;
    if (!s.win || s.win.isDestroyed()) {
      const win = createMainWindow({
        preloadPath,
        origin,
        log: s.log,
        isQuitting: () => quit.isQuitting(),
        show: true,
      });
      s.win = win;
      push.attach(win.webContents);
      if (platform === 'darwin' && app.dock) {
        // A menu-bar app: a Dock icon only while its window is open.
        win.on('show', () => void app.dock?.show());
        win.on('hide', () => app.dock?.hide());
      }
      push.state(s.engine.getState());
      if (s.update.state !== 'none') push.send('update:status', s.update);
      // A new window shows itself on 'ready-to-show' (no blank flash before the page paints).
    } else {
      revealWindow(s.win);
    }
    if (view) push.send('app:navigate', view);
    return s.win;
  };
}

function setupTray(
  s: Shell,
  openWindow: (view?: AppView) => BrowserWindow,
  applyLoginItem: (on: boolean) => void,
): TrayController {
  const { engine, settings, log } = s;
  const openFolder = async (dir: string) => {
    fs.mkdirSync(dir, { recursive: true });
    const err = await shell.openPath(dir);
    if (err) log.warn('could not open folder', { dir, err });
  };
  const tray: TrayController = new TrayController(
    {
      iconDir: path.join(s.appRoot, 'assets', 'tray'),
      platform: s.platform,
      startAtLogin: () => settings.get().startAtLogin,
      actions: {
        syncNow: () => void engine.syncNow().catch((err: unknown) => log.error('sync now failed', { err })),
        pause: () => engine.pause(),
        resume: () => engine.resume(),
        openWindow: () => openWindow(),
        openLibrary: () => void openFolder(settings.get().libraryDir),
        openSettings: () => openWindow('settings'),
        setStartAtLogin: (on) => {
          const next = settings.set({ startAtLogin: on });
          applyLoginItem(on);
          void engine.applySettings(next).catch((err: unknown) => log.error('applying settings failed', { err }));
          tray.refresh();
        },
        openLogs: () => void openFolder(s.logsDir),
        quit: () => app.quit(),
      },
    },
    engine.getState(),
  );
  return tray;
}

/**
 * After sleep, volumes may have come and gone without an event we saw, and the network may be back: look for
 * recorders and retry what waits now, instead of at the next periodic rescan or offline probe.
 */
function setupPowerMonitor(s: Shell): void {
  powerMonitor.on('resume', () => {
    s.log.info('resumed from sleep; syncing');
    void s.engine.syncNow().catch((err: unknown) => s.log.error('sync after resume failed', { err }));
  });
}

function setupNotifications(s: Shell, openWindow: () => void): Notifier {
  // Electron drops a notification's click handler once the object is garbage collected.
  const liveNotifications = new Set<Notification>();
  return new Notifier({
    enabled: () => s.settings.get().notifications,
    show: ({ title, body }) => {
      if (!Notification.isSupported()) return;
      const n = new Notification({ title, body });
      liveNotifications.add(n);
      n.on('click', () => openWindow());
      n.on('close', () => liveNotifications.delete(n));
      n.show();
      if (liveNotifications.size > 20) liveNotifications.delete(liveNotifications.values().next().value!);
    },
  });
}

/** The engine's state and events go to the window, the tray and the notifier. */
function setupEngineFanOut(s: Shell, tray: TrayController, notifier: Notifier): void {
  s.engine.onState((state) => {
    s.push.state(state);
    tray.update(state);
    notifier.observe(state);
  });
  notifier.observe(s.engine.getState());
  s.engine.onEvent((e) => {
    s.push.send('engine:event', e);
    notifier.handle(e);
  });
}

function setupIpc(s: Shell, origin: RendererOrigin, tray: TrayController, applyLoginItem: (on: boolean) => void): void {
  registerWindowIpc({
    engine: s.engine,
    settings: s.settings,
    secrets: s.secrets,
    log: s.log,
    origin,
    webContents: () => (s.win && !s.win.isDestroyed() ? s.win.webContents : null),
    openPath: (p) => shell.openPath(p),
    showItemInFolder: (p) => shell.showItemInFolder(p),
    chooseFolder: async (defaultPath) => {
      const opts = {
        title: 'Choose the library folder',
        defaultPath,
        properties: ['openDirectory' as const, 'createDirectory' as const],
      };
      const r =
        s.win && !s.win.isDestroyed() ? await dialog.showOpenDialog(s.win, opts) : await dialog.showOpenDialog(opts);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    onSettingsChanged: (next, prev) => {
      if (next.startAtLogin !== prev.startAtLogin) applyLoginItem(next.startAtLogin);
      tray.refresh();
    },
    installUpdate: () => s.installUpdate(),
  });
}

/** Returns setUpdater: the updater's progress shown in the window and the tray, and both can install a ready update. */
function setupUpdater(s: Shell, tray: TrayController): RunningApp['setUpdater'] {
  return (updater) => {
    s.installUpdate = () => updater.installNow();
    const show = (status: UpdateStatus) => {
      const next = updateView(status);
      // Download progress comes in small steps; the window hears of whole percents and state changes only.
      if (JSON.stringify(next) === JSON.stringify(s.update)) return;
      s.update = next;
      tray.setReadyUpdate(
        next.state === 'ready' ? { version: next.version, install: () => void s.installUpdate() } : undefined,
      );
      if (s.win && !s.win.isDestroyed()) s.push.send('update:status', next);
    };
    updater.onStatus(show);
    show(updater.status());
  };
}
