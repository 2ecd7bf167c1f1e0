// The one IPC contract shared by main (handlers), preload (the bridge), the test bridges and the
// renderer (the caller). `ipc` below is the single table: one row per API method, naming its
// channel, its direction, and for requests the argument schema and result type. Everything else
// (PlaudSyncApi, the channel maps, the preload's methods, the handlers' registration, the test
// bridges) is derived from it, so adding a channel is one row plus its handler.
// Every request payload has a schema; main validates before acting. No Node APIs here: the
// preload bundles this file, and the renderer imports its types (and only from here).
import { z } from 'zod';
import type { ConnectionTestResult, EngineEvent } from '../../sync/engine/api.js';
import type { EngineState, HistoryEntry } from '../../sync/engine/state.js';
import { SettingsSchema, type Settings } from '../../sync/settings.js';

// The state types the window shows, re-exported so the renderer never imports the engine's files.
export type { ConnectionTestResult, EngineEvent } from '../../sync/engine/api.js';
export type {
  DeviceView,
  EngineState,
  EngineTotals,
  HistoryEntry,
  HistoryQuery,
  PhaseTotals,
  Problem,
  ProblemLevel,
  QueueItemState,
  QueueItemView,
} from '../../sync/engine/state.js';
export type { SnType } from '../../sync/types.js';

const Id = z.string().min(1).max(512);

export const SettingsPatchSchema = SettingsSchema.partial()
  .extend({
    /** Write-only secrets: stored with safeStorage, never sent back. Empty string deletes. */
    apiToken: z.string().max(4096).optional(),
    clientSecret: z.string().max(4096).optional(),
  })
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export interface SettingsView extends Settings {
  hasApiToken: boolean;
  hasClientSecret: boolean;
  /** False where the OS offers no encryption: secrets cannot be saved then. */
  secretStorageAvailable: boolean;
}

