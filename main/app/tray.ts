// The tray icon and its menu, rebuilt from the engine state (and once a minute, so "Synced 3 min
// ago" stays true). The menu's items and order are fixed; only labels, checks and enabled flags move.
import path from 'node:path';
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import type { EngineState } from '../sync/engine/state.js';
import { SyncRunTracker, trayView, type TrayIconState, type TrayView } from './tray-state.js';

export interface TrayActions {
  syncNow(): void;
  pause(): void;
  resume(): void;
  openWindow(): void;
  openLibrary(): void;
  openSettings(): void;
  setStartAtLogin(on: boolean): void;
  openLogs(): void;
  quit(): void;
}

export interface TrayControllerOptions {
  iconDir: string;
  platform: NodeJS.Platform;
  actions: TrayActions;
  startAtLogin(): boolean;
  now?: () => number;
}

/** macOS menu bar icons are template images (black + alpha, tinted by the OS); elsewhere coloured. */
export function trayIconPath(iconDir: string, state: TrayIconState, platform: NodeJS.Platform): string {
  return path.join(iconDir, platform === 'darwin' ? `${state}Template.png` : `${state}.png`);
}

/** A downloaded update, offered in the menu until it is installed (it also installs on quit by itself). */
export interface ReadyUpdate {
  version: string;
  install(): void;
}

export function trayMenuTemplate(
  view: TrayView,
  s: EngineState,
  startAtLogin: boolean,
  a: TrayActions,
  update?: ReadyUpdate,
): MenuItemConstructorOptions[] {
  const updateItems: MenuItemConstructorOptions[] = update
    ? [
        { id: 'install-update', label: `Restart to install version ${update.version}`, click: () => update.install() },
        { type: 'separator' },
      ]
    : [];
  return [
    { id: 'status', label: view.status, enabled: false },
    { type: 'separator' },
    { id: 'sync-now', label: 'Sync now', enabled: !s.paused, click: () => a.syncNow() },
    s.paused
      ? { id: 'pause-resume', label: 'Resume', click: () => a.resume() }
      : { id: 'pause-resume', label: 'Pause', click: () => a.pause() },
    { type: 'separator' },
    { id: 'open-window', label: 'Open Plaud Sync', click: () => a.openWindow() },
    { id: 'open-library', label: 'Open library folder', click: () => a.openLibrary() },
    { type: 'separator' },
    { id: 'settings', label: 'Settings', click: () => a.openSettings() },
    {
      id: 'start-at-login',
      label: 'Start at login',
      type: 'checkbox',
      checked: startAtLogin,
      click: (item) => a.setStartAtLogin(item.checked),
    },
    { id: 'open-logs', label: 'Open logs folder', click: () => a.openLogs() },
    { type: 'separator' },
    ...updateItems,
    { id: 'quit', label: 'Quit', click: () => a.quit() },
  ];
}

export class TrayController {
  readonly tray: Tray;
  private readonly run = new SyncRunTracker();
  private readonly images = new Map<TrayIconState, NativeImage>();
  private last: EngineState | null = null;
  private iconState: TrayIconState | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private readyUpdate: ReadyUpdate | undefined;

  constructor(
    private readonly o: TrayControllerOptions,
    initial: EngineState,
  ) {
    this.now = o.now ?? Date.now;
    this.tray = new Tray(this.image('idle'));
    // On Windows and Linux a left click opens the window; macOS opens the menu itself.
    this.tray.on('click', () => {
      if (o.platform !== 'darwin') o.actions.openWindow();
    });
    this.update(initial);
    this.timer = setInterval(() => this.refresh(), 60_000);
    this.timer.unref();
  }

  update(s: EngineState): void {
    this.last = s;
    this.render(s);
  }

  /** Offer a downloaded update in the menu (undefined: none ready). */
  setReadyUpdate(update: ReadyUpdate | undefined): void {
    this.readyUpdate = update;
    this.refresh();
  }

  /** Re-render after time passed or something outside the state changed (the login item checkbox). */
  refresh(): void {
    if (this.last) this.render(this.last);
  }

  destroy(): void {
    clearInterval(this.timer);
    this.tray.destroy();
  }

  private render(s: EngineState): void {
    // observe() is idempotent for the same state, so re-rendering does not count a run twice.
    const view = trayView(s, this.run.observe(s), this.now());
    if (view.icon !== this.iconState) {
      this.tray.setImage(this.image(view.icon));
      this.iconState = view.icon;
    }
    this.tray.setToolTip(view.tooltip);
    this.tray.setContextMenu(
      Menu.buildFromTemplate(trayMenuTemplate(view, s, this.o.startAtLogin(), this.o.actions, this.readyUpdate)),
    );
  }

  private image(state: TrayIconState): NativeImage {
    let img = this.images.get(state);
    if (!img) {
      img = nativeImage.createFromPath(trayIconPath(this.o.iconDir, state, this.o.platform));
      if (this.o.platform === 'darwin') img.setTemplateImage(true);
      this.images.set(state, img);
    }
    return img;
  }
}
