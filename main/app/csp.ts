// The window's Content Security Policy, sent as a response header with every file app:// serves
// (protocol.ts) and added to every other response the session loads (the dev server). The
// renderer's index.html carries the same policy in a <meta> tag as well. No inline or remote
// script, no eval, no plugins, no framing, and network access only to our own origin.
import type { Session } from 'electron';

export function contentSecurityPolicy(devSources: string[] = []): string {
  const connect = ["'self'", ...devSources].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Vite's dev server injects <style> tags for hot reload; a build needs no inline style.
    devSources.length > 0 ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    // The History player streams recordings from our own origin (app://plaud-sync/recording/<id>).
    "media-src 'self'",
    `connect-src ${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "worker-src 'none'",
  ].join('; ');
}

/** Adds the CSP header to every response of `ses`, replacing any the server sent. */
export function installCsp(ses: Pick<Session, 'webRequest'>, policy: string): void {
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(details.responseHeaders ?? {})) {
      if (k.toLowerCase() !== 'content-security-policy') headers[k] = v;
    }
    headers['Content-Security-Policy'] = [policy];
    callback({ responseHeaders: headers });
  });
}
