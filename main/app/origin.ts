// Which page the window may load and which frames may talk to main: exactly our own origin. In a
// build that is the file:// URL of the built renderer; in development (electron-vite dev) the dev
// server URL given in ELECTRON_RENDERER_URL, accepted only when the app is not packaged.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface RendererOrigin {
  /** The URL the window loads. */
  readonly entryUrl: string;
  /** True when `url` is a page of ours (any route or hash of the entry, nothing else). */
  owns(url: string): boolean;
  /** Extra CSP sources the dev server needs (its websocket for hot reload); empty in a build. */
  readonly devSources: string[];
}

export function fileOrigin(indexHtml: string): RendererOrigin {
  const entry = new URL(pathToFileURL(path.resolve(indexHtml)).href);
  return {
    entryUrl: entry.href,
    owns(url) {
      try {
        const u = new URL(url);
        // file:// has no origin to compare; the exact page is the boundary (hash routes allowed).
        return u.protocol === 'file:' && u.host === entry.host && u.pathname === entry.pathname && u.search === '';
      } catch {
        return false;
      }
    },
    devSources: [],
  };
}

export function devServerOrigin(devUrl: string): RendererOrigin {
  const entry = new URL(devUrl);
  if (entry.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(entry.hostname)) {
    throw new Error(`The development renderer must be served from localhost over http, not ${entry.origin}`);
  }
  return {
    entryUrl: entry.href,
    owns(url) {
      try {
        return new URL(url).origin === entry.origin;
      } catch {
        return false;
      }
    },
    devSources: [`ws://${entry.host}`],
  };
}

/** Picks the origin: the dev server only for an unpackaged app with ELECTRON_RENDERER_URL set. */
export function resolveRendererOrigin(opts: { isPackaged: boolean; env: NodeJS.ProcessEnv; rendererIndex: string }): RendererOrigin {
  const dev = opts.env.ELECTRON_RENDERER_URL;
  if (!opts.isPackaged && dev) return devServerOrigin(dev);
  return fileOrigin(opts.rendererIndex);
}
