// The one window. Hardened: isolated, sandboxed, no Node in the page, our own page only, no
// navigation, no popups, no permissions. Closing it hides it: the app keeps syncing in the tray.
import { BrowserWindow, type Session, type WebPreferences } from 'electron';
import type { Logger } from '../sync/log.js';
import type { RendererOrigin } from './origin.js';

export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  };
}

/** Refuses every permission (camera, notifications from the page, geolocation, ...); the page needs none. */
export function denyAllPermissions(
  ses: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>,
  log: Logger,
): void {
  ses.setPermissionRequestHandler((_wc, permission, callback) => {
    log.warn('window permission request denied', { permission });
    callback(false);
  });
  ses.setPermissionCheckHandler(() => false);
}

export interface MainWindowOptions {
  preloadPath: string;
  origin: RendererOrigin;
  log: Logger;
  /** Whether the app is quitting: then closing really closes. */
  isQuitting(): boolean;
  show: boolean;
}

export function createMainWindow(o: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1040,
    height: 720,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'Plaud Sync',
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(o.preloadPath),
  });
  const wc = win.webContents;

  // Nothing may replace our page: links, drag-and-drop of a file, a redirect, a <webview>.
  wc.on('will-navigate', (event, url) => {
    event.preventDefault();
    o.log.warn('window navigation denied', { url });
  });
  wc.on('will-redirect', (event, url) => {
    event.preventDefault();
    o.log.warn('window redirect denied', { url });
  });
  wc.on('will-attach-webview', (event) => {
    event.preventDefault();
    o.log.warn('webview denied');
  });
  wc.setWindowOpenHandler(({ url }) => {
    o.log.warn('window.open denied', { url });
    return { action: 'deny' };
  });

  win.on('close', (event) => {
    if (o.isQuitting()) return;
    event.preventDefault();
    win.hide();
  });
  if (o.show)
    win.once('ready-to-show', () => {
      win.show();
      win.focus();
    });

  void win.loadURL(o.origin.entryUrl).catch((err: unknown) => o.log.error('window failed to load', { err }));
  return win;
}

/** Brings the window to the front (a second launch, the tray, a notification click). */
export function revealWindow(win: BrowserWindow): void {
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
