// One function per PlaudSyncApi request, each validating its arguments with the contract's schemas
// exactly like main's IPC handlers, then calling the engine or the settings handler. The WebSocket
// server and the in-process API used by component tests both dispatch through this table.
import { invokeChannels, type InvokeChannel, type InvokeResults } from '../../../main/app/ipc/contract.js';
import type { SyncEngineApi } from '../../../main/sync/engine/api.js';
import type { SettingsHandler } from './settings-handler.js';

/** What the OS would do in the real app (a folder picker, opening files); recorded for tests. */
export interface BridgeHost {
  chooseLibraryFolder(): Promise<string | null>;
  openPath(path: string): Promise<void>;
}

/** PlaudSyncApi method name -> IPC channel. */
export const METHOD_CHANNELS = {
  getState: 'state:get',
  syncNow: 'sync:now',
  pause: 'sync:pause',
  resume: 'sync:resume',
  retry: 'queue:retry',
  cancel: 'queue:cancel',
  getSettings: 'settings:get',
  setSettings: 'settings:set',
  testConnection: 'connection:test',
  openLibrary: 'library:open',
  chooseLibraryFolder: 'library:choose',
  getHistory: 'history:query',
  openRecording: 'recording:open',
} as const satisfies Record<string, InvokeChannel>;
export type BridgeMethod = keyof typeof METHOD_CHANNELS;

export class BridgeRequestError extends Error {
  override name = 'BridgeRequestError';
}

type Handlers = { [C in InvokeChannel]: (args: unknown[]) => Promise<InvokeResults[C]> };

export function createHandlers(engine: SyncEngineApi, settings: SettingsHandler, host: BridgeHost) {
  const h: Handlers = {
    'state:get': async () => engine.getState(),
    'sync:now': async () => engine.syncNow(),
    'sync:pause': async () => engine.pause(),
    'sync:resume': async () => engine.resume(),
    'queue:retry': async ([id]) => engine.retry(id as string | undefined),
    'queue:cancel': async ([id]) => engine.cancel(id as string),
    'settings:get': async () => settings.get(),
    'settings:set': async ([patch]) => settings.set(patch),
    'connection:test': async () => engine.testConnection(),
    'library:open': async () => host.openPath((await settings.get()).libraryDir),
    'library:choose': async () => host.chooseLibraryFolder(),
    'history:query': async ([q]) => engine.getHistory(q as Parameters<SyncEngineApi['getHistory']>[0]),
    'recording:open': async ([id]) => {
      // The engine API has no lookup by id: try a text search, then walk the pages.
      let hit = (await engine.getHistory({ text: id as string, limit: 1000 })).entries.find((e) => e.id === id);
      for (let offset = 0; !hit; offset += 1000) {
        const page = await engine.getHistory({ offset, limit: 1000 });
        hit = page.entries.find((e) => e.id === id);
        if (page.entries.length < 1000) break;
      }
      if (!hit) throw new BridgeRequestError(`No synced recording with id ${String(id)}`);
      await host.openPath(hit.localPath);
    },
  };

  /** Validates, then runs. Unknown methods and bad payloads are refused, never acted on. */
  return async function dispatch(method: string, args: unknown): Promise<unknown> {
    if (!Object.hasOwn(METHOD_CHANNELS, method)) throw new BridgeRequestError(`Unknown method ${method}`);
    const channel = METHOD_CHANNELS[method as BridgeMethod];
    const parsed = invokeChannels[channel].args.safeParse(args);
    if (!parsed.success) throw new BridgeRequestError(`Invalid arguments for ${method}: ${parsed.error.issues[0]?.message ?? 'rejected'}`);
    return (h[channel] as (a: unknown[]) => Promise<unknown>)(parsed.data as unknown[]);
  };
}
export type Dispatch = ReturnType<typeof createHandlers>;
