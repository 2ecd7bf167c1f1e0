// A stand-in for the `electron` module (the binary cannot run here), shaped like Electron 39's
// main-process API for the parts the app uses. It records what the app did (windows, tray, menus,
// notifications, sent messages, stored login items) and lets a test drive what the OS would do
// (a second launch, a page load, an IPC call from a given frame, a permission request).
//
// Use it with:  vi.mock('electron', () => import('../support/electron-mock.js'));
// and reset between tests with __mock.reset().
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The event object Electron passes to preventable events. */
export class MockEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

// ---------------------------------------------------------------------------------------------
// nativeImage

export class NativeImage {
  private template = false;
  constructor(
    readonly sourcePath: string,
    private readonly size: { width: number; height: number } | null,
  ) {}
  isEmpty(): boolean {
    return this.size === null;
  }
  getSize(): { width: number; height: number } {
    return this.size ?? { width: 0, height: 0 };
  }
  setTemplateImage(option: boolean): void {
    this.template = option;
  }
  isTemplateImage(): boolean {
    return this.template;
  }
}

function pngSize(file: string): { width: number; height: number } | null {
  // Like Electron: a missing or unreadable file yields an empty image, not an exception.
  try {
    const b = fs.readFileSync(file);
    if (b.length < 24 || b.readUInt32BE(0) !== 0x89504e47 || b.toString('latin1', 12, 16) !== 'IHDR') return null;
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  } catch {
    return null;
  }
}

export const nativeImage = {
  createFromPath(p: string): NativeImage {
    const img = new NativeImage(p, pngSize(p));
    // Electron marks files named *Template.png / *Template@2x.png as template images on macOS.
    if (/Template(@\dx)?\.png$/.test(p)) img.setTemplateImage(true);
    return img;
  },
  createEmpty(): NativeImage {
    return new NativeImage('', null);
  },
};

// ---------------------------------------------------------------------------------------------
// Sessions

export interface HeadersReceivedDetails {
  url: string;
  resourceType?: string;
  responseHeaders?: Record<string, string[]>;
}
type HeadersListener = (
  details: HeadersReceivedDetails,
  callback: (r: { cancel?: boolean; responseHeaders?: Record<string, string[]> }) => void,
) => void;
type PermissionRequestHandler = (
  wc: WebContents,
  permission: string,
  callback: (granted: boolean) => void,
  details: Record<string, unknown>,
) => void;
type PermissionCheckHandler = (
  wc: WebContents | null,
  permission: string,
  origin: string,
  details: Record<string, unknown>,
) => boolean;

export class Session {
  permissionRequestHandler: PermissionRequestHandler | null = null;
  permissionCheckHandler: PermissionCheckHandler | null = null;
  headersListener: HeadersListener | null = null;
  readonly webRequest = {
    onHeadersReceived: (filterOrListener: unknown, maybeListener?: HeadersListener | null) => {
      this.headersListener = (
        typeof filterOrListener === 'function' ? filterOrListener : (maybeListener ?? null)
      ) as HeadersListener | null;
    },
  };
  setPermissionRequestHandler(handler: PermissionRequestHandler | null): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: PermissionCheckHandler | null): void {
    this.permissionCheckHandler = handler;
  }
}

export const session = {
  defaultSession: new Session(),
  fromPartition(_p: string): Session {
    return new Session();
  },
};

// ---------------------------------------------------------------------------------------------
// protocol (the default session's)

const BUILTIN_SCHEMES = new Set(['http', 'https', 'file', 'data', 'about', 'blob', 'devtools', 'chrome']);
type ProtocolHandler = (request: Request) => Response | Promise<Response>;
interface CustomScheme {
  scheme: string;
  privileges?: {
    standard?: boolean;
    secure?: boolean;
    bypassCSP?: boolean;
    allowServiceWorkers?: boolean;
    supportFetchAPI?: boolean;
    corsEnabled?: boolean;
    stream?: boolean;
    codeCache?: boolean;
  };
}

