// Which page the window may load and which frames may talk to main: exactly our own origin. In a
// build that is app://plaud-sync/index.html, served from the built renderer by protocol.ts; in
// development (electron-vite dev) the dev server URL given in ELECTRON_RENDERER_URL, accepted only
// when the app is not packaged.
import { APP_ENTRY_URL } from './protocol.js';

export interface RendererOrigin {
  /** 'app': our app:// scheme serves the built renderer; 'dev-server': electron-vite's server does. */
  readonly kind: 'app' | 'dev-server';
  /** The URL the window loads. */
  readonly entryUrl: string;
  /** True when `url` is a page of ours (any route or hash of the entry, nothing else). */
  owns(url: string): boolean;
  /** Extra CSP sources the dev server needs (its websocket for hot reload); empty in a build. */
  readonly devSources: string[];
}

export function appOrigin(): RendererOrigin {
  const entry = new URL(APP_ENTRY_URL);
  return {
    kind: 'app',
    entryUrl: entry.href,
    owns(url) {
      try {
        const u = new URL(url);
        // The one page (hash routes allowed); other files of the renderer are assets, never frames that talk to main.
        return (
          u.protocol === entry.protocol && u.host === entry.host && u.pathname === entry.pathname && u.search === ''
        );
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
    kind: 'dev-server',
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
export function resolveRendererOrigin(opts: { isPackaged: boolean; env: NodeJS.ProcessEnv }): RendererOrigin {
  const dev = opts.env.ELECTRON_RENDERER_URL;
  if (!opts.isPackaged && dev) return devServerOrigin(dev);
  return appOrigin();
}
