// A PlaudSyncApi in the same process (for component tests): the same dispatch table as the bridge
// server, with every value passed through structuredClone as IPC would, so no test relies on
// sharing objects with the engine.
import type { PlaudSyncApi } from '../../../main/app/ipc/contract.js';
import type { SyncEngineApi } from '../../../main/sync/engine/api.js';
import type { Dispatch } from './handlers.js';

/** The page URL the in-process API claims; pass its origin to createDispatch. */
export const IN_PROCESS_PAGE = 'http://127.0.0.1:1/index.html';

export function createInProcessApi(engine: Pick<SyncEngineApi, 'onState' | 'onEvent'>, dispatch: Dispatch): PlaudSyncApi & { calls: { method: string; args: unknown[] }[] } {
  const calls: { method: string; args: unknown[] }[] = [];
  const call = async <T>(method: string, ...args: unknown[]): Promise<T> => {
    calls.push({ method, args });
    const r = await dispatch(method, structuredClone(args), IN_PROCESS_PAGE);
    return (r === undefined ? undefined : structuredClone(r)) as T;
  };
  return {
    calls,
    getState: () => call('getState'),
    onState: (l) => engine.onState((s) => l(structuredClone(s))),
    onEvent: (l) => engine.onEvent((e) => l(structuredClone(e))),
    syncNow: () => call('syncNow'),
    pause: () => call('pause'),
    resume: () => call('resume'),
    // As with ipcRenderer.invoke, an omitted optional argument is not sent.
    retry: (id) => (id === undefined ? call('retry') : call('retry', id)),
    cancel: (id) => call('cancel', id),
    getSettings: () => call('getSettings'),
    setSettings: (p) => call('setSettings', p),
    testConnection: () => call('testConnection'),
    openLibrary: () => call('openLibrary'),
    chooseLibraryFolder: () => call('chooseLibraryFolder'),
    getHistory: (q) => call('getHistory', q),
    openRecording: (id) => call('openRecording', id),
  };
}