class Protocol {
  readonly handlers = new Map<string, ProtocolHandler>();
  /** Test record: the schemes registered as privileged (before ready). */
  privileged: CustomScheme[] = [];
  registerSchemesAsPrivileged(customSchemes: CustomScheme[]): void {
    if (app.isReady()) throw new Error('protocol.registerSchemesAsPrivileged should be called before app is ready');
    this.privileged.push(...structuredClone(customSchemes));
  }
  handle(scheme: string, handler: ProtocolHandler): void {
    if (!app.isReady()) throw new Error('protocol.handle must be called after the app is ready');
    if (this.handlers.has(scheme)) throw new Error(`Failed to register protocol: ${scheme}`);
    this.handlers.set(scheme, handler);
  }
  unhandle(scheme: string): void {
    this.handlers.delete(scheme);
  }
  isProtocolHandled(scheme: string): boolean {
    return this.handlers.has(scheme);
  }
}
export const protocol = new Protocol();

// ---------------------------------------------------------------------------------------------
// WebContents, frames, windows

export class WebFrameMain {
  parent: WebFrameMain | null = null;
  constructor(
    public url: string,
    readonly routingId: number,
  ) {}
}

let nextId = 1;

export class WebContents extends EventEmitter {
  readonly id = nextId++;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  windowOpenHandler:
    | ((details: { url: string; frameName: string; features: string; disposition: string }) => {
        action: 'allow' | 'deny';
      })
    | null = null;
  readonly mainFrame: WebFrameMain;
  private destroyed = false;
  private loading = false;
  constructor(readonly session: Session) {
    super();
    this.mainFrame = new WebFrameMain('', this.id * 100);
  }
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    // Electron serialises with the structured clone algorithm: functions cannot cross.
    this.sent.push({ channel, args: structuredClone(args) });
  }
  setWindowOpenHandler(handler: WebContents['windowOpenHandler']): void {
    this.windowOpenHandler = handler;
  }
  getURL(): string {
    return this.mainFrame.url;
  }
  isLoading(): boolean {
    return this.loading;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Test helper (WebContents has no destroy()): its window was destroyed. */
  simulateDestroyed(): void {
    this.destroyed = true;
    this.emit('destroyed');
  }
  focus(): void {}
  openDevTools(): void {}
  async loadURL(url: string): Promise<void> {
    this.loading = true;
    this.mainFrame.url = url;
    this.emit('did-start-loading');
    // Like Chromium: a custom scheme is fetched through its protocol.handle handler (an error answer
    // fails the load), and a scheme nobody handles cannot load at all.
    const scheme = url.slice(0, Math.max(0, url.indexOf(':')));
    const handler = protocol.handlers.get(scheme);
    if (handler || !BUILTIN_SCHEMES.has(scheme)) {
      const res = handler ? await handler(new Request(url)) : null;
      if (!res?.ok) {
        this.loading = false;
        const [code, name] = res ? [-6, 'ERR_FILE_NOT_FOUND'] : [-302, 'ERR_UNKNOWN_URL_SCHEME'];
        this.emit('did-fail-load', new MockEvent(), code, name, url, true);
        throw new Error(`${name} (${code}) loading '${url}'`);
      }
    }
    if (!mockState.autoFinishLoad) return;
    await new Promise((r) => setImmediate(r));
    this.finishLoad();
  }
  /** Test helper: the page finished loading. */
  finishLoad(): void {
    this.loading = false;
    this.emit('dom-ready');
    this.emit('did-finish-load');
  }
  /** Test helper: the page tried to navigate; returns true if the app let it happen. */
  attemptNavigation(url: string): boolean {
    const e = new MockEvent();
    this.emit('will-navigate', e, url);
    if (e.defaultPrevented) return false;
    this.mainFrame.url = url;
    return true;
  }
  /** Test helper: window.open from the page; returns what the handler decided. */
  attemptWindowOpen(url: string): 'allow' | 'deny' {
    if (!this.windowOpenHandler) return 'allow'; // Electron's default is to allow.
    return this.windowOpenHandler({ url, frameName: '', features: '', disposition: 'new-window' }).action;
  }
}

export interface BrowserWindowOptions {
  show?: boolean;
  width?: number;
  height?: number;
  webPreferences?: Record<string, unknown>;
  [k: string]: unknown;
}