export const HistoryQuerySchema = z
  .object({
    text: z.string().max(200).optional(),
    deviceId: z.string().max(200).optional(),
    kind: z.enum(['note', 'call']).optional(),
    fromMs: z.number().int().nonnegative().optional(),
    toMs: z.number().int().nonnegative().optional(),
    offset: z.number().int().nonnegative().optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

/** Views the main process may ask the window to show (the tray's "Settings" item). */
export type AppView = 'devices' | 'activity' | 'history' | 'problems' | 'settings';

/** What the window shows of the app's own updates. */
export type UpdateView =
  { state: 'none' } | { state: 'downloading'; version: string; percent: number } | { state: 'ready'; version: string };

/** Names a type in the table; nothing at run time (the IPC result or push payload is not checked). */
export interface Carries<T> {
  readonly __carries?: T;
}
const carries = <T>(): Carries<T> => ({});

/** Renderer -> main (ipcRenderer.invoke / ipcMain.handle): the arguments are checked against `args`. */
interface InvokeRow<C extends string, A extends z.ZodType<unknown[]>, R> {
  readonly direction: 'invoke';
  readonly channel: C;
  readonly args: A;
  readonly result: Carries<R>;
}
/** Main -> renderer (webContents.send / ipcRenderer.on); the API method subscribes a listener. */
interface PushRow<C extends string, P> {
  readonly direction: 'push';
  readonly channel: C;
  readonly payload: Carries<P>;
}
const invoke = <const C extends string, A extends z.ZodType<unknown[]>, R>(
  channel: C,
  args: A,
  result: Carries<R>,
): InvokeRow<C, A, R> => ({ direction: 'invoke', channel, args, result });
const push = <const C extends string, P>(channel: C, payload: Carries<P>): PushRow<C, P> => ({
  direction: 'push',
  channel,
  payload,
});
const none = z.tuple([]);

/**
 * The IPC table: API method name -> its channel. Channel and method names are public (installed
 * windows and main must agree): add rows, never rename.
 */
export const ipc = {
  getState: invoke('state:get', none, carries<EngineState>()),
  syncNow: invoke('sync:now', none, carries<void>()),
  pause: invoke('sync:pause', none, carries<void>()),
  resume: invoke('sync:resume', none, carries<void>()),
  /** No id: retry everything that failed. */
  retry: invoke('queue:retry', z.tuple([Id.optional()]), carries<void>()),
  cancel: invoke('queue:cancel', z.tuple([Id]), carries<void>()),
  /** A recording that changed on the recorder after its upload: upload the newer version as a recording of its own. */
  uploadNewerVersion: invoke('recording:upload-newer', z.tuple([Id]), carries<string>()),
  getSettings: invoke('settings:get', none, carries<SettingsView>()),
  setSettings: invoke('settings:set', z.tuple([SettingsPatchSchema]), carries<SettingsView>()),
  testConnection: invoke('connection:test', none, carries<ConnectionTestResult>()),
  /** Opens the configured library folder (never a path the page names). */
  openLibrary: invoke('library:open', none, carries<void>()),
  /**
   * The native folder picker, run by main: the chosen folder (null when cancelled), the only new libraryDir
   * settings:set accepts.
   */
  chooseLibraryFolder: invoke('library:choose', none, carries<string | null>()),
  getHistory: invoke(
    'history:query',
    z.tuple([HistoryQuerySchema]),
    carries<{ total: number; entries: HistoryEntry[] }>(),
  ),
  openRecording: invoke('recording:open', z.tuple([Id]), carries<void>()),
  /** Shows the recording's playable file selected in the system's file manager. */
  showRecording: invoke('recording:show', z.tuple([Id]), carries<void>()),
  /** Restart into a downloaded update now; false when none is ready. */
  installUpdate: invoke('update:install', none, carries<boolean>()),
  onState: push('state:changed', carries<EngineState>()),
  onEvent: push('engine:event', carries<EngineEvent>()),
  /** Main asks the window to show a view (tray "Settings"). */
  onNavigate: push('app:navigate', carries<AppView>()),
  /** The app's own update: downloading, ready to install. */
  onUpdate: push('update:status', carries<UpdateView>()),
} as const;

type Table = typeof ipc;
export type ApiMethod = keyof Table;
export type InvokeMethod = { [M in ApiMethod]: Table[M] extends { direction: 'invoke' } ? M : never }[ApiMethod];
export type PushMethod = Exclude<ApiMethod, InvokeMethod>;
type ResultOf<R> = R extends { result: Carries<infer T> } ? T : never;
type PayloadOf<R> = R extends { payload: Carries<infer T> } ? T : never;

export type InvokeChannel = Table[InvokeMethod]['channel'];
export type PushChannel = Table[PushMethod]['channel'];
/** Invoke channel -> what its handler returns. */
export type InvokeResults = { [M in InvokeMethod as Table[M]['channel']]: ResultOf<Table[M]> };
/** Invoke channel -> its arguments after validation. */
export type InvokeArgs = { [M in InvokeMethod as Table[M]['channel']]: z.output<Table[M]['args']> };
/** Push channel -> its payload. */
export type PushPayloads = { [M in PushMethod as Table[M]['channel']]: PayloadOf<Table[M]> };

/** The API the preload exposes as `window.plaudSync` (and the test bridges implement), derived from `ipc`. */
export type PlaudSyncApi = {
  [M in InvokeMethod]: (...args: z.input<Table[M]['args']>) => Promise<ResultOf<Table[M]>>;
} & {
  [M in PushMethod]: (listener: (payload: PayloadOf<Table[M]>) => void) => () => void;
};

/** Every row as [method, row], typed for loops that derive an API or a registration from the table. */
export const ipcRows = Object.entries(ipc) as { [M in ApiMethod]: [M, Table[M]] }[ApiMethod][];

/**
 * The table without its schemas: what the preload needs, built into it (electron.vite.config.ts) so that
 * the sandboxed preload does not carry zod.
 */
export type IpcWire = { method: ApiMethod; channel: InvokeChannel | PushChannel; direction: 'invoke' | 'push' }[];
export const ipcWire = (): IpcWire =>
  ipcRows.map(([method, row]) => ({ method, channel: row.channel, direction: row.direction }));

/** Invoke channel -> its argument schema (main checks each request against it). */
export const invokeChannels = Object.fromEntries(
  ipcRows.flatMap(([, row]) => (row.direction === 'invoke' ? [[row.channel, { args: row.args }]] : [])),
) as {
  [M in InvokeMethod as Table[M]['channel']]: { args: Table[M]['args'] };
};
