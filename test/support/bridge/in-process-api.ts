// A PlaudSyncApi in the same process (for component tests), derived from the contract's IPC table
// like the preload: requests go through the same dispatch as the bridge server (main's handlers),
// pushes come from the engine (state, events) or from the test through push() (navigation, the
// app's update), the way main sends them. Every value passes through structuredClone as IPC would,
// so no test relies on sharing objects with the engine.
import { ipcRows, type PlaudSyncApi, type PushChannel, type PushPayloads } from '../../../main/app/ipc/contract.js';
import type { SyncEngineApi } from '../../../main/sync/engine/api.js';
import type { Dispatch } from './handlers.js';

/** The page URL the in-process API claims; pass its origin to createDispatch. */
export const IN_PROCESS_PAGE = 'http://127.0.0.1:1/index.html';

type Source<C extends PushChannel> = (listener: (payload: PushPayloads[C]) => void) => () => void;

export interface InProcessApi extends PlaudSyncApi {
  calls: { method: string; args: unknown[] }[];
  /** What main would send on a push channel that does not come from the engine. */
  push<C extends PushChannel>(channel: C, payload: PushPayloads[C]): void;
}

export function createInProcessApi(
  engine: Pick<SyncEngineApi, 'onState' | 'onEvent'>,
  dispatch: Dispatch,
): InProcessApi {
  const calls: { method: string; args: unknown[] }[] = [];
  const listeners = new Map<PushChannel, Set<(payload: unknown) => void>>();
  const fromTest =
    <C extends PushChannel>(channel: C): Source<C> =>
    (l) => {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(l as (p: unknown) => void);
      return () => void set.delete(l as (p: unknown) => void);
    };
  // Where each push channel comes from in main; a new channel in the table must be added here (it does not compile
  // otherwise).
  const sources: { [C in PushChannel]: Source<C> } = {
    'state:changed': (l) => engine.onState(l),
    'engine:event': (l) => engine.onEvent(l),
    'app:navigate': fromTest('app:navigate'),
    'update:status': fromTest('update:status'),
  };
  const call = async (method: string, args: unknown[]): Promise<unknown> => {
    // As with ipcRenderer.invoke, an omitted optional argument is not sent.
    const sent = [...args];
    while (sent.length > 0 && sent[sent.length - 1] === undefined) sent.pop();
    calls.push({ method, args: sent });
    const r = await dispatch(method, structuredClone(sent), IN_PROCESS_PAGE);
    return r === undefined ? undefined : structuredClone(r);
  };
  const api = Object.fromEntries(
    ipcRows.map(([method, row]) => [
      method,
      row.direction === 'invoke'
        ? (...args: unknown[]) => call(method, args)
        : (listener: (p: unknown) => void) =>
            (sources[row.channel] as Source<PushChannel>)((p) => listener(structuredClone(p))),
    ]),
  ) as PlaudSyncApi;
  return Object.assign(api, {
    calls,
    push<C extends PushChannel>(channel: C, payload: PushPayloads[C]) {
      for (const l of [...(listeners.get(channel) ?? [])]) l(structuredClone(payload));
    },
  });
}
