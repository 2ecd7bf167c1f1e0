// The updater against the real electron-updater (its Linux .deb updater, a real generic provider) and a
// real HTTP update feed on loopback. Only Electron itself is faked: `app` comes from the electron mock,
// and electron-updater gets an AppAdapter plus a Node HTTP executor in place of Electron's net module.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { __mock, app } from '../support/electron-mock.js';
import {
  DAY_MS,
  UPDATER_CACHE_DIR,
  checkFeedUrl,
  resolveFeed,
  startUpdater,
  type AutoUpdaterLike,
  type UpdateStatus,
  type Updater,
  type UpdaterOptions,
} from '../../main/app/updater.js';

vi.mock('electron', () => import('../support/electron-mock.js'));

const require = createRequire(import.meta.url);
const { DebUpdater } = require('electron-updater') as {
  DebUpdater: new (options: unknown, app: unknown) => AutoUpdaterLike & { httpExecutor: unknown };
};
const { ElectronHttpExecutor } = require('electron-updater/out/electronHttpExecutor.js') as {
  ElectronHttpExecutor: new () => { createRequest: unknown };
};

/** electron-updater's own HTTP executor, sending its requests with Node's http instead of Electron's net. */
function nodeBackedExecutor(): unknown {
  const exec = new ElectronHttpExecutor();
  exec.createRequest = (
    options: http.RequestOptions & { protocol?: string },
    callback: (res: http.IncomingMessage) => void,
  ) => (options.protocol === 'https:' ? https.request : http.request)(options, callback);
  return exec;
}

const PAYLOAD = Buffer.alloc(64 * 1024, 7);
const sha512 = createHash('sha512').update(PAYLOAD).digest('base64');
const FILE = 'plaud-sync_9.9.9_amd64.deb';

interface Feed {
  url: string;
  requests: string[];
  version: string;
  /** Answer this many next requests with 503. */
  failures: number;
  close(): Promise<void>;
}

