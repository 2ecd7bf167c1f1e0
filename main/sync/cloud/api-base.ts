// The API base URL decides where recordings and credentials go, so it is checked before any call:
// https for every remote host; plain http only for this machine (tests, the emulator).
import { CloudError } from './errors.js';

// Only the exact name `localhost` counts: `evil.localhost` or `localhost.evil.example` resolve wherever a resolver
// (or an attacker's DNS) says, so they are remote hosts as far as secrets are concerned.
export function isLoopbackHost(hostname: string): boolean {
  // A trailing dot ("localhost.") is a fully qualified DNS name: resolvers look it up rather than answer loopback.
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  // IPv4-mapped IPv6 loopback (::ffff:127.0.0.1, which URL prints as ::ffff:7f00:1).
  if (/^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(h)) return true;
  return false;
}

/** Validate and normalise an API base URL (no trailing slash). Throws CloudError kind 'config'. */
export function checkApiBase(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new CloudError(
      'config',
      `The API address "${raw}" is not a valid URL. Use something like https://api.plaud.ai.`,
    );
  }
  if (url.username || url.password) {
    throw new CloudError(
      'config',
      'The API address must not contain a user name or password; enter the token or client secret separately.',
    );
  }
  if (url.search || url.hash)
    throw new CloudError('config', `The API address must not have a query or fragment: ${url.origin}${url.pathname}`);
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) {
      throw new CloudError(
        'config',
        `Refusing to send recordings and credentials over plain http to ${url.host}: use https:// (plain http is allowed only for this computer: localhost, 127.0.0.1, ::1).`,
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new CloudError('config', `The API address must start with https:// (got ${url.protocol}//).`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * A presigned part URL carries the recording itself, so it must be https. The one exception is a plain-http
 * loopback API base (the emulator, a local test server): then a plain-http loopback part URL is allowed too.
 * Any host is fine otherwise (S3 hosts vary). Returns a sentence naming the problem, or undefined when allowed.
 */
export function partUrlProblem(raw: string, apiBase: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'an upload link (presigned part URL) is not a valid URL';
  }
  if (url.protocol === 'https:') return undefined;
  const base = new URL(apiBase);
  const localBase = base.protocol === 'http:' && isLoopbackHost(base.hostname);
  if (url.protocol === 'http:' && localBase && isLoopbackHost(url.hostname)) return undefined;
  return `the server gave an upload link over ${url.protocol}// to ${url.host}; recordings are only sent over https, so nothing was uploaded`;
}
