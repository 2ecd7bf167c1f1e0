// The API base URL decides where recordings and credentials go, so it is checked before any call:
// https for every remote host; plain http only for this machine (tests, the emulator).
import { CloudError } from './errors.js';

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
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
    throw new CloudError('config', `The API address "${raw}" is not a valid URL. Use something like https://api.plaud.ai.`);
  }
  if (url.username || url.password) {
    throw new CloudError('config', 'The API address must not contain a user name or password; enter the token or client secret separately.');
  }
  if (url.search || url.hash) throw new CloudError('config', `The API address must not have a query or fragment: ${url.origin}${url.pathname}`);
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
