// The window's only door to the app: exactly the PlaudSyncApi, exposed as `window.plaudSync`.
// Its methods are derived from the contract's IPC table (one row per method: invoke or push). The
// preload runs sandboxed, so it is bundled to CommonJS and may require nothing but 'electron'; the
// table's schemas would bring zod (~450 KB) along, so the build writes in the table's wire part
// (method, channel, direction) as __PLAUD_IPC__ (electron.vite.config.ts), and the contract is
// imported for types only. Listeners get the payload, never the IPC event object (which would hand
// the page `sender` and with it ipcRenderer).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { IpcWire, PlaudSyncApi } from '../main/app/ipc/contract.js';

declare const __PLAUD_IPC__: IpcWire;

// Electron wraps a handler's error as "Error invoking remote method 'x': Error: <message>"; the
// window shows the message to the user, so it gets the plain words only.
const REMOTE_PREFIX = /^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?/;

function invoke(channel: string, args: unknown[]): Promise<unknown> {
  // An omitted optional argument is not sent at all (retry() means "all failed", not retry(undefined)).
  const sent = [...args];
  while (sent.length > 0 && sent[sent.length - 1] === undefined) sent.pop();
  return ipcRenderer.invoke(channel, ...sent).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(message.replace(REMOTE_PREFIX, ''));
  });
}

function subscribe(channel: string, listener: unknown): () => void {
  if (typeof listener !== 'function') throw new TypeError('listener must be a function');
  const handler = (_event: IpcRendererEvent, payload: unknown) => (listener as (p: unknown) => void)(payload);
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
}

/** PlaudSyncApi from the table's wire rows: requests invoke their channel, `on*` methods subscribe to theirs. */
export function apiFromWire(wire: IpcWire): PlaudSyncApi {
  return Object.fromEntries(
    wire.map(({ method, channel, direction }) => [
      method,
      direction === 'invoke'
        ? (...args: unknown[]) => invoke(channel, args)
        : (listener: unknown) => subscribe(channel, listener),
    ]),
  ) as PlaudSyncApi;
}

export const plaudSyncApi = apiFromWire(__PLAUD_IPC__);

contextBridge.exposeInMainWorld('plaudSync', plaudSyncApi);
