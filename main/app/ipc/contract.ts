// The one IPC contract shared by main (handlers), preload (the bridge) and renderer (the caller).
// Every request payload has a schema; main validates before acting. Renderer imports are type-only
// plus these schemas (no Node APIs here).
import { z } from 'zod';
import type { ConnectionTestResult, EngineEvent } from '../../sync/engine/api.js';
import type { EngineState, HistoryEntry } from '../../sync/engine/state.js';
import { SettingsSchema, type Settings } from '../../sync/settings.js';

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

/** Request channels (renderer -> main, ipcRenderer.invoke). Each maps its argument schema and result type. */
export const invokeChannels = {
  'state:get': { args: z.tuple([]) },
  'sync:now': { args: z.tuple([]) },
  'sync:pause': { args: z.tuple([]) },
  'sync:resume': { args: z.tuple([]) },
  'queue:retry': { args: z.tuple([Id.optional()]) },
  'queue:cancel': { args: z.tuple([Id]) },
  'settings:get': { args: z.tuple([]) },
  'settings:set': { args: z.tuple([SettingsPatchSchema]) },
  'connection:test': { args: z.tuple([]) },
  'library:open': { args: z.tuple([]) },
  'library:choose': { args: z.tuple([]) },
  'history:query': { args: z.tuple([HistoryQuerySchema]) },
  'recording:open': { args: z.tuple([Id]) },
  'update:install': { args: z.tuple([]) },
} as const;
export type InvokeChannel = keyof typeof invokeChannels;

export interface InvokeResults {
  'state:get': EngineState;
  'sync:now': void;
  'sync:pause': void;
  'sync:resume': void;
  'queue:retry': void;
  'queue:cancel': void;
  'settings:get': SettingsView;
  'settings:set': SettingsView;
  'connection:test': ConnectionTestResult;
  'library:open': void;
  'library:choose': string | null;
  'history:query': { total: number; entries: HistoryEntry[] };
  'recording:open': void;
  /** False when no update is ready to install. */
  'update:install': boolean;
}

/** Views the main process may ask the window to show (the tray's "Settings" item). */
export type AppView = 'devices' | 'activity' | 'history' | 'problems' | 'settings';

/** What the window shows of the app's own updates. */
export type UpdateView = { state: 'none' } | { state: 'downloading'; version: string; percent: number } | { state: 'ready'; version: string };

/** Push channels (main -> renderer, webContents.send). */
export interface PushPayloads {
  'state:changed': EngineState;
  'engine:event': EngineEvent;
  'app:navigate': AppView;
  'update:status': UpdateView;
}
export type PushChannel = keyof PushPayloads;

/** The API the preload exposes as `window.plaudSync` (and the test bridge implements exactly). */
export interface PlaudSyncApi {
  getState(): Promise<EngineState>;
  onState(listener: (s: EngineState) => void): () => void;
  onEvent(listener: (e: EngineEvent) => void): () => void;
  syncNow(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  retry(id?: string): Promise<void>;
  cancel(id: string): Promise<void>;
  getSettings(): Promise<SettingsView>;
  setSettings(patch: SettingsPatch): Promise<SettingsView>;
  testConnection(): Promise<ConnectionTestResult>;
  openLibrary(): Promise<void>;
  chooseLibraryFolder(): Promise<string | null>;
  getHistory(q: z.infer<typeof HistoryQuerySchema>): Promise<{ total: number; entries: HistoryEntry[] }>;
  openRecording(id: string): Promise<void>;
  /** Main asks the window to show a view (tray "Settings"). Optional so test bridges may omit it. */
  onNavigate?(listener: (view: AppView) => void): () => void;
  /** The app's own update: downloading, ready to install. Optional like onNavigate. */
  onUpdate?(listener: (u: UpdateView) => void): () => void;
  /** Restart into a downloaded update now; resolves false when none is ready. */
  installUpdate?(): Promise<boolean>;
}
