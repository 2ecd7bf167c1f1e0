// readSettings (no conf) must read exactly what the settings store reads: same file, same defaults, same refusals.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSettingsStore, readSettings, SettingsError } from '../../main/sync/settings-store.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaud-settings-file-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('readSettings', () => {
  it('no file: the defaults, as the store gives them', () => {
    expect(readSettings(dir, '/lib')).toEqual(openSettingsStore(dir, '/lib').get());
  });

  it('a file the store wrote is read back the same', () => {
    openSettingsStore(dir, '/lib').set({ libraryDir: '/elsewhere', libraryNames: '{model}/{date} {time} {kind}' });
    const plain = readSettings(dir, '/lib');
    expect(plain).toEqual(openSettingsStore(dir, '/lib').get());
    expect(plain.libraryNames).toBe('{model}/{date} {time} {kind}');
    expect(plain.libraryDir).toBe('/elsewhere');
  });

  it('an invalid value or a damaged file is refused with the file named, never reset', () => {
    fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ libraryNames: '{kind}' }));
    expect(() => readSettings(dir, '/lib')).toThrow(SettingsError);
    expect(() => readSettings(dir, '/lib')).toThrow(
      /settings\.json has invalid values \(libraryNames: .*needs the date/,
    );
    expect(() => openSettingsStore(dir, '/lib').get()).toThrow(SettingsError);
    fs.writeFileSync(path.join(dir, 'settings.json'), '{"libraryDir": "/x",');
    expect(() => readSettings(dir, '/lib')).toThrow(/cannot be read/);
    expect(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8')).toBe('{"libraryDir": "/x",');
  });
});
