// Headless settings store (the CLI and daemon): `conf`, the core of electron-store, in the state dir.
// The app uses electron-store with the same schema. Secrets never go here.
import Conf from 'conf';
import { SettingsSchema, defaultSettings, type Settings } from './settings.js';
import { SettingsError } from './settings-file.js';

export { SettingsError, readSettings } from './settings-file.js';

export interface SettingsStore {
  get(): Settings;
  set(patch: Partial<Settings>): Settings;
  readonly path: string;
}

export function openSettingsStore(stateDir: string, libraryDir: string): SettingsStore {
  const conf = new Conf<Record<string, unknown>>({ projectName: 'plaud-sync', cwd: stateDir, configName: 'settings' });
  const read = (): Settings => {
    const merged = { ...defaultSettings(libraryDir), ...conf.store };
    const parsed = SettingsSchema.safeParse(merged);
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      // Not silently reset: the user's file is kept as it is and the problem is named.
      throw new SettingsError(
        `The settings file ${conf.path} has invalid values (${where}). Fix or delete it.`,
        conf.path,
      );
    }
    return parsed.data;
  };
  return {
    get: read,
    set(patch) {
      const next = SettingsSchema.parse({ ...read(), ...patch });
      conf.store = next as unknown as Record<string, unknown>;
      return next;
    },
    path: conf.path,
  };
}
