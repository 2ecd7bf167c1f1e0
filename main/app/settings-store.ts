// The app's settings: electron-store in the state dir, the same settings.json the headless CLI
// reads through `conf`, validated by SettingsSchema on every read and write. A file that is not
// valid JSON or holds invalid values is never silently overwritten: it is copied aside first and
// the problem is reported in plain words, and the app runs on defaults meanwhile.
import fs from 'node:fs';
import Store from 'electron-store';
import { SettingsSchema, defaultSettings, type Settings } from '../sync/settings.js';
import type { Logger } from '../sync/log.js';

export interface AppSettingsStore {
  get(): Settings;
  /** Validates the merged result; throws (and stores nothing) when it is invalid. */
  set(patch: Partial<Settings>): Settings;
  readonly path: string;
  /** Set when the file on disk could not be used; says what happened and where the old file is. */
  readonly problem: string | null;
}

export function openAppSettingsStore(stateDir: string, libraryDir: string, log: Logger): AppSettingsStore {
  const defaults = defaultSettings(libraryDir);
  let problem: string | null = null;
  let store: Store<Record<string, unknown>>;
  const open = () => new Store<Record<string, unknown>>({ cwd: stateDir, name: 'settings', clearInvalidConfig: false });
  try {
    store = open();
  } catch (err) {
    const file = `${stateDir}/settings.json`;
    const aside = `${file}.unreadable-${Date.now()}`;
    fs.renameSync(file, aside);
    problem = `The settings file could not be read (${(err as Error).message}). It was kept as ${aside}; Plaud Sync is using default settings.`;
    log.error('settings file unreadable; moved aside', { file, aside });
    store = open();
  }

  let current: Settings;
  const parsed = SettingsSchema.safeParse({ ...defaults, ...store.store });
  if (parsed.success) {
    current = parsed.data;
  } else {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    const aside = `${store.path}.invalid-${Date.now()}`;
    fs.copyFileSync(store.path, aside);
    problem = `The settings file has invalid values (${where}). A copy was kept as ${aside}; Plaud Sync is using default settings until you save new ones.`;
    log.error('settings file invalid; using defaults', { where, aside });
    current = defaults;
  }

  return {
    get: () => current,
    set(patch) {
      const next = SettingsSchema.parse({ ...current, ...patch });
      store.store = next as unknown as Record<string, unknown>;
      current = next;
      return next;
    },
    path: store.path,
    get problem() {
      return problem;
    },
  };
}
