// The window's page comes from app://plaud-sync/, a privileged scheme of our own, not from file://
// (Electron's security checklist): a file:// page may read any file the user can, and every file://
// page shares one origin. Here the page has a real origin of its own, and the handler below serves
// only the files of the built renderer: nothing outside that folder, whatever the URL says.
// One more route, /recording/<id>, plays a synced recording in the window: the id is looked up in the
// engine's history, so the page names a recording, never a path.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Protocol } from 'electron';
import type { SyncEngineApi } from '../sync/engine/api.js';
import { serveRecording } from './recordings.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'plaud-sync';
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Must run before the app is ready (Electron's rule for privileged schemes). */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  // standard: real origin and relative URLs; secure: a secure context like https; fetch for module scripts.
  // Not bypassCSP: the page's CSP applies as everywhere else.
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

const refuse = (status: number, text: string) =>
  new Response(text, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/** The path prefix of the window's player: app://plaud-sync/recording/<encoded recording id>. */
export const RECORDING_ROUTE = '/recording/';

/**
 * The recording id a /recording/<id> path names (the id encoded as one path segment), '' for a malformed one, or
 * undefined for any other path.
 */
export function recordingIdOf(rawPathname: string): string | undefined {
  if (!rawPathname.startsWith(RECORDING_ROUTE)) return undefined;
  const seg = rawPathname.slice(RECORDING_ROUTE.length);
  // One segment: an id's own "/" arrives encoded; a raw one is some other path.
  if (seg === '' || seg.includes('/')) return '';
  try {
    const id = decodeURIComponent(seg);
    return id.includes('\0') ? '' : id;
  } catch {
    return '';
  }
}

/**
 * The app:// handler: files under `rendererDir` only, with the CSP as a header; and, when `history` gives the engine,
 * the playable files of synced recordings at /recording/<id>.
 */
export function rendererFiles(
  rendererDir: string,
  csp: string,
  history?: () => Pick<SyncEngineApi, 'getHistory'> | undefined,
): (request: Request) => Promise<Response> {
  const root = path.resolve(rendererDir);
  let realRoot: Promise<string> | undefined;
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'Method not allowed');
    let url: URL;
    let rel: string;
    try {
      url = new URL(request.url);
      rel = decodeURIComponent(url.pathname);
    } catch {
      return refuse(400, 'Bad address');
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || rel.includes('\0'))
      return refuse(404, 'Not found');
    const recordingId = recordingIdOf(url.pathname);
    if (recordingId !== undefined) {
      const engine = history?.();
      if (!recordingId || !engine) return refuse(404, 'Not found');
      return serveRecording(engine, recordingId, request);
    }
    if (rel === '/' || rel === '') rel = '/index.html';
    // An encoded "..%2F" or "..%5C" survives URL parsing; the resolved path must stay inside the folder.
    const file = path.resolve(root, `.${rel}`);
    const inside = (dir: string, p: string) => {
      const r = path.relative(dir, p);
      return r !== '' && !r.startsWith('..') && !path.isAbsolute(r);
    };
    if (!inside(root, file)) return refuse(403, 'Forbidden');
    let body: Buffer;
    try {
      // A symlink inside the folder must not lead out of it either.
      realRoot ??= fs.realpath(root);
      if (!inside(await realRoot, await fs.realpath(file))) return refuse(403, 'Forbidden');
      body = await fs.readFile(file);
    } catch {
      return refuse(404, 'Not found');
    }
    const headers = {
      'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    };
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}
