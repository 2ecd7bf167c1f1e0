// The Electron main process, assembled: single instance, tray, window, IPC, notifications,
// settings and secrets around one sync engine. The engine comes from a factory so the app stays
// thin glue (and a test can hand in its own engine).
import fs from 'node:fs';
import path from 'node:path';
import { BrowserWindow, Notification, app, dialog, powerMonitor, session, shell } from 'electron';
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
import { resolveRendererOrigin } from './origin.js';
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

  // A second copy would fight over the ledger and the recorder: hand over to the first one.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  let win: BrowserWindow | null = null;
  let running: RunningApp | null = null;
  let revealWhenReady = false;
  app.on('second-instance', () => {
    if (running) running.openWindow();
    else revealWhenReady = true;
  });
  // Closing the window is not quitting: the app lives in the tray and keeps syncing.
  app.on('window-all-closed', () => {});

  await app.whenReady();
  if (platform === 'win32') app.setAppUserModelId('ai.plaud.sync');
  if (platform === 'darwin') app.dock?.hide();

  const stateDir = o.stateDir ?? defaultStateDir(env, platform);
  const logsDir = path.join(stateDir, 'logs');
  const log = o.log ?? createFileLogger(logsDir);
  log.info('app starting', { version: app.getVersion(), platform });

  const appRoot = o.appRoot ?? app.getAppPath();
  const origin = resolveRendererOrigin({ isPackaged: app.isPackaged, env, rendererIndex: path.join(appRoot, 'out', 'renderer', 'index.html') });
  const preloadPath = path.join(appRoot, 'out', 'preload', 'index.cjs');
  installCsp(session.defaultSession, contentSecurityPolicy(origin.devSources));
  denyAllPermissions(session.defaultSession, log);

  const settings = openAppSettingsStore(stateDir, defaultLibraryDir(platform), log);
  const secrets = new SafeStorageSecretStore(stateDir, log, platform);
  const engine = await o.createEngine({ stateDir, settings: settings.get(), secrets, log });

  const loginEnv = { platform, env, execPath: process.execPath, appArgs: app.isPackaged ? [] : [appRoot] };
  const applyLoginItem = (on: boolean) => {
    // An unpackaged run would register the bare Electron binary; only an installed app registers.
    if (!app.isPackaged) return log.info('start at login not registered (app is not packaged)', { on });
    try {
      setStartAtLogin(on, loginEnv);
    } catch (err) {
      log.error('could not change start at login', { err });
    }
  };

  const push = new RendererPush();
  // The updater arrives after start-up (setUpdater); until then there is nothing to show or install.
  let update: UpdateView = { state: 'none' };
  let installUpdate: () => boolean = () => false;
  const quit = new QuitController({
    engine,
    log,
    stopTimeoutMs: o.stopTimeoutMs,
    confirmQuitWhilePulling: async () => {
      const opts = {
        type: 'warning' as const,
        message: PULLING_WARNING,
        detail: 'Quitting now stops the copy from the recorder. Nothing is lost: it starts again next time. To finish first, keep Plaud Sync running until it says it is safe to unplug.',
        buttons: ['Keep running', 'Quit anyway'],
        defaultId: 0,
        cancelId: 0,
      };
      const r = win && !win.isDestroyed() ? await dialog.showMessageBox(win, opts) : await dialog.showMessageBox(opts);
      return r.response === 1;
    },
    finalQuit: () => {
      push.flush();
      push.dispose();
      tray.destroy();
      app.quit();
    },
  });
  app.on('before-quit', (e) => quit.onBeforeQuit(e));

  const openWindow = (view?: AppView): BrowserWindow => {
    if (!win || win.isDestroyed()) {
      win = createMainWindow({ preloadPath, origin, log, isQuitting: () => quit.isQuitting(), show: true });
      push.attach(win.webContents);
      if (platform === 'darwin' && app.dock) {
        // A menu-bar app: a Dock icon only while its window is open.
        win.on('show', () => void app.dock?.show());
        win.on('hide', () => app.dock?.hide());
      }
      push.state(engine.getState());
      if (update.state !== 'none') push.send('update:status', update);
      // A new window shows itself on 'ready-to-show' (no blank flash before the page paints).
    } else {
      revealWindow(win);
    }
    if (view) push.send('app:navigate', view);
    return win;
  };

  const openFolder = async (dir: string) => {
    fs.mkdirSync(dir, { recursive: true });
    const err = await shell.openPath(dir);
    if (err) log.warn('could not open folder', { dir, err });
  };

  const tray = new TrayController(
    {
      iconDir: path.join(appRoot, 'assets', 'tray'),
      platform,
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
        openLogs: () => void openFolder(logsDir),
        quit: () => app.quit(),
      },
    },
    engine.getState(),
  );

  // After sleep, volumes may have come and gone without an event we saw, and the network may be back: look for
  // recorders and retry what waits now, instead of at the next periodic rescan or offline probe.
  powerMonitor.on('resume', () => {
    log.info('resumed from sleep; syncing');
    void engine.syncNow().catch((err: unknown) => log.error('sync after resume failed', { err }));
  });

  // Electron drops a notification's click handler once the object is garbage collected.
  const liveNotifications = new Set<Notification>();
  const notifier = new Notifier({
    enabled: () => settings.get().notifications,
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

  engine.onState((s) => {
    push.state(s);
    tray.update(s);
    notifier.observe(s);
  });
  notifier.observe(engine.getState());
  engine.onEvent((e) => {
    push.send('engine:event', e);
    notifier.handle(e);
  });

  registerWindowIpc({
    engine,
    settings,
    secrets,
    log,
    origin,
    webContents: () => (win && !win.isDestroyed() ? win.webContents : null),
    openPath: (p) => shell.openPath(p),
    chooseFolder: async (defaultPath) => {
      const opts = { title: 'Choose the library folder', defaultPath, properties: ['openDirectory' as const, 'createDirectory' as const] };
      const r = win && !win.isDestroyed() ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    onSettingsChanged: (next, prev) => {
      if (next.startAtLogin !== prev.startAtLogin) applyLoginItem(next.startAtLogin);
      tray.refresh();
    },
    installUpdate: () => installUpdate(),
  });

  applyLoginItem(settings.get().startAtLogin);

  const setUpdater: RunningApp['setUpdater'] = (updater) => {
    installUpdate = () => updater.installNow();
    const show = (s: UpdateStatus) => {
      const next = updateView(s);
      // Download progress comes in small steps; the window hears of whole percents and state changes only.
      if (JSON.stringify(next) === JSON.stringify(update)) return;
      update = next;
      tray.setReadyUpdate(next.state === 'ready' ? { version: next.version, install: () => void installUpdate() } : undefined);
      if (win && !win.isDestroyed()) push.send('update:status', next);
    };
    updater.onStatus(show);
    show(updater.status());
  };

  running = { engine, settings, secrets, tray, push, notifier, quit, stateDir, logsDir, log, window: () => win, openWindow, setUpdater };

  if (settings.problem) {
    void dialog.showMessageBox({ type: 'warning', message: 'Plaud Sync could not use its settings file', detail: settings.problem, buttons: ['OK'] });
  }
  if (revealWhenReady || !launchedHidden(argv, platform)) openWindow();
  log.info('app ready', { stateDir, hidden: launchedHidden(argv, platform) });
  return running;
}
