// The settings side of the bridge: what main's settings IPC handlers do, over the real conf-backed
// SettingsStore and a SecretStore (in memory here: safeStorage needs Electron). Patches are
// validated with the contract's schema; secrets are write-only and never come back.
import { SettingsPatchSchema, type SettingsPatch, type SettingsView } from '../../../main/app/ipc/contract.js';
import type { SecretName, SecretStore, Settings } from '../../../main/sync/settings.js';
import type { SettingsStore } from '../../../main/sync/settings-store.js';

export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<SecretName, string>();
  constructor(private readonly available = true) {}
  canStore(): boolean {
    return this.available;
  }
  async get(name: SecretName): Promise<string | undefined> {
    return this.values.get(name);
  }
  async set(name: SecretName, value: string): Promise<void> {
    if (!this.available) throw new Error('This computer offers no safe place for secrets; not stored.');
    this.values.set(name, value);
  }
  async delete(name: SecretName): Promise<void> {
    this.values.delete(name);
  }
}

export interface SettingsHandler {
  get(): Promise<SettingsView>;
  set(patch: unknown): Promise<SettingsView>;
}

export function createSettingsHandler(opts: {
  store: Pick<SettingsStore, 'get' | 'set'>;
  secrets: SecretStore;
  /** Told about every saved change (the engine's applySettings). */
  apply(s: Settings): Promise<void>;
}): SettingsHandler {
  const view = async (): Promise<SettingsView> => ({
    ...opts.store.get(),
    hasApiToken: (await opts.secrets.get('apiToken')) !== undefined,
    hasClientSecret: (await opts.secrets.get('clientSecret')) !== undefined,
    secretStorageAvailable: opts.secrets.canStore(),
  });
  return {
    get: view,
    async set(raw) {
      const patch: SettingsPatch = SettingsPatchSchema.parse(raw);
      const { apiToken, clientSecret, ...plain } = patch;
      for (const [name, value] of [
        ['apiToken', apiToken],
        ['clientSecret', clientSecret],
      ] as const) {
        if (value === undefined) continue;
        if (value === '') await opts.secrets.delete(name);
        else await opts.secrets.set(name, value);
      }
      const next = opts.store.set(plain);
      await opts.apply(next);
      return view();
    },
  };
}
