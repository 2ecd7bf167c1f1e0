// Main's side of the IPC contract. Every invoke is checked twice before anything happens: the
// sender must be our window showing our page, and the arguments must match the channel's schema.
// A message failing either is logged and rejected (the renderer's promise rejects); it never
// reaches the engine.
import fs from 'node:fs';
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { checkApiBase } from '../../sync/cloud/api-base.js';
import type { SyncEngineApi } from '../../sync/engine/api.js';
import type { HistoryEntry } from '../../sync/engine/state.js';
import type { Logger } from '../../sync/log.js';
import type { SecretName, SecretStore, Settings } from '../../sync/settings.js';
import type { RendererOrigin } from '../origin.js';
import { findRecording } from '../recordings.js';
import { checkSender } from './sender.js';
import {
  ipcRows,
  type InvokeArgs,
  type InvokeChannel,
  type InvokeResults,
  type SettingsPatch,
  type SettingsView,
} from './contract.js';

export class IpcRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpcRejectedError';
  }
}

export interface IpcDeps {
  engine: SyncEngineApi;
  settings: { get(): Settings; set(patch: Partial<Settings>): Settings };
  secrets: SecretStore & { has(name: SecretName): Promise<boolean> };
  log: Logger;
  origin: RendererOrigin;
  /** Our window's webContents (null while there is no window). */
  webContents(): WebContents | null;
  openPath(p: string): Promise<string>;
  /** Shows a file selected in the system's file manager (shell.showItemInFolder). */
  showItemInFolder?(p: string): void;
  chooseFolder(defaultPath: string): Promise<string | null>;
  /** Side effects of a settings change outside the engine (the login item). */
  onSettingsChanged?(next: Settings, prev: Settings): void;
  /** Restart into a downloaded update; false when none is ready (or there is no updater). */
  installUpdate?(): boolean;
}

/** One handler per invoke channel of the table: a channel without one does not compile. */
type Impl = { [C in InvokeChannel]: (...args: InvokeArgs[C]) => Promise<InvokeResults[C]> | InvokeResults[C] };

export async function settingsView(deps: Pick<IpcDeps, 'settings' | 'secrets'>): Promise<SettingsView> {
  return {
    ...deps.settings.get(),
    hasApiToken: await deps.secrets.has('apiToken'),
    hasClientSecret: await deps.secrets.has('clientSecret'),
    secretStorageAvailable: deps.secrets.canStore(),
  };
}

export const LIBRARY_DIR_REFUSED =
  'The library folder can only be changed with "Choose…", which asks you in the system\'s folder picker.';

/**
 * Applies a patch: secrets first (they may be refused), then the validated settings, then the engine.
 * The page never names a folder: a `libraryDir` is accepted only when it is the current one or the
 * one the user just picked in the native folder picker (`pickedLibraryDir`).
 */
export async function applySettingsPatch(
  deps: IpcDeps,
  patch: SettingsPatch,
  pickedLibraryDir: string | null = null,
): Promise<SettingsView> {
  const { apiToken, clientSecret, ...rest } = patch;
  const prev = deps.settings.get();
  if (rest.libraryDir !== undefined && rest.libraryDir !== prev.libraryDir && rest.libraryDir !== pickedLibraryDir) {
    deps.log.warn('ipc rejected: library folder not picked by the user', { libraryDir: rest.libraryDir });
    throw new IpcRejectedError(LIBRARY_DIR_REFUSED);
  }
  const next: Partial<Settings> = { ...rest };
  // Checked before anything is stored: a token must never be saved for a plain-http remote API.
  if (rest.apiBase !== undefined) next.apiBase = checkApiBase(rest.apiBase);
  if (apiToken !== undefined) {
    await deps.secrets.set('apiToken', apiToken);
    // Entering a token without naming the kind means "use this token".
    if (!rest.credentials)
      next.credentials =
        apiToken === '' && prev.credentials.kind === 'token'
          ? { kind: 'none' }
          : apiToken !== ''
            ? { kind: 'token' }
            : prev.credentials;
  }
  if (clientSecret !== undefined) {
    await deps.secrets.set('clientSecret', clientSecret);
    if (clientSecret === '' && !rest.credentials && prev.credentials.kind === 'client')
      next.credentials = { kind: 'none' };
  }
  const saved = deps.settings.set(next);
  deps.onSettingsChanged?.(saved, prev);
  await deps.engine.applySettings(saved);
  return settingsView(deps);
}

