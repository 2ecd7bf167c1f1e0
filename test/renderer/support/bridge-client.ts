// Lives under test/renderer (DOM typings) though it belongs to the bridge in test/support/bridge.
// Runs in the page (served as /bridge.js, a same-origin file: the CSP forbids inline scripts) before
// the renderer's module. Defines `window.plaudSync` with exactly the preload's PlaudSyncApi, derived
// like the preload from the contract's IPC table (its wire rows, which the server writes in as
// __PLAUD_IPC__), carried over a WebSocket to the bridge server: requests with ids, answers by id,
// pushes by channel (state, events, navigation, the app's update).
import type { EngineState, IpcWire, PlaudSyncApi, PushChannel } from '../../../main/app/ipc/contract.js';

declare const __PLAUD_IPC__: IpcWire;

type Msg =
  | { id: number; ok: true; result?: unknown }
  | { id: number; ok: false; error: string }
  | { push: PushChannel; payload: unknown };

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
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
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
        stats.lastSeq = (m.payload as EngineState).seq;
      } else if (m.push === 'engine:event') stats.events++;
      for (const l of [...(listeners.get(m.push) ?? [])]) l(m.payload);
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
  const subscribe = (channel: string, l: unknown) => {
    if (typeof l !== 'function') throw new TypeError('listener must be a function');
    const set = listeners.get(channel) ?? new Set();
    listeners.set(channel, set);
    set.add(l as (p: unknown) => void);
    return () => {
      set.delete(l as (p: unknown) => void);
    };
  };

  const api = Object.fromEntries(
    __PLAUD_IPC__.map(({ method, channel, direction }) => [
      method,
      direction === 'invoke' ? (...args: unknown[]) => call(method, ...args) : (l: unknown) => subscribe(channel, l),
    ]),
  ) as PlaudSyncApi;
  // Like contextBridge: a frozen object the page cannot replace.
  Object.defineProperty(window, 'plaudSync', { value: Object.freeze(api), writable: false, configurable: false });
  Object.defineProperty(window, '__plaudBridge', { value: stats, writable: false, configurable: false });
})();
