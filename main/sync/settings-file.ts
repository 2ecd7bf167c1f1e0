// Reading the settings file without `conf`: the same file, defaults and schema as settings-store.ts, for CLI
// commands that only read a setting or two before their real work (conf brings a JSON-schema validator, ajv, that
// costs about 0.2 CPU s to load and is not used).
import fs from 'node:fs';
import path from 'node:path';
import { SettingsSchema, defaultSettings, type Settings } from './settings.js';

export class SettingsError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}

/**
 * The same settings as openSettingsStore(...).get(), read without loading `conf` (and the JSON-schema validator it
 * brings, about 0.2 CPU s): for CLI commands that only read a setting or two before their real work.
 */
export function readSettings(stateDir: string, libraryDir: string): Settings {
  const file = path.join(stateDir, 'settings.json');
  let stored: Record<string, unknown> = {};
  try {
    stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new SettingsError(
        `The settings file ${file} cannot be read (${(err as Error).message}). Fix or delete it.`,
        file,
      );
  }
  const parsed = SettingsSchema.safeParse({ ...defaultSettings(libraryDir), ...stored });
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new SettingsError(`The settings file ${file} has invalid values (${where}). Fix or delete it.`, file);
  }
  return parsed.data;
}