export class BrowserWindow extends EventEmitter {
  static readonly all: BrowserWindow[] = [];
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.all.filter((w) => !w.isDestroyed());
  }
  static fromWebContents(wc: WebContents): BrowserWindow | null {
    return BrowserWindow.all.find((w) => w.webContents === wc) ?? null;
  }

  readonly id = nextId++;
  readonly webContents: WebContents;
  private visible: boolean;
  private minimized = false;
  private destroyed = false;
  focused = false;
  constructor(readonly options: BrowserWindowOptions = {}) {
    super();
    const partition = options.webPreferences?.partition;
    this.webContents = new WebContents(
      typeof partition === 'string' ? session.fromPartition(partition) : session.defaultSession,
    );
    this.visible = options.show !== false;
    // Electron emits 'ready-to-show' once, after the first page has rendered.
    this.webContents.once('did-finish-load', () => this.emit('ready-to-show'));
    BrowserWindow.all.push(this);
  }
  loadURL(url: string): Promise<void> {
    return this.webContents.loadURL(url);
  }
  loadFile(file: string): Promise<void> {
    return this.webContents.loadURL(pathToFileURL(path.resolve(file)).href);
  }
  show(): void {
    this.visible = true;
    this.emit('show');
  }
  hide(): void {
    this.visible = false;
    this.emit('hide');
  }
  focus(): void {
    this.focused = true;
    this.emit('focus');
  }
  isVisible(): boolean {
    return this.visible;
  }
  minimize(): void {
    this.minimized = true;
  }
  restore(): void {
    this.minimized = false;
    this.visible = true;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setMenuBarVisibility(_v: boolean): void {}
  removeMenu(): void {}
  /** Like Electron: emits a preventable 'close'; if not prevented the window is destroyed. */
  close(): void {
    if (this.destroyed) return;
    const e = new MockEvent();
    this.emit('close', e);
    if (e.defaultPrevented) return;
    this.destroy();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.visible = false;
    this.webContents.simulateDestroyed();
    this.emit('closed');
    if (BrowserWindow.getAllWindows().length === 0 && !mockState.quitting) app.emit('window-all-closed');
  }
}

// ---------------------------------------------------------------------------------------------
// Menus and tray

export interface MenuItemOptions {
  label?: string;
  type?: 'normal' | 'separator' | 'submenu' | 'checkbox' | 'radio';
  enabled?: boolean;
  checked?: boolean;
  visible?: boolean;
  role?: string;
  id?: string;
  click?: (item: MenuItem, win: BrowserWindow | undefined, event: unknown) => void;
  [k: string]: unknown;
}

export class MenuItem {
  label: string;
  type: NonNullable<MenuItemOptions['type']>;
  enabled: boolean;
  checked: boolean;
  visible: boolean;
  id?: string;
  role?: string;
  click: (event?: unknown) => void;
  constructor(private readonly opts: MenuItemOptions) {
    this.label = opts.label ?? '';
    this.type = opts.type ?? 'normal';
    this.enabled = opts.enabled ?? true;
    this.checked = opts.checked ?? false;
    this.visible = opts.visible ?? true;
    this.id = opts.id;
    this.role = opts.role;
    this.click = (event) => {
      // Electron flips a checkbox before calling its click handler.
      if (this.type === 'checkbox') this.checked = !this.checked;
      this.opts.click?.(this, undefined, event ?? {});
    };
  }
}

export class Menu {
  readonly items: MenuItem[];
  constructor(items: MenuItem[] = []) {
    this.items = items;
  }
  static buildFromTemplate(template: MenuItemOptions[]): Menu {
    return new Menu(template.map((t) => new MenuItem(t)));
  }
  static setApplicationMenu(menu: Menu | null): void {
    mockState.applicationMenu = menu;
  }
  getMenuItemById(id: string): MenuItem | null {
    return this.items.find((i) => i.id === id) ?? null;
  }
}

