// Headless secrets: the CLI takes the token / client secret from flags or the environment for the
// lifetime of the process and never writes them anywhere. (The app keeps them with safeStorage.)
import { registerSecret } from './log.js';
import type { SecretName, SecretStore } from './settings.js';

export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<SecretName, string>();

  constructor(initial: Partial<Record<SecretName, string | undefined>> = {}) {
    for (const [k, v] of Object.entries(initial)) if (v) void this.set(k as SecretName, v);
  }

  canStore(): boolean {
    return true;
  }

  async get(name: SecretName): Promise<string | undefined> {
    return this.values.get(name);
  }

  async set(name: SecretName, value: string): Promise<void> {
    // Known to the redactor from the moment it is known here, so no output of this process can carry it.
    registerSecret(value);
    if (value) this.values.set(name, value);
    else this.values.delete(name);
  }

  async delete(name: SecretName): Promise<void> {
    this.values.delete(name);
  }
}
