// The test bridge: serves the built renderer over loopback HTTP, adds /bridge.js (the page side of
// the bridge, which defines window.plaudSync) ahead of the app's module, and carries PlaudSyncApi
// calls and pushes over a WebSocket at /bridge. Behind it: a SyncEngineApi (the real engine, or the
// scripted one) and a settings handler. Pushes follow main's rules: state snapshots throttled with the
// newest always delivered, events in order; the test sends the others (navigation, the app's update)
// with push(), as main does.
import { readFile, realpath } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformWithEsbuild } from 'vite';
import { WebSocketServer, type WebSocket } from 'ws';
import { contentSecurityPolicy } from '../../../main/app/csp.js';
import { recordingIdOf } from '../../../main/app/protocol.js';
import { serveRecording } from '../../../main/app/recordings.js';
import { ipcWire, type PushChannel, type PushPayloads } from '../../../main/app/ipc/contract.js';
import type { SyncEngineApi } from '../../../main/sync/engine/api.js';
import type { EngineState } from '../../../main/sync/engine/state.js';
import { throttleLatest } from '../../../main/sync/engine/throttle.js';
import { createDispatch, type BridgeHost, type HandlerDeps } from './handlers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '../../..');
const CLIENT_SOURCE = path.join(REPO_ROOT, 'test/renderer/support/bridge-client.ts');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
  '.json': 'application/json',
};

export interface BridgeOptions {
  engine: SyncEngineApi;
  settings: HandlerDeps['settings'];
  secrets: HandlerDeps['secrets'];
  /** The built renderer (vite build output). */
  rendererDir: string;
  host?: Partial<BridgeHost>;
  /** main pushes state at most every 100 ms (RendererPush); the same here by default. */
  pushThrottleMs?: number;
}

export interface Bridge {
  url: string;
  /** Every request the page made, in order (method and validated-or-not args). */
  calls: { method: string; args: unknown }[];
  /** Paths the page asked the OS to open (library folder, recordings). */
  opened: string[];
  /** Files the page asked the OS to show in their folder ("Show in folder"). */
  shown: string[];
  /** Rejected requests with their reasons. */
  refused: { method: string; reason: string }[];
  /** States pushed to pages (after throttling). */
  pushedStates: number;
  lastPushedSeq: number;
  /** Sends a push to every connected page, as main's webContents.send would. */
  push<C extends PushChannel>(channel: C, payload: PushPayloads[C]): void;
  close(): Promise<void>;
}

let clientJs: Promise<string> | undefined;
async function buildClient(): Promise<string> {
  const src = await readFile(CLIENT_SOURCE, 'utf8');
  const out = await transformWithEsbuild(src, CLIENT_SOURCE, { loader: 'ts', format: 'iife', target: 'chrome120' });
  // The table's wire rows, as the app's build writes them into the preload; in a block, so no page global.
  return `{\nconst __PLAUD_IPC__ = ${JSON.stringify(ipcWire())};\n${out.code}}\n`;
}

export async function startBridge(o: BridgeOptions): Promise<Bridge> {
  const rendererDir = await realpath(o.rendererDir);
  clientJs ??= buildClient();
  const js = await clientJs;
  const opened: string[] = [];
  const shown: string[] = [];
  const host: BridgeHost = {
    showItemInFolder: (p) => {
      shown.push(p);
      o.host?.showItemInFolder?.(p);
    },
    chooseLibraryFolder: o.host?.chooseLibraryFolder ?? (async () => null),
    installUpdate: o.host?.installUpdate,
    openPath: async (p) => {
      opened.push(p);
      return o.host?.openPath ? o.host.openPath(p) : '';
    },
  };
  const csp = contentSecurityPolicy();

  const server = http.createServer((req, res) => {
    void serve(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://bridge');
    const headers = {
      'content-security-policy': csp,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    };
    if (url.pathname === '/bridge.js') {
      res.writeHead(200, { ...headers, 'content-type': TYPES['.js'] });
      res.end(js);
      return;
    }
    // The window's player, as app:// serves it in the app: main's own route, backed by the engine behind the bridge.
    const recordingId = recordingIdOf(url.pathname);
    if (recordingId !== undefined) {
      const reqHeaders = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') reqHeaders.set(k, v);
      const answer = recordingId
        ? await serveRecording(o.engine, recordingId, { method: req.method ?? 'GET', headers: reqHeaders })
        : new Response('Not found', { status: 404 });
      res.writeHead(answer.status, { ...headers, ...Object.fromEntries(answer.headers) });
      res.end(Buffer.from(await answer.arrayBuffer()));
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = path.resolve(rendererDir, rel);
    if (!file.startsWith(rendererDir + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      res.writeHead(404, headers).end();
      return;
    }
    if (rel === 'index.html') {
      // The bridge script must define window.plaudSync before the app's module runs.
      const html = body
        .toString('utf8')
        .replace('<script type="module"', '<script src="./bridge.js"></script>\n    <script type="module"');
      body = Buffer.from(html);
    }
    res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  };

  const bridge: Bridge = {
    url: '',
    calls: [],
    opened,
    shown,
    refused: [],
    pushedStates: 0,
    lastPushedSeq: -1,
    push: (channel, payload) => {
      for (const c of wss.clients) if (c.readyState === c.OPEN) c.send(JSON.stringify({ push: channel, payload }));
    },
    close: async () => {},
  };

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    // Only our own page may connect (as main checks each IPC sender).
    const origin = req.headers.origin;
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/bridge' || origin !== bridge.url.replace(/\/$/, '')) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, `${origin}/index.html`));
  });

  wss.on('connection', (ws: WebSocket, pageUrl: string) => {
    const send = (m: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    let latestSeq = -1;
    const pushState = throttleLatest<EngineState>((s) => {
      bridge.pushedStates++;
      bridge.lastPushedSeq = s.seq;
      send({ push: 'state:changed', payload: s });
    }, o.pushThrottleMs ?? 100);
    const offState = o.engine.onState((s) => {
      if (s.seq < latestSeq) return;
      latestSeq = s.seq;
      pushState.push(s);
    });
    const offEvent = o.engine.onEvent((e) => send({ push: 'engine:event', payload: e }));
    ws.on('message', (data) => {
      let msg: { id?: unknown; method?: unknown; args?: unknown };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        bridge.refused.push({ method: '?', reason: 'not JSON' });
        return;
      }
      const id = msg.id;
      const method = typeof msg.method === 'string' ? msg.method : '?';
      bridge.calls.push({ method, args: msg.args });
      if (typeof id !== 'number') {
        bridge.refused.push({ method, reason: 'no request id' });
        return;
      }
      dispatch(method, msg.args, pageUrl).then(
        (result) => send({ id, ok: true, result }),
        (err: unknown) => {
          const reason = err instanceof Error ? err.message : String(err);
          bridge.refused.push({ method, reason });
          send({ id, ok: false, error: reason });
        },
      );
    });
    ws.on('close', () => {
      offState();
      offEvent();
      pushState.flush();
      pushState.cancel();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  bridge.url = `http://127.0.0.1:${port}/`;
  // main's handlers, with this server's origin as "our page" (their sender check uses it).
  const dispatch = createDispatch(
    { engine: o.engine, settings: o.settings, secrets: o.secrets, host },
    `http://127.0.0.1:${port}`,
  );
  bridge.close = async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return bridge;
}