export class Tray extends EventEmitter {
  image: NativeImage;
  toolTip = '';
  contextMenu: Menu | null = null;
  private destroyed = false;
  constructor(image: NativeImage | string) {
    super();
    this.image = typeof image === 'string' ? nativeImage.createFromPath(image) : image;
    mockState.trays.push(this);
  }
  setImage(image: NativeImage | string): void {
    this.image = typeof image === 'string' ? nativeImage.createFromPath(image) : image;
  }
  setToolTip(t: string): void {
    this.toolTip = t;
  }
  setContextMenu(m: Menu | null): void {
    this.contextMenu = m;
  }
  popUpContextMenu(): void {}
  destroy(): void {
    this.destroyed = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

// ---------------------------------------------------------------------------------------------
// Notifications

export class Notification extends EventEmitter {
  static isSupported(): boolean {
    return mockState.notificationsSupported;
  }
  shown = false;
  constructor(readonly options: { title?: string; body?: string; silent?: boolean; [k: string]: unknown } = {}) {
    super();
  }
  get title(): string {
    return this.options.title ?? '';
  }
  get body(): string {
    return this.options.body ?? '';
  }
  show(): void {
    this.shown = true;
    mockState.notifications.push(this);
    this.emit('show');
  }
  close(): void {
    this.emit('close');
  }
}

// ---------------------------------------------------------------------------------------------
// IPC

export interface IpcMainInvokeEvent {
  sender: WebContents;
  senderFrame: WebFrameMain | null;
  frameId: number;
  processId: number;
  type: 'frame';
}
type InvokeHandler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

class IpcMain extends EventEmitter {
  readonly handlers = new Map<string, InvokeHandler>();
  handle(channel: string, listener: InvokeHandler): void {
    // Electron refuses a second handler for one channel.
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}
export const ipcMain = new IpcMain();

/** Renderer side, used by the preload. invoke() reaches ipcMain as if from `mockState.rendererFrame`. */
class IpcRenderer extends EventEmitter {
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const h = ipcMain.handlers.get(channel);
    if (!h) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    const wc = mockState.rendererWebContents;
    if (!wc) throw new Error('electron-mock: set __mock.rendererWebContents before invoking');
    // Arguments and results cross a structured-clone boundary.
    const event = makeInvokeEvent(wc, wc.mainFrame);
    try {
      return structuredClone(await h(event, ...structuredClone(args)));
    } catch (err) {
      // Electron passes only the message of an error thrown in a handler, wrapped like this.
      throw new Error(
        `Error invoking remote method '${channel}': Error: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
}
export const ipcRenderer = new IpcRenderer();

export function makeInvokeEvent(sender: WebContents, frame: WebFrameMain | null): IpcMainInvokeEvent {
  return { sender, senderFrame: frame, frameId: frame?.routingId ?? 0, processId: 1, type: 'frame' };
}

export const contextBridge = {
  exposeInMainWorld(key: string, api: unknown): void {
    if (key in mockState.exposed)
      throw new Error(`Cannot bind an API on top of an existing property on the window object: ${key}`);
    mockState.exposed[key] = api;
  },
};

// ---------------------------------------------------------------------------------------------
// safeStorage: reversible but never plain, with Chromium's "v10" prefix. Like Electron, it throws
// when encryption is unavailable.

const KEY = Buffer.from('electron-mock-os-key');
function xor(b: Buffer): Buffer {
  return Buffer.from(b.map((x, i) => x ^ KEY[i % KEY.length]! ^ 0x5a));
}
export const safeStorage = {
  isEncryptionAvailable(): boolean {
    return mockState.encryptionAvailable;
  },
  getSelectedStorageBackend(): string {
    return mockState.storageBackend;
  },
  encryptString(plain: string): Buffer {
    if (!mockState.encryptionAvailable)
      throw new Error(
        'Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.',
      );
    return Buffer.concat([Buffer.from('v10'), xor(Buffer.from(plain, 'utf8'))]);
  },
  decryptString(enc: Buffer): string {
    if (!mockState.encryptionAvailable)
      throw new Error(
        'Error while decrypting the ciphertext provided to safeStorage.decryptString. Decryption is not available.',
      );
    if (!Buffer.isBuffer(enc)) throw new Error('Expected the first argument of decryptString() to be a buffer');
    if (enc.subarray(0, 3).toString() !== 'v10')
      throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return xor(enc.subarray(3)).toString('utf8');
  },
};

// ---------------------------------------------------------------------------------------------
// shell and dialog

export const shell = {
  async openPath(p: string): Promise<string> {
    mockState.opened.push(p);
    return fs.existsSync(p) ? '' : `Failed to open path`;
  },
  showItemInFolder(p: string): void {
    mockState.opened.push(p);
  },
  async openExternal(url: string): Promise<void> {
    mockState.openedExternal.push(url);
  },
};

export const dialog = {
  async showOpenDialog(
    winOrOpts: unknown,
    maybeOpts?: Record<string, unknown>,
  ): Promise<{ canceled: boolean; filePaths: string[] }> {
    mockState.dialogs.push({ kind: 'open', options: (maybeOpts ?? winOrOpts) as Record<string, unknown> });
    return mockState.nextOpenDialog;
  },
  async showMessageBox(
    winOrOpts: unknown,
    maybeOpts?: Record<string, unknown>,
  ): Promise<{ response: number; checkboxChecked: boolean }> {
    mockState.dialogs.push({ kind: 'message', options: (maybeOpts ?? winOrOpts) as Record<string, unknown> });
    return { response: mockState.nextMessageBoxResponse, checkboxChecked: false };
  },
  showErrorBox(title: string, content: string): void {
    mockState.dialogs.push({ kind: 'error', options: { title, content } });
  },
};

// ---------------------------------------------------------------------------------------------
// app

interface LoginItemSettings {
  openAtLogin?: boolean;
  openAsHidden?: boolean;
  args?: string[];
  path?: string;
  [k: string]: unknown;
}

class App extends EventEmitter {
  isPackaged = false;
  readonly commandLine = { appendSwitch(_s: string, _v?: string) {} };
  /** macOS only in Electron (undefined elsewhere); the mock always has it and records visibility. */
  dock = {
    hide(): void {
      mockState.dockVisible = false;
    },
    show: async (): Promise<void> => {
      mockState.dockVisible = true;
    },
    isVisible: (): boolean => mockState.dockVisible,
  };
  private ready = false;
  private readyPromise: Promise<void> | null = null;
  requestSingleInstanceLock(_data?: Record<string, unknown>): boolean {
    mockState.lockRequested = true;
    return mockState.singleInstanceLockFree;
  }
  hasSingleInstanceLock(): boolean {
    return mockState.lockRequested && mockState.singleInstanceLockFree;
  }
  releaseSingleInstanceLock(): void {}
  isReady(): boolean {
    return this.ready;
  }
  whenReady(): Promise<void> {
    this.readyPromise ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        this.ready = true;
        this.emit('ready', {}, {});
        resolve();
      });
    });
    return this.readyPromise;
  }
  getPath(name: string): string {
    const p = mockState.paths[name];
    if (!p) throw new Error(`Failed to get '${name}' path`);
    return p;
  }
  setPath(name: string, p: string): void {
    mockState.paths[name] = p;
  }
  getAppPath(): string {
    return mockState.appPath;
  }
  getName(): string {
    return 'Plaud Sync';
  }
  getVersion(): string {
    return '0.1.0';
  }
  setAppUserModelId(_id: string): void {}
  setLoginItemSettings(s: LoginItemSettings): void {
    mockState.loginItem = { ...s };
  }
  getLoginItemSettings(): { openAtLogin: boolean; wasOpenedAtLogin: boolean; wasOpenedAsHidden: boolean } {
    return {
      openAtLogin: mockState.loginItem.openAtLogin ?? false,
      wasOpenedAtLogin: mockState.wasOpenedAtLogin,
      wasOpenedAsHidden: false,
    };
  }
  focus(_o?: { steal: boolean }): void {}
  /** Like Electron: 'before-quit' (preventable), windows close, 'will-quit' (preventable), 'quit'. */
  quit(): void {
    mockState.quitCalls++;
    const e = new MockEvent();
    this.emit('before-quit', e);
    if (e.defaultPrevented) return;
    mockState.quitting = true;
    for (const w of BrowserWindow.getAllWindows()) w.close();
    if (BrowserWindow.getAllWindows().length > 0) {
      mockState.quitting = false; // a window refused to close: quitting is cancelled
      return;
    }
    const wq = new MockEvent();
    this.emit('will-quit', wq);
    if (wq.defaultPrevented) return;
    mockState.exited = 0;
    this.emit('quit', new MockEvent(), 0);
  }
  exit(code = 0): void {
    mockState.exited = code;
  }
  resetReady(): void {
    this.ready = false;
    this.readyPromise = null;
  }
}
export const app = new App();

// ---------------------------------------------------------------------------------------------
// Control surface for tests

interface MockState {
  singleInstanceLockFree: boolean;
  lockRequested: boolean;
  encryptionAvailable: boolean;
  storageBackend: string;
  notificationsSupported: boolean;
  autoFinishLoad: boolean;
  paths: Record<string, string>;
  appPath: string;
  loginItem: LoginItemSettings;
  wasOpenedAtLogin: boolean;
  trays: Tray[];
  notifications: Notification[];
  exposed: Record<string, unknown>;
  opened: string[];
  openedExternal: string[];
  dialogs: { kind: 'open' | 'message' | 'error'; options: Record<string, unknown> }[];
  nextOpenDialog: { canceled: boolean; filePaths: string[] };
  nextMessageBoxResponse: number;
  rendererWebContents: WebContents | null;
  applicationMenu: Menu | null;
  quitting: boolean;
  quitCalls: number;
  exited: number | null;
  dockVisible: boolean;
}

let resets = 0;
const bases: string[] = [];
// Whatever code under test wrote into the mock's userData/appData goes when the test process ends.
process.once('exit', () => bases.forEach((b) => fs.rmSync(b, { recursive: true, force: true })));
function freshState(): MockState {
  // Names only: nothing is created unless the app writes there (tests pass their own state dirs).
  const base = path.join(os.tmpdir(), `electron-mock-${process.pid}-${++resets}`);
  bases.push(base);
  return {
    singleInstanceLockFree: true,
    lockRequested: false,
    encryptionAvailable: true,
    storageBackend: 'gnome_libsecret',
    notificationsSupported: true,
    autoFinishLoad: true,
    paths: {
      userData: path.join(base, 'userData'),
      home: path.join(base, 'home'),
      logs: path.join(base, 'logs'),
      temp: os.tmpdir(),
      appData: path.join(base, 'appData'),
    },
    appPath: process.cwd(),
    loginItem: {},
    wasOpenedAtLogin: false,
    trays: [],
    notifications: [],
    exposed: {},
    opened: [],
    openedExternal: [],
    dialogs: [],
    nextOpenDialog: { canceled: true, filePaths: [] },
    nextMessageBoxResponse: 0,
    rendererWebContents: null,
    applicationMenu: null,
    quitting: false,
    quitCalls: 0,
    exited: null,
    dockVisible: true,
  };
}

// Power events (sleep, resume); the test emits them.
class PowerMonitor extends EventEmitter {}
export const powerMonitor = new PowerMonitor();

const mockState: MockState = freshState();

export const __mock = Object.assign(mockState, {
  /** Forget every window, tray, handler and recorded call; a new temp userData dir. */
  reset(): void {
    for (const b of bases.splice(0)) fs.rmSync(b, { recursive: true, force: true });
    Object.assign(mockState, freshState());
    BrowserWindow.all.length = 0;
    ipcMain.handlers.clear();
    ipcMain.removeAllListeners();
    ipcRenderer.removeAllListeners();
    app.removeAllListeners();
    powerMonitor.removeAllListeners();
    app.resetReady();
    session.defaultSession = new Session();
    protocol.handlers.clear();
    protocol.privileged = [];
  },
  /** What the OS does when the user starts the app again while it runs. */
  launchSecondInstance(argv: string[] = ['plaud-sync'], cwd = process.cwd()): void {
    app.emit('second-instance', new MockEvent(), argv, cwd, {});
  },
  /** Main pushes a message to the renderer the preload listens on. */
  pushToRenderer(channel: string, ...args: unknown[]): void {
    ipcRenderer.emit(channel, { sender: ipcRenderer }, ...structuredClone(args));
  },
});

const electron = {
  app,
  BrowserWindow,
  Menu,
  MenuItem,
  Tray,
  Notification,
  nativeImage,
  ipcMain,
  ipcRenderer,
  contextBridge,
  safeStorage,
  shell,
  dialog,
  session,
  powerMonitor,
  protocol,
};
export default electron;
