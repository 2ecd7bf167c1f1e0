// Auto-update with electron-updater: check on start and once a day, download in the background,
// install when the app quits (or when the user picks "Restart to update"). Off in development
// (app not packaged) and when no update feed is configured.
//
// Where the feed comes from, first match wins:
//   1. `feed` passed by the caller (tests; nothing in the app passes one today),
//   2. resources/app-update.yml, written by electron-builder when the release was built with a feed
//      (PLAUD_UPDATE_URL / PLAUD_UPDATE_GITHUB given to scripts/dist.ts at build time).
// The environment cannot repoint an installed app: PLAUD_UPDATE_* at run time are ignored (and
// logged), since whoever can set a user's environment could otherwise choose the code it runs next.
// Updates are code we will run: a feed URL must be https (plain http only on loopback, for testing),
// and electron-updater's signature checks apply to whatever feed (docs/window-security.md).
import fs from 'node:fs';
import path from 'node:path';
import { nullLogger, redactString, type Logger } from '../sync/log.js';

export type UpdateFeed =
  { provider: 'generic'; url: string; channel?: string } | { provider: 'github'; owner: string; repo: string };

export type UpdateStatus =
  | { state: 'disabled'; reason: 'development' | 'unconfigured' | 'invalid-config'; detail?: string }
  | { state: 'idle'; checkedAt?: number }
  | { state: 'checking' }
  | { state: 'downloading'; version: string; percent: number }
  /** Downloaded and verified; installs when the app quits, or now via installNow(). */
  | { state: 'ready'; version: string }
  | { state: 'error'; message: string; checkedAt: number };

/** The part of electron-updater's AppUpdater this module uses (same names and semantics). */
export interface AutoUpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  logger: { info(m: unknown): void; warn(m: unknown): void; error(m: unknown): void; debug?(m: string): void } | null;
  setFeedURL(options: UpdateFeed): void;
  /** Path of the app-update.yml it reads (cache folder name, Windows publisher) when downloading. */
  updateConfigPath: string | null;
  checkForUpdates(): Promise<{ downloadPromise?: Promise<unknown> | null } | null>;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
}

export interface Updater {
  status(): UpdateStatus;
  /** Called on every status change; returns an unsubscribe function. */
  onStatus(listener: (s: UpdateStatus) => void): () => void;
  /** Checks now (the tray's "Check for updates"); resolves with the status after the check. No-op when disabled. */
  checkNow(): Promise<UpdateStatus>;
  /** Quits and installs a downloaded update now. Returns false (and does nothing) unless status is 'ready'. */
  installNow(): boolean;
  /** Stops the daily timer and detaches from the updater. */
  stop(): void;
}

export interface UpdaterOptions {
  /** Electron's app (default: imported from 'electron'). */
  app?: { readonly isPackaged: boolean; getPath(name: 'userData'): string };
  env?: NodeJS.ProcessEnv;
  /** Where app-update.yml lives in a packaged app (process.resourcesPath). */
  resourcesPath?: string;
  feed?: UpdateFeed;
  log?: Logger;
  /** Returns electron-updater's autoUpdater; only called when the updater is enabled. */
  loadAutoUpdater?: () => Promise<AutoUpdaterLike>;
  /** Delay of the first check after start, so it does not compete with start-up work. */
  initialDelayMs?: number;
  intervalMs?: number;
  timers?: {
    setTimeout(fn: () => void, ms: number): unknown;
    setInterval(fn: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
    clearInterval(handle: unknown): void;
  };
}

export const DAY_MS = 24 * 60 * 60 * 1000;
/** Build-time inputs (scripts/dist.ts); an installed app ignores them at run time. */
export const ENV_FEED_VARIABLES = ['PLAUD_UPDATE_URL', 'PLAUD_UPDATE_GITHUB', 'PLAUD_UPDATE_CHANNEL'] as const;

export type FeedResolution =
  | { kind: 'feed'; feed: UpdateFeed; source: 'option' }
  | { kind: 'bundled'; path: string }
  | { kind: 'none' }
  | { kind: 'invalid'; detail: string };

/** Checks a generic feed URL: https, or http only to this machine. */
export function checkFeedUrl(raw: string): { ok: true; url: string } | { ok: false; detail: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, detail: `PLAUD_UPDATE_URL is not a URL: "${raw}"` };
  }
  const loopback = u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]';
  if (u.protocol === 'https:' || (u.protocol === 'http:' && loopback)) {
    // electron-updater resolves file names against the URL: make it a folder.
    return { ok: true, url: u.href.endsWith('/') ? u.href : `${u.href}/` };
  }
  return {
    ok: false,
    detail: `the update feed must use https (got ${u.protocol}//${u.host}); updates are code the app will run`,
  };
}