export function registerIpcHandlers(ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>, deps: IpcDeps): () => void {
  // Recordings the window was shown; "open" only ever opens one of these or one the history finds, never a path it
  // names.
  const known = new Map<string, HistoryEntry>();
  // The folder the user last picked in the native dialog: the only new library folder settings:set takes.
  let pickedLibraryDir: string | null = null;
  const remember = (entries: HistoryEntry[]) => {
    for (const e of entries) known.set(e.id, e);
    if (known.size > 50_000) for (const k of [...known.keys()].slice(0, known.size - 50_000)) known.delete(k);
  };

  /** The playable library file of a recording the history holds; never a path the page names. */
  const playableFile = async (id: string): Promise<string> => {
    // Asked afresh: the library may have moved the file since the window was shown the entry.
    const entry = (await findRecording(deps.engine, id)) ?? known.get(id);
    if (!entry) throw new Error('That recording is not in the history.');
    if (!entry.localPath || !fs.existsSync(entry.localPath))
      throw new Error(`The local copy is missing: ${entry.localPath || 'the library holds no playable file for it'}.`);
    return entry.localPath;
  };

  const impl: Impl = {
    'state:get': () => deps.engine.getState(),
    'sync:now': () => deps.engine.syncNow(),
    'sync:pause': () => deps.engine.pause(),
    'sync:resume': () => deps.engine.resume(),
    'queue:retry': (id) => deps.engine.retry(id),
    'queue:cancel': (id) => deps.engine.cancel(id),
    'recording:upload-newer': (id) => deps.engine.uploadNewerVersion(id),
    'settings:get': () => settingsView(deps),
    'settings:set': async (patch) => {
      const view = await applySettingsPatch(deps, patch, pickedLibraryDir);
      if (patch.libraryDir !== undefined && patch.libraryDir === pickedLibraryDir) pickedLibraryDir = null;
      return view;
    },
    'connection:test': () => deps.engine.testConnection(),
    // Only ever the configured folder, which the page cannot name (see applySettingsPatch).
    'library:open': async () => {
      const dir = deps.settings.get().libraryDir;
      fs.mkdirSync(dir, { recursive: true });
      const err = await deps.openPath(dir);
      if (err) throw new Error(`Could not open the library folder ${dir}: ${err}`);
    },
    'library:choose': async () => {
      const dir = await deps.chooseFolder(deps.settings.get().libraryDir);
      if (dir !== null) pickedLibraryDir = dir;
      return dir;
    },
    'history:query': async (q) => {
      const res = await deps.engine.getHistory(q);
      remember(res.entries);
      return res;
    },
    'recording:open': async (id) => {
      const file = await playableFile(id);
      const err = await deps.openPath(file);
      if (err) throw new Error(`Could not open ${file}: ${err}`);
    },
    'recording:show': async (id) => {
      const file = await playableFile(id);
      if (!deps.showItemInFolder) throw new Error('Showing a file in its folder is not available here.');
      deps.showItemInFolder(file);
    },
    'update:install': () => deps.installUpdate?.() ?? false,
  };

  const channels: InvokeChannel[] = [];
  for (const [, row] of ipcRows) {
    if (row.direction !== 'invoke') continue;
    const { channel, args: schema } = row;
    channels.push(channel);
    const fn = impl[channel] as (...args: unknown[]) => unknown;
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]) => {
      const verdict = checkSender(event, deps.webContents(), deps.origin);
      if (!verdict.ok) {
        deps.log.warn('ipc rejected: sender', { channel, reason: verdict.reason, url: event.senderFrame?.url });
        throw new IpcRejectedError(`Rejected ${channel}: ${verdict.reason}`);
      }
      const parsed = schema.safeParse(args);
      if (!parsed.success) {
        // Only paths and messages are logged: the payload may hold a token.
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`);
        deps.log.warn('ipc rejected: payload', { channel, issues });
        throw new IpcRejectedError(`Rejected ${channel}: invalid arguments (${issues.join('; ')})`);
      }
      return await fn(...(parsed.data as unknown[]));
    });
  }
  return () => channels.forEach((c) => ipcMain.removeHandler(c));
}