async function startFeed(): Promise<Feed> {
  const feed = { requests: [] as string[], version: '9.9.9', failures: 0 };
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const name = pathname.startsWith('/releases/') ? pathname.slice('/releases/'.length) : pathname;
    feed.requests.push(name);
    if (feed.failures > 0) {
      feed.failures--;
      res.statusCode = 503;
      res.end('<html>Service Unavailable</html>\n'.repeat(50));
    } else if (name === 'latest-linux.yml') {
      res.setHeader('content-type', 'text/yaml');
      res.end(
        [
          `version: ${feed.version}`,
          'files:',
          `  - url: ${FILE}`,
          `    sha512: ${sha512}`,
          `    size: ${PAYLOAD.length}`,
          `path: ${FILE}`,
          `sha512: ${sha512}`,
          "releaseDate: '2026-11-20T10:00:00.000Z'",
          '',
        ].join('\n'),
      );
    } else if (name === FILE) {
      res.setHeader('content-length', String(PAYLOAD.length));
      res.end(PAYLOAD);
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(feed, {
    url: `http://127.0.0.1:${port}/releases`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}

let tmp: string;
let feed: Feed;
let updater: Updater | null;
let real: (AutoUpdaterLike & { httpExecutor: unknown }) | null;
let quitHandlers: ((code: number) => void)[];
let loads: number;
let scheduled: { kind: 'timeout' | 'interval'; fn: () => void; ms: number; cleared: boolean }[];

/** A real electron-updater DebUpdater bound to the mock app instead of Electron. */
function loadRealUpdater(): Promise<AutoUpdaterLike> {
  loads++;
  const adapter = {
    version: app.getVersion(),
    name: app.getName(),
    get isPackaged() {
      return app.isPackaged;
    },
    appUpdateConfigPath: path.join(tmp, 'resources', 'app-update.yml'),
    userDataPath: app.getPath('userData'),
    baseCachePath: path.join(tmp, 'cache'),
    whenReady: () => Promise.resolve(),
    relaunch() {},
    quit() {},
    onQuit: (h: (code: number) => void) => quitHandlers.push(h),
  };
  real = new DebUpdater(null, adapter);
  real.httpExecutor = nodeBackedExecutor();
  return Promise.resolve(real);
}

function options(extra: Partial<UpdaterOptions> = {}): UpdaterOptions {
  return {
    app,
    env: {},
    feed: { provider: 'generic', url: feed.url },
    resourcesPath: path.join(tmp, 'resources'),
    loadAutoUpdater: loadRealUpdater,
    ...(process.env.DEBUG_UPDATER
      ? { log: { debug: console.log, info: console.log, warn: console.log, error: console.log } }
      : {}),
    timers: {
      setTimeout: (fn, ms) => scheduled.push({ kind: 'timeout', fn, ms, cleared: false }) - 1,
      setInterval: (fn, ms) => scheduled.push({ kind: 'interval', fn, ms, cleared: false }) - 1,
      clearTimeout: (h) => void (scheduled[h as number]!.cleared = true),
      clearInterval: (h) => void (scheduled[h as number]!.cleared = true),
    },
    ...extra,
  };
}

async function until(u: Updater, state: UpdateStatus['state']): Promise<UpdateStatus> {
  for (let i = 0; i < 200 && u.status().state !== state; i++) await new Promise((r) => setTimeout(r, 25));
  expect(u.status().state).toBe(state);
  return u.status();
}

beforeEach(async () => {
  __mock.reset();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'updater-test-'));
  fs.mkdirSync(path.join(tmp, 'resources'));
  feed = await startFeed();
  updater = null;
  real = null;
  quitHandlers = [];
  loads = 0;
  scheduled = [];
});

afterEach(async () => {
  updater?.stop();
  await feed.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('updater: off', () => {
  it('is disabled in development even with a feed configured, and never contacts the feed', async () => {
    app.isPackaged = false;
    updater = await startUpdater(options());
    expect(updater.status()).toEqual({ state: 'disabled', reason: 'development' });
    expect(await updater.checkNow()).toEqual({ state: 'disabled', reason: 'development' });
    expect(updater.installNow()).toBe(false);
    expect(loads).toBe(0);
    expect(scheduled).toEqual([]);
    expect(feed.requests).toEqual([]);
  });

  it('is disabled in a packaged app without a feed (no app-update.yml)', async () => {
    app.isPackaged = true;
    updater = await startUpdater(options({ feed: undefined }));
    expect(updater.status()).toEqual({ state: 'disabled', reason: 'unconfigured' });
    await updater.checkNow();
    expect(loads).toBe(0);
    expect(feed.requests).toEqual([]);
  });

  it('refuses a plain-http feed that is not on this machine', async () => {
    app.isPackaged = true;
    updater = await startUpdater(options({ feed: { provider: 'generic', url: 'http://updates.example.com/plaud/' } }));
    expect(updater.status()).toMatchObject({
      state: 'disabled',
      reason: 'invalid-config',
      detail: expect.stringMatching(/https/),
    });
    expect(loads).toBe(0);
  });
});

describe('updater: on', () => {
  it('checks after start and daily, downloads the update and installs it on quit', async () => {
    app.isPackaged = true;
    const seen: UpdateStatus[] = [];
    updater = await startUpdater(options());
    updater.onStatus((s) => seen.push(s));
    expect(loads).toBe(1);
    expect(real!.autoDownload).toBe(true);
    expect(real!.autoInstallOnAppQuit).toBe(true);
    // The update config electron-updater needs for downloading, written since the build had none.
    const written = path.join(app.getPath('userData'), 'app-update.yml');
    expect((real as unknown as { _appUpdateConfigPath: string })._appUpdateConfigPath).toBe(written);
    expect(fs.readFileSync(written, 'utf8')).toContain(`updaterCacheDirName: "${UPDATER_CACHE_DIR}"`);

    const first = scheduled.find((s) => s.kind === 'timeout')!;
    const daily = scheduled.find((s) => s.kind === 'interval')!;
    expect(daily.ms).toBe(DAY_MS);
    expect(feed.requests).toEqual([]); // nothing before the first timer fires
    first.fn();
    const ready = await until(updater, 'ready');
    expect(ready).toEqual({ state: 'ready', version: '9.9.9' });
    expect(feed.requests).toEqual(['latest-linux.yml', FILE]);
    expect(seen.map((s) => s.state)).toEqual(expect.arrayContaining(['checking', 'downloading', 'ready']));
    // The downloaded file is the feed's, verified by electron-updater against the sha512.
    const cached = fs
      .readdirSync(path.join(tmp, 'cache', UPDATER_CACHE_DIR, 'pending'))
      .filter((f) => f.endsWith('.deb'));
    expect(cached.length).toBe(1);
    // Install on quit: electron-updater hooked the app's quit.
    expect(quitHandlers.length).toBe(1);

    // A daily check after the download does not download again.
    daily.fn();
    await updater.checkNow();
    expect(feed.requests.filter((r) => r === FILE).length).toBe(1);
  });

  it('installNow quits and installs only once an update is ready', async () => {
    app.isPackaged = true;
    updater = await startUpdater(options());
    const quitAndInstall = vi.spyOn(real!, 'quitAndInstall').mockImplementation(() => {});
    expect(updater.installNow()).toBe(false);
    expect(quitAndInstall).not.toHaveBeenCalled();
    await updater.checkNow();
    await until(updater, 'ready');
    expect(updater.installNow()).toBe(true);
    expect(quitAndInstall).toHaveBeenCalledWith(false, true);
  });

  it('reports "no update" when the feed has this version', async () => {
    app.isPackaged = true;
    feed.version = app.getVersion();
    updater = await startUpdater(options());
    const s = await updater.checkNow();
    expect(s).toMatchObject({ state: 'idle', checkedAt: expect.any(Number) });
    expect(feed.requests).toEqual(['latest-linux.yml']);
  });

  it('turns a feed failure into an error status without throwing, and recovers on the next check', async () => {
    app.isPackaged = true;
    const seen: UpdateStatus[] = [];
    updater = await startUpdater(options());
    updater.onStatus((st) => seen.push(st));
    feed.failures = 1;
    const s = await updater.checkNow();
    expect(s).toMatchObject({ state: 'error', message: expect.stringMatching(/503/) });
    expect(s.state === 'error' && s.message.length).toBeLessThanOrEqual(300);
    expect(seen.filter((x) => x.state === 'error').length).toBe(1); // one failure, one report
    await updater.checkNow();
    await until(updater, 'ready');
  });

  it('reports a feed that does not exist', async () => {
    app.isPackaged = true;
    updater = await startUpdater(options({ feed: { provider: 'generic', url: `${feed.url}/missing` } }));
    expect(await updater.checkNow()).toMatchObject({ state: 'error', message: expect.stringMatching(/404/) });
  });

  it('stop() clears the timers and detaches', async () => {
    app.isPackaged = true;
    updater = await startUpdater(options());
    const seen: UpdateStatus[] = [];
    updater.onStatus((s) => seen.push(s));
    updater.stop();
    expect(scheduled.every((s) => s.cleared)).toBe(true);
    (real as unknown as { emit(e: string, ...a: unknown[]): void }).emit('update-available', { version: '1.2.3' });
    expect(seen).toEqual([]);
    updater = null;
  });
});

describe('feed resolution', () => {
  it('prefers an explicit feed, then the bundled app-update.yml', () => {
    const resourcesPath = path.join(tmp, 'resources');
    expect(resolveFeed({ resourcesPath })).toEqual({ kind: 'none' });
    fs.writeFileSync(path.join(resourcesPath, 'app-update.yml'), 'provider: generic\nurl: https://a.example/\n');
    expect(resolveFeed({ resourcesPath })).toEqual({
      kind: 'bundled',
      path: path.join(resourcesPath, 'app-update.yml'),
    });
    expect(resolveFeed({ feed: { provider: 'generic', url: 'https://b.example/x' }, resourcesPath })).toMatchObject({
      kind: 'feed',
      feed: { url: 'https://b.example/x/' },
      source: 'option',
    });
    expect(resolveFeed({ feed: { provider: 'generic', url: 'http://b.example/x' } })).toMatchObject({
      kind: 'invalid',
    });
  });

  it('an installed app ignores PLAUD_UPDATE_* in its environment: it updates only from the feed it was built with', async () => {
    app.isPackaged = true;
    const warnings: { msg: string; fields?: unknown }[] = [];
    const log = {
      debug() {},
      info() {},
      error() {},
      warn: (msg: string, fields?: unknown) => warnings.push({ msg, fields }),
    };
    // A valid feed in the environment, no feed built in: updates stay off and the feed hears nothing.
    const env = { PLAUD_UPDATE_URL: feed.url, PLAUD_UPDATE_GITHUB: 'evil/evil' };
    updater = await startUpdater(options({ feed: undefined, env, log }));
    expect(updater.status()).toEqual({ state: 'disabled', reason: 'unconfigured' });
    await updater.checkNow();
    expect(loads).toBe(0);
    expect(feed.requests).toEqual([]);
    expect(warnings).toContainEqual({
      msg: expect.stringMatching(/environment ignored/),
      fields: { ignored: ['PLAUD_UPDATE_URL', 'PLAUD_UPDATE_GITHUB'] },
    });
    updater.stop();
    // With a feed built in, that one is used, and the environment's is not.
    const other = await startFeed();
    try {
      fs.writeFileSync(
        path.join(tmp, 'resources', 'app-update.yml'),
        `provider: generic\nurl: ${feed.url}\nupdaterCacheDirName: ${UPDATER_CACHE_DIR}\n`,
      );
      updater = await startUpdater(options({ feed: undefined, env: { PLAUD_UPDATE_URL: other.url } }));
      await updater.checkNow();
      await until(updater, 'ready');
      expect(feed.requests[0]).toBe('latest-linux.yml');
      expect(other.requests).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('uses a bundled app-update.yml as is when the build was made with a feed', async () => {
    app.isPackaged = true;
    fs.writeFileSync(
      path.join(tmp, 'resources', 'app-update.yml'),
      `provider: generic\nurl: ${feed.url}\nupdaterCacheDirName: ${UPDATER_CACHE_DIR}\n`,
    );
    updater = await startUpdater(options({ feed: undefined }));
    expect(updater.status().state).toBe('idle');
    await updater.checkNow();
    await until(updater, 'ready');
    expect(feed.requests[0]).toBe('latest-linux.yml');
  });

  it('accepts https anywhere and http only on loopback', () => {
    expect(checkFeedUrl('https://updates.example.com/plaud')).toEqual({
      ok: true,
      url: 'https://updates.example.com/plaud/',
    });
    expect(checkFeedUrl('http://127.0.0.1:8080/x/')).toEqual({ ok: true, url: 'http://127.0.0.1:8080/x/' });
    expect(checkFeedUrl('http://10.0.0.1/x/').ok).toBe(false);
    expect(checkFeedUrl('file:///etc/').ok).toBe(false);
    expect(checkFeedUrl('not a url').ok).toBe(false);
  });
});
