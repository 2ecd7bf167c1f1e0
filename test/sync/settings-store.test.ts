import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSettingsStore, SettingsError } from '../../main/sync/settings-store.js';

describe('headless settings store', () => {
  it('starts from working defaults, persists changes, and refuses an invalid file without resetting it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaud-set-'));
    const store = openSettingsStore(dir, '/lib');
    expect(store.get()).toMatchObject({
      libraryDir: '/lib',
      autoSync: true,
      uploadFormat: 'opus',
      removeAfterSync: false,
      concurrency: 4,
    });
    store.set({ concurrency: 2, apiBase: 'http://127.0.0.1:9000' });
    expect(openSettingsStore(dir, '/lib').get()).toMatchObject({ concurrency: 2, apiBase: 'http://127.0.0.1:9000' });
    expect(() => store.set({ concurrency: 99 })).toThrow();
    fs.writeFileSync(store.path, JSON.stringify({ concurrency: 'lots' }));
    expect(() => openSettingsStore(dir, '/lib').get()).toThrow(SettingsError);
    expect(fs.readFileSync(store.path, 'utf8')).toContain('lots');
  });
});
