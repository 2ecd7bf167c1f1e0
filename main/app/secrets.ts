// Credentials kept with Electron's safeStorage (Keychain on macOS, DPAPI on Windows, the Secret
// Service / KWallet on Linux). Only the encrypted blobs are written, base64 in <stateDir>/secrets.json
// (mode 0600, atomic replace). Where the OS offers no real encryption we refuse to store anything:
// on Linux without a keyring Electron falls back to "basic_text", a fixed key, which is plain text
// in all but name.
import fs from 'node:fs';
import path from 'node:path';
import { safeStorage } from 'electron';
import type { Logger } from '../sync/log.js';
import type { SecretName, SecretStore } from '../sync/settings.js';

export class SecretStorageUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretStorageUnavailableError';
  }
}

interface SecretsFile {
  version: 1;
  secrets: Partial<Record<SecretName, string>>;
}

export function secretStorageProblem(platform: NodeJS.Platform = process.platform): string | null {
  if (!safeStorage.isEncryptionAvailable()) {
    return platform === 'linux'
      ? 'This computer has no keyring (such as GNOME Keyring or KWallet) that Plaud Sync can use, so your credentials cannot be saved securely. They were not saved. Set up a keyring, then enter them again.'
      : "This computer's secure storage is not available, so your credentials cannot be saved securely. They were not saved.";
  }
  if (platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
    return 'This computer has no keyring (such as GNOME Keyring or KWallet) that Plaud Sync can use, so your credentials would be stored without real encryption. They were not saved. Set up a keyring, then enter them again.';
  }
  return null;
}

export class SafeStorageSecretStore implements SecretStore {
  readonly file: string;
  constructor(
    stateDir: string,
    private readonly log: Logger,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {
    this.file = path.join(stateDir, 'secrets.json');
  }

  canStore(): boolean {
    return secretStorageProblem(this.platform) === null;
  }

  async get(name: SecretName): Promise<string | undefined> {
    const blob = this.read().secrets[name];
    if (!blob) return undefined;
    if (!safeStorage.isEncryptionAvailable()) {
      this.log.warn('secret storage unavailable; stored credential cannot be read', { secret: name });
      return undefined;
    }
    try {
      return safeStorage.decryptString(Buffer.from(blob, 'base64'));
    } catch (err) {
      // The OS key changed (new user profile, reset keyring): the blob is unreadable, not wrong.
      this.log.warn('stored credential could not be decrypted; it must be entered again', { secret: name, err });
      return undefined;
    }
  }

  async set(name: SecretName, value: string): Promise<void> {
    if (value === '') return this.delete(name);
    const problem = secretStorageProblem(this.platform);
    if (problem) throw new SecretStorageUnavailableError(problem);
    const data = this.read();
    data.secrets[name] = safeStorage.encryptString(value).toString('base64');
    this.write(data);
    this.log.info('credential saved', { secret: name });
  }

  async delete(name: SecretName): Promise<void> {
    const data = this.read();
    if (!(name in data.secrets)) return;
    delete data.secrets[name];
    this.write(data);
    this.log.info('credential removed', { secret: name });
  }

  async has(name: SecretName): Promise<boolean> {
    return Boolean(this.read().secrets[name]);
  }

  private read(): SecretsFile {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} };
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as SecretsFile;
      if (parsed?.version !== 1 || typeof parsed.secrets !== 'object' || parsed.secrets === null)
        throw new Error('unknown format');
      return parsed;
    } catch {
      // Not silently reset: the damaged file is kept aside, and the user re-enters credentials.
      const aside = `${this.file}.damaged-${Date.now()}`;
      fs.renameSync(this.file, aside);
      this.log.error('credentials file was damaged and has been moved aside', { file: aside });
      return { version: 1, secrets: {} };
    }
  }

  private write(data: SecretsFile): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}