export function resolveFeed(opts: { feed?: UpdateFeed; resourcesPath?: string }): FeedResolution {
  if (opts.feed) {
    if (opts.feed.provider === 'generic') {
      const c = checkFeedUrl(opts.feed.url);
      return c.ok
        ? { kind: 'feed', feed: { ...opts.feed, url: c.url }, source: 'option' }
        : { kind: 'invalid', detail: c.detail };
    }
    return { kind: 'feed', feed: opts.feed, source: 'option' };
  }
  if (opts.resourcesPath) {
    const p = path.join(opts.resourcesPath, 'app-update.yml');
    if (fs.existsSync(p)) return { kind: 'bundled', path: p };
  }
  return { kind: 'none' };
}

async function loadElectronUpdater(): Promise<AutoUpdaterLike> {
  // electron-updater is CommonJS; its `autoUpdater` is a lazy getter that builds the platform's updater.
  const mod = (await import('electron-updater')) as unknown as {
    default?: { autoUpdater: unknown };
    autoUpdater?: unknown;
  };
  return (mod.default?.autoUpdater ?? mod.autoUpdater) as AutoUpdaterLike;
}

export const UPDATER_CACHE_DIR = 'plaud-sync-updater';

/** Writes the app-update.yml electron-updater needs when the feed came from the environment or settings. */
export function writeUpdateConfig(userDataDir: string, feed: UpdateFeed): string {
  const lines = Object.entries({ ...feed, updaterCacheDirName: UPDATER_CACHE_DIR }).map(
    ([k, v]) => `${k}: ${JSON.stringify(v)}`,
  );
  const file = path.join(userDataDir, 'app-update.yml');
  fs.mkdirSync(userDataDir, { recursive: true });
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function errorMessage(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  // electron-updater puts whole HTTP answers in messages; keep the first line.
  return redactString(raw.split('\n')[0] ?? raw).slice(0, 300);
}

function disabledUpdater(status: UpdateStatus): Updater {
  return {
    status: () => status,
    onStatus: () => () => {},
    checkNow: async () => status,
    installNow: () => false,
    stop: () => {},
  };
}

/** Sets up the updater and schedules the checks. Never throws: a broken setup yields a disabled updater. */
export async function startUpdater(opts: UpdaterOptions = {}): Promise<Updater> {
  const log = opts.log ?? nullLogger;
  // Imported lazily so this module (and checkFeedUrl, used by scripts/dist.ts) loads outside Electron.
  const app = opts.app ?? (await import('electron')).app;
  const timers = opts.timers ?? {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms).unref(),
    setInterval: (fn: () => void, ms: number) => setInterval(fn, ms).unref(),
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
    clearInterval: (h: unknown) => clearInterval(h as NodeJS.Timeout),
  };

  if (!app.isPackaged) {
    log.debug('updates off: development build');
    return disabledUpdater({ state: 'disabled', reason: 'development' });
  }
  const env = opts.env ?? process.env;
  const ignored = ENV_FEED_VARIABLES.filter((k) => env[k]?.trim());
  if (ignored.length > 0)
    log.warn(
      'update feed from the environment ignored: an installed app updates only from the feed it was built with',
      { ignored },
    );
  const resolution = resolveFeed({ feed: opts.feed, resourcesPath: opts.resourcesPath ?? process.resourcesPath });
  if (resolution.kind === 'none') {
    log.info('updates off: no update feed configured');
    return disabledUpdater({ state: 'disabled', reason: 'unconfigured' });
  }
  if (resolution.kind === 'invalid') {
    log.warn('updates off: invalid update feed', { detail: resolution.detail });
    return disabledUpdater({ state: 'disabled', reason: 'invalid-config', detail: resolution.detail });
  }

  let au: AutoUpdaterLike;
  try {
    au = await (opts.loadAutoUpdater ?? loadElectronUpdater)();
  } catch (err) {
    log.error('updates off: electron-updater failed to load', { error: errorMessage(err) });
    return disabledUpdater({ state: 'disabled', reason: 'invalid-config', detail: errorMessage(err) });
  }
  au.autoDownload = true;
  au.autoInstallOnAppQuit = true;
  au.logger = {
    info: (m) => log.debug(`updater: ${redactString(String(m))}`),
    warn: (m) => log.warn(`updater: ${redactString(String(m))}`),
    error: (m) => log.warn(`updater: ${errorMessage(m)}`),
    debug: (m) => log.debug(`updater: ${redactString(m)}`),
  };
  if (resolution.kind === 'feed') {
    // electron-updater reads app-update.yml when it downloads (cache folder name). A build made without a
    // feed has none, so write one next to the settings; a bundled one is kept (it names the Windows signer).
    const bundled = resolveFeed({ resourcesPath: opts.resourcesPath ?? process.resourcesPath });
    if (bundled.kind !== 'bundled') {
      try {
        au.updateConfigPath = writeUpdateConfig(app.getPath('userData'), resolution.feed);
      } catch (err) {
        log.error('updates off: cannot write the update config', { error: errorMessage(err) });
        return disabledUpdater({ state: 'disabled', reason: 'invalid-config', detail: errorMessage(err) });
      }
    }
    au.setFeedURL(resolution.feed);
  }
  log.info(
    'updates on',
    resolution.kind === 'feed'
      ? { provider: resolution.feed.provider, source: resolution.source }
      : { source: 'app-update.yml' },
  );

  let status: UpdateStatus = { state: 'idle' };
  const listeners = new Set<(s: UpdateStatus) => void>();
  const set = (s: UpdateStatus): void => {
    status = s;
    for (const l of [...listeners]) {
      try {
        l(s);
      } catch (err) {
        log.warn('update status listener failed', { error: errorMessage(err) });
      }
    }
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const handlers: Record<string, (...args: any[]) => void> = {
    'checking-for-update': () => {
      if (status.state !== 'ready') set({ state: 'checking' });
    },
    'update-available': (info: { version: string }) => set({ state: 'downloading', version: info.version, percent: 0 }),
    'update-not-available': () => set({ state: 'idle', checkedAt: Date.now() }),
    'download-progress': (p: { percent: number }) => {
      if (status.state !== 'downloading') return;
      const percent = Math.floor(p.percent);
      if (percent !== status.percent) set({ ...status, percent });
    },
    'update-downloaded': (info: { version: string }) => {
      log.info('update downloaded; installs on quit', { version: info.version });
      set({ state: 'ready', version: info.version });
    },
    error: (err: unknown) => {
      // A failed check or download is retried at the next daily check; a ready update stays ready.
      log.warn('update check failed', { error: errorMessage(err) });
      if (status.state !== 'ready') set({ state: 'error', message: errorMessage(err), checkedAt: Date.now() });
    },
  };
  for (const [ev, h] of Object.entries(handlers)) au.on(ev, h);

  let inFlight: Promise<UpdateStatus> | null = null;
  const checkNow = (): Promise<UpdateStatus> => {
    if (status.state === 'ready') return Promise.resolve(status);
    inFlight ??= (async () => {
      const before = status;
      try {
        const result = await au.checkForUpdates();
        // The download runs on; its failure is reported through the 'error' event.
        result?.downloadPromise?.catch(() => {});
      } catch (err) {
        // electron-updater usually emits 'error' as well as rejecting: report the failure once.
        if (status === before || status.state !== 'error') handlers.error!(err);
      } finally {
        inFlight = null;
      }
      return status;
    })();
    return inFlight;
  };

  const first = timers.setTimeout(() => void checkNow(), opts.initialDelayMs ?? 10_000);
  const daily = timers.setInterval(() => void checkNow(), opts.intervalMs ?? DAY_MS);

  return {
    status: () => status,
    onStatus(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    checkNow,
    installNow() {
      if (status.state !== 'ready') return false;
      log.info('installing update now', { version: status.version });
      au.quitAndInstall(false, true);
      return true;
    },
    stop() {
      timers.clearTimeout(first);
      timers.clearInterval(daily);
      for (const [ev, h] of Object.entries(handlers)) au.removeListener(ev, h);
      listeners.clear();
    },
  };
}
