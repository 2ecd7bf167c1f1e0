// The bridge runs main's own IPC handlers (main/app/ipc/handlers.ts): the same sender check, the
// same payload schemas, the same settings/secrets logic. Only the Electron objects around them are
// stand-ins: a handler table instead of ipcMain, the WebSocket page as the sender, and a host for
// the OS parts (folder picker, opening files) that records what was asked.
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { ipc, type InvokeMethod } from '../../../main/app/ipc/contract.js';
import { registerIpcHandlers } from '../../../main/app/ipc/handlers.js';
import { devServerOrigin } from '../../../main/app/origin.js';
import type { SyncEngineApi } from '../../../main/sync/engine/api.js';
import { nullLogger } from '../../../main/sync/log.js';
import type { Settings } from '../../../main/sync/settings.js';
import type { BridgeSecretStore } from './secrets.js';

/** What the OS would do in the real app; recorded for tests. */
export interface BridgeHost {
  chooseLibraryFolder(defaultPath: string): Promise<string | null>;
  /** Resolves '' on success or an error text, like shell.openPath. */
  openPath(path: string): Promise<string>;
  /** Shows a file in the file manager, like shell.showItemInFolder. */
  showItemInFolder?(path: string): void;
  /** "Restart to update": false when no update is ready (the default). */
  installUpdate?(): boolean;
}

/** True for the API methods that are requests (the rest are push subscriptions), from the contract's table. */
export function isInvokeMethod(method: string): method is InvokeMethod {
  return Object.hasOwn(ipc, method) && ipc[method as keyof typeof ipc].direction === 'invoke';
}

export interface HandlerDeps {
  engine: SyncEngineApi;
  settings: { get(): Settings; set(patch: Partial<Settings>): Settings };
  secrets: BridgeSecretStore;
  host: BridgeHost;
}

export type Dispatch = (method: string, args: unknown, pageUrl: string) => Promise<unknown>;

/**
 * A dispatcher for pages of `pageOrigin` (http://127.0.0.1:port). A page of any other origin is
 * rejected by main's own sender check.
 */
export function createDispatch(deps: HandlerDeps, pageOrigin: string): Dispatch {
  const table = new Map<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>>();
  const page = { isDestroyed: () => false } as unknown as WebContents;
  registerIpcHandlers(
    {
      handle: (channel, fn) => void table.set(channel, fn as never),
      removeHandler: (channel) => void table.delete(channel),
    },
    {
      engine: deps.engine,
      settings: deps.settings,
      secrets: deps.secrets,
      log: nullLogger,
      origin: devServerOrigin(pageOrigin),
      webContents: () => page,
      openPath: (p) => deps.host.openPath(p),
      showItemInFolder: (p) => deps.host.showItemInFolder?.(p),
      chooseFolder: (d) => deps.host.chooseLibraryFolder(d),
      installUpdate: () => deps.host.installUpdate?.() ?? false,
    },
  );
  return async (method, args, pageUrl) => {
    if (!isInvokeMethod(method)) throw new Error(`Unknown method ${method}`);
    if (!Array.isArray(args)) throw new Error(`Arguments of ${method} must be a list`);
    const fn = table.get(ipc[method].channel)!;
    const event = { sender: page, senderFrame: { url: pageUrl, parent: null } } as unknown as IpcMainInvokeEvent;
    return fn(event, ...(args as unknown[]));
  };
}
