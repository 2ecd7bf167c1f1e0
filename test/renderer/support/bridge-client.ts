// Lives under test/renderer (DOM typings) though it belongs to the bridge in test/support/bridge.
// Runs in the page (served as /bridge.js, a same-origin file: the CSP forbids inline scripts) before
// the renderer's module. Defines `window.plaudSync` with exactly the preload's PlaudSyncApi, carried
// over a WebSocket to the bridge server: requests with ids, answers by id, state and event pushes.
import type { PlaudSyncApi } from '../../../main/app/ipc/contract.js';
import type { EngineEvent } from '../../../main/sync/engine/api.js';
import type { EngineState } from '../../../main/sync/engine/state.js';

type Msg =
  | { id: number; ok: true; result?: unknown }
  | { id: number; ok: false; error: string }
  | { push: 'state:changed'; payload: EngineState }
  | { push: 'engine:event'; payload: EngineEvent };

interface BridgeStats {
  states: number;
  lastSeq: number;
  events: number;
}

declare global {
  interface Window {
    __plaudBridge?: BridgeStats;
  }
}

(() => {
  const url = new URL('bridge', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url.href);
  const outbox: string[] = [];
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const stateListeners = new Set<(s: EngineState) => void>();
  const eventListeners = new Set<(e: EngineEvent) => void>();
  const stats: BridgeStats = { states: 0, lastSeq: -1, events: 0 };
  let nextId = 1;
  let closed = false;

  ws.addEventListener('open', () => {
    for (const m of outbox.splice(0)) ws.send(m);
  });
  ws.addEventListener('close', () => {
    closed = true;
    for (const p of pending.values()) p.reject(new Error('The connection to Plaud Sync was lost.'));
    pending.clear();
  });
  ws.addEventListener('message', (ev: MessageEvent<string>) => {
    const m = JSON.parse(ev.data) as Msg;
    if ('push' in m) {
      if (m.push === 'state:changed') {
        stats.states++;
        stats.lastSeq = m.payload.seq;
        for (const l of stateListeners) l(m.payload);
      } else {
        stats.events++;
        for (const l of eventListeners) l(m.payload);
      }
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(m.error));
  });

  const call = <T>(method: string, ...args: unknown[]): Promise<T> => {
    // As with ipcRenderer.invoke, an omitted optional argument is not sent at all.
    while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
    if (closed) return Promise.reject(new Error('The connection to Plaud Sync was lost.'));
    const id = nextId++;
    const text = JSON.stringify({ id, method, args });
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
      else outbox.push(text);
    });
  };
  const subscribe = <T>(set: Set<(v: T) => void>, l: (v: T) => void) => {
    set.add(l);
    return () => {
      set.delete(l);
    };
  };

  const api: PlaudSyncApi = {
    getState: () => call('getState'),
    onState: (l) => subscribe(stateListeners, l),
    onEvent: (l) => subscribe(eventListeners, l),
    syncNow: () => call('syncNow'),
    pause: () => call('pause'),
    resume: () => call('resume'),
    retry: (id) => call('retry', id),
    cancel: (id) => call('cancel', id),
    getSettings: () => call('getSettings'),
    setSettings: (patch) => call('setSettings', patch),
    testConnection: () => call('testConnection'),
    openLibrary: () => call('openLibrary'),
    chooseLibraryFolder: () => call('chooseLibraryFolder'),
    getHistory: (q) => call('getHistory', q),
    openRecording: (id) => call('openRecording', id),
  };
  // Like contextBridge: a frozen object the page cannot replace.
  Object.defineProperty(window, 'plaudSync', { value: Object.freeze(api), writable: false, configurable: false });
  Object.defineProperty(window, '__plaudBridge', { value: stats, writable: false, configurable: false });
})();
