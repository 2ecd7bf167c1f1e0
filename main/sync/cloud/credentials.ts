// The account the client works for, checked before any call: kept apart from the client (and axios) so the engine
// can refuse a bad account or API address the moment it is set, and load the HTTP side only at its first upload.
import { DEFAULT_API_BASE } from '../settings.js';
import { registerSecret } from '../log.js';
import { checkApiBase } from './api-base.js';
import { CloudError } from './errors.js';

export type Credentials = { kind: 'token'; token: string } | { kind: 'client'; clientId: string; clientSecret: string };

/**
 * The API address as it will be used (refused unless TLS or loopback) after checking the credentials are complete.
 * From here on no message, log line or output of this process may carry the secrets, whatever path it takes.
 */
export function acceptAccount(apiBase: string | undefined, creds: Credentials): string {
  const base = checkApiBase(apiBase ?? DEFAULT_API_BASE);
  if (creds.kind === 'token' && !creds.token.trim()) {
    throw new CloudError('auth', 'No API token is set: enter one in Settings (or pass --token / PLAUD_API_TOKEN).');
  }
  if (creds.kind === 'client' && (!creds.clientId.trim() || !creds.clientSecret.trim())) {
    throw new CloudError('auth', 'Both a client ID and a client secret are needed: enter them in Settings.');
  }
  if (creds.kind === 'token') registerSecret(creds.token);
  else {
    registerSecret(creds.clientSecret);
    registerSecret(Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64'));
  }
  return base;
}
