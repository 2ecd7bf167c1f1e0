// Secrets for the bridge: in memory (the app's safeStorage store needs Electron), with the `has`
// main's IPC handlers ask for, and a switch for machines that offer no safe storage.
import type { SecretName, SecretStore } from '../../../main/sync/settings.js';

export class BridgeSecretStore implements SecretStore {
  private readonly values = new Map<SecretName, string>();
  constructor(private readonly available = true) {}
  canStore(): boolean {
    return this.available;
  }
  async has(name: SecretName): Promise<boolean> {
    return this.values.has(name);
  }
  async get(name: SecretName): Promise<string | undefined> {
    return this.values.get(name);
  }
  async set(name: SecretName, value: string): Promise<void> {
    if (!value) {
      this.values.delete(name);
      return;
    }
    if (!this.available) throw new Error('This computer offers no safe place for secrets, so it was not saved.');
    this.values.set(name, value);
  }
  async delete(name: SecretName): Promise<void> {
    this.values.delete(name);
  }
}
