// The window's only door to the app: exactly the PlaudSyncApi, exposed as `window.plaudSync`.
// It runs sandboxed, so it is bundled to CommonJS and may import nothing but 'electron'; the
// contract is imported for types only. Listeners get the payload, never the IPC event object
// (which would hand the page `sender` and with it ipcRenderer).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { InvokeChannel, InvokeResults, PlaudSyncApi, PushChannel, PushPayloads } from '../main/app/ipc/contract.js';

// Electron wraps a handler's error as "Error invoking remote method 'x': Error: <message>"; the
// window shows the message to the user, so it gets the plain words only.
const REMOTE_PREFIX = /^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?/;

function invoke<C extends InvokeChannel>(channel: C, ...args: unknown[]): Promise<InvokeResults[C]> {
  return (ipcRenderer.invoke(channel, ...args) as Promise<InvokeResults[C]>).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(message.replace(REMOTE_PREFIX, ''));
  });
}

function subscribe<C extends PushChannel>(channel: C, listener: (payload: PushPayloads[C]) => void): () => void {
  if (typeof listener !== 'function') throw new TypeError('listener must be a function');
  const handler = (_event: IpcRendererEvent, payload: PushPayloads[C]) => listener(payload);
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
}

export const plaudSyncApi: Required<PlaudSyncApi> = {
  getState: () => invoke('state:get'),
  onState: (listener) => subscribe('state:changed', listener),
  onEvent: (listener) => subscribe('engine:event', listener),
  onNavigate: (listener) => subscribe('app:navigate', listener),
  onUpdate: (listener) => subscribe('update:status', listener),
  installUpdate: () => invoke('update:install'),
  syncNow: () => invoke('sync:now'),
  pause: () => invoke('sync:pause'),
  resume: () => invoke('sync:resume'),
  // Only pass an id when there is one: retry() means "all failed".
  retry: (id) => (id === undefined ? invoke('queue:retry') : invoke('queue:retry', id)),
  cancel: (id) => invoke('queue:cancel', id),
  getSettings: () => invoke('settings:get'),
  setSettings: (patch) => invoke('settings:set', patch),
  testConnection: () => invoke('connection:test'),
  openLibrary: () => invoke('library:open'),
  chooseLibraryFolder: () => invoke('library:choose'),
  getHistory: (q) => invoke('history:query', q),
  openRecording: (id) => invoke('recording:open', id),
};

contextBridge.exposeInMainWorld('plaudSync', plaudSyncApi);
