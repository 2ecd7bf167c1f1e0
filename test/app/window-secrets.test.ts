import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrowserWindow, MockEvent, __mock, app, protocol, session, WebContents } from '../support/electron-mock.js';
import { createMainWindow, denyAllPermissions, revealWindow } from '../../main/app/window.js';
import { contentSecurityPolicy, installCsp } from '../../main/app/csp.js';
import { appOrigin, resolveRendererOrigin } from '../../main/app/origin.js';
import { APP_SCHEME, rendererFiles } from '../../main/app/protocol.js';
import { SafeStorageSecretStore, SecretStorageUnavailableError } from '../../main/app/secrets.js';
import { openAppSettingsStore } from '../../main/app/settings-store.js';
import { openSettingsStore } from '../../main/sync/settings-store.js';
import type { LogFields } from '../../main/sync/log.js';

vi.mock('electron', () => import('../support/electron-mock.js'));

let logged: { level: string; msg: string; fields?: LogFields }[];
const log = {
  debug: (msg: string, fields?: LogFields) => logged.push({ level: 'debug', msg, fields }),
  info: (msg: string, fields?: LogFields) => logged.push({ level: 'info', msg, fields }),
  warn: (msg: string, fields?: LogFields) => logged.push({ level: 'warn', msg, fields }),
  error: (msg: string, fields?: LogFields) => logged.push({ level: 'error', msg, fields }),
};
let tmp: string;
beforeEach(() => {
  __mock.reset();
  logged = [];
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'app-test-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the window', () => {
  const origin = appOrigin();
  beforeEach(async () => {
    // What startApp does: app:// serves the built renderer.
    await app.whenReady();
    fs.mkdirSync(path.join(tmp, 'renderer'));
    fs.writeFileSync(path.join(tmp, 'renderer', 'index.html'), '<!doctype html><title>Plaud Sync</title>');
    protocol.handle(APP_SCHEME, rendererFiles(path.join(tmp, 'renderer'), contentSecurityPolicy()));
  });
  const make = (quitting = false) =>
    createMainWindow({
      preloadPath: '/opt/app/out/preload/index.cjs',
      origin,
      log,
      isQuitting: () => quitting,
      show: true,
    }) as unknown as BrowserWindow;

  it('is isolated, sandboxed and without Node, and loads only our page', async () => {
    const win = make();
    const wp = win.options.webPreferences!;
    expect(wp).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/opt/app/out/preload/index.cjs',
    });
    expect(win.webContents.getURL()).toBe('app://plaud-sync/index.html');
    await vi.waitFor(() => expect(win.isVisible()).toBe(true)); // shown on ready-to-show, once app:// served the page
  });

  it('denies navigation, redirects, webviews and window.open', () => {
    const win = make();
    const wc = win.webContents;
    expect(wc.attemptNavigation('https://evil.example/')).toBe(false);
    expect(wc.attemptNavigation('file:///etc/passwd')).toBe(false);
    const redirect = new MockEvent();
    wc.emit('will-redirect', redirect, 'https://evil.example/');
    expect(redirect.defaultPrevented).toBe(true);
    const webview = new MockEvent();
    wc.emit('will-attach-webview', webview, {}, {});
    expect(webview.defaultPrevented).toBe(true);
    expect(wc.attemptWindowOpen('https://evil.example/')).toBe('deny');
    expect(wc.attemptWindowOpen(origin.entryUrl)).toBe('deny');
    expect(logged.filter((l) => l.level === 'warn').map((l) => l.msg)).toContain('window navigation denied');
  });

  it('closing hides it (the app keeps syncing) unless the app is quitting', () => {
    const win = make();
    win.close();
    expect(win.isDestroyed()).toBe(false);
    expect(win.isVisible()).toBe(false);
    revealWindow(win as never);
    expect(win.isVisible()).toBe(true);
    expect(win.focused).toBe(true);
    const w2 = make(true);
    w2.close();
    expect(w2.isDestroyed()).toBe(true);
  });

  it('denies every permission request and check', () => {
    denyAllPermissions(session.defaultSession as never, log);
    const ses = session.defaultSession;
    for (const perm of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read']) {
      let granted: boolean | null = null;
      ses.permissionRequestHandler!(new WebContents(ses), perm, (g) => (granted = g), {});
      expect(granted).toBe(false);
      expect(ses.permissionCheckHandler!(null, perm, 'file://', {})).toBe(false);
    }
  });

  it('sends a strict CSP header on every response, replacing the server one', () => {
    installCsp(session.defaultSession as never, contentSecurityPolicy());
    let out: Record<string, string[]> | undefined;
    session.defaultSession.headersListener!(
      {
        url: 'http://localhost:5173/',
        responseHeaders: { 'content-security-policy': ['default-src *'], 'X-Other': ['1'] },
      },
      (r) => (out = r.responseHeaders),
    );
    expect(out!['X-Other']).toEqual(['1']);
    expect(out!['content-security-policy']).toBeUndefined();
    const csp = out!['Content-Security-Policy']![0]!;
    const directives = Object.fromEntries(
      csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]),
    );
    expect(directives['default-src']).toBe("'none'");
    expect(directives['script-src']).toBe("'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(directives['object-src']).toBe("'none'");
    expect(directives['frame-ancestors']).toBe("'none'");
    // The dev server gets its hot-reload socket and inline styles, never inline script.
    const dev = contentSecurityPolicy(['ws://localhost:5173']);
    expect(dev).toContain('connect-src ' + "'self' ws://localhost:5173");
    expect(dev).toContain("script-src 'self';");
  });

  it('the renderer page carries a CSP meta at least as strict for scripts (file:// has no headers)', () => {
    const html = path.resolve('renderer/index.html');
    if (!fs.existsSync(html)) return console.log('skipped: renderer/index.html not present');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(fs.readFileSync(html, 'utf8'));
    expect(meta).not.toBeNull();
    expect(meta![1]).toMatch(/script-src 'self'(;|$)/);
    expect(meta![1]).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('uses the dev server only for an unpackaged app', () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173' };
    expect(resolveRendererOrigin({ isPackaged: false, env }).entryUrl).toBe('http://localhost:5173/');
    expect(resolveRendererOrigin({ isPackaged: true, env }).entryUrl).toBe('app://plaud-sync/index.html');
    expect(resolveRendererOrigin({ isPackaged: false, env: {} }).entryUrl).toBe('app://plaud-sync/index.html');
  });
});

describe('credentials with safeStorage', () => {
  it('round-trip encrypted; the file never holds the secret', async () => {
    const s = new SafeStorageSecretStore(tmp, log, 'darwin');
    expect(s.canStore()).toBe(true);
    await s.set('apiToken', 'pl-token-0123456789');
    await s.set('clientSecret', 'client-sekret');
    const raw = fs.readFileSync(s.file, 'utf8');
    expect(raw).not.toContain('pl-token-0123456789');
    expect(raw).not.toContain('client-sekret');
    expect(Buffer.from(JSON.parse(raw).secrets.apiToken, 'base64').subarray(0, 3).toString()).toBe('v10');
    expect((fs.statSync(s.file).mode & 0o777).toString(8)).toBe('600');
    // A new instance (next launch) reads them back.
    const again = new SafeStorageSecretStore(tmp, log, 'darwin');
    expect(await again.get('apiToken')).toBe('pl-token-0123456789');
    expect(await again.get('clientSecret')).toBe('client-sekret');
    await again.delete('apiToken');
    expect(await again.get('apiToken')).toBeUndefined();
    expect(await again.get('clientSecret')).toBe('client-sekret');
    expect(JSON.stringify(logged)).not.toMatch(/pl-token|client-sekret/);
  });

  it('refuses to store when encryption is unavailable, with a plain message, and writes nothing', async () => {
    __mock.encryptionAvailable = false;
    const s = new SafeStorageSecretStore(tmp, log, 'win32');
    expect(s.canStore()).toBe(false);
    await expect(s.set('apiToken', 'tok')).rejects.toThrow(SecretStorageUnavailableError);
    await expect(s.set('apiToken', 'tok')).rejects.toThrow(/cannot be saved securely/);
    expect(fs.existsSync(s.file)).toBe(false);
  });

  it('refuses Linux "basic_text" (a fixed key, plain text in all but name)', async () => {
    __mock.storageBackend = 'basic_text';
    const s = new SafeStorageSecretStore(tmp, log, 'linux');
    expect(s.canStore()).toBe(false);
    await expect(s.set('apiToken', 'tok')).rejects.toThrow(/no keyring/);
    expect(fs.existsSync(s.file)).toBe(false);
  });

  it('an undecryptable blob reads as missing (re-enter), a damaged file is kept aside', async () => {
    const s = new SafeStorageSecretStore(tmp, log, 'linux');
    fs.writeFileSync(
      s.file,
      JSON.stringify({ version: 1, secrets: { apiToken: Buffer.from('garbage').toString('base64') } }),
    );
    expect(await s.get('apiToken')).toBeUndefined();
    expect(logged.some((l) => l.msg.includes('could not be decrypted'))).toBe(true);
    fs.writeFileSync(s.file, '{not json');
    expect(await s.get('apiToken')).toBeUndefined();
    expect(fs.readdirSync(tmp).some((f) => f.startsWith('secrets.json.damaged-'))).toBe(true);
  });
});

describe('settings store (electron-store)', () => {
  it('round-trips validated settings in the same file the CLI reads', () => {
    const lib = path.join(tmp, 'lib');
    const s = openAppSettingsStore(tmp, lib, log);
    expect(s.problem).toBeNull();
    expect(s.get().libraryDir).toBe(lib);
    s.set({ concurrency: 2, uploadFormat: 'mp3', notifications: false });
    expect(s.path).toBe(path.join(tmp, 'settings.json'));
    const again = openAppSettingsStore(tmp, lib, log);
    expect(again.get()).toMatchObject({ concurrency: 2, uploadFormat: 'mp3', notifications: false });
    // The headless CLI's store (conf) sees the same settings.
    expect(openSettingsStore(tmp, lib).get()).toMatchObject({ concurrency: 2, uploadFormat: 'mp3' });
    expect(fs.readFileSync(s.path, 'utf8')).not.toMatch(/token/i);
  });

  it('rejects invalid values and stores nothing', () => {
    const s = openAppSettingsStore(tmp, path.join(tmp, 'lib'), log);
    expect(() => s.set({ concurrency: 99 })).toThrow();
    expect(() => s.set({ apiBase: 'nope' } as never)).toThrow();
    expect(openAppSettingsStore(tmp, path.join(tmp, 'lib'), log).get().concurrency).toBe(4);
  });

  it('keeps a garbage or invalid file aside instead of silently resetting it', () => {
    fs.writeFileSync(path.join(tmp, 'settings.json'), '{"concurrency": 4,');
    const s = openAppSettingsStore(tmp, path.join(tmp, 'lib'), log);
    expect(s.problem).toMatch(/could not be read/);
    const aside = fs.readdirSync(tmp).find((f) => f.startsWith('settings.json.unreadable-'))!;
    expect(fs.readFileSync(path.join(tmp, aside), 'utf8')).toBe('{"concurrency": 4,');

    fs.writeFileSync(path.join(tmp, 'settings.json'), JSON.stringify({ concurrency: 'lots', uploadFormat: 'mp3' }));
    const t = openAppSettingsStore(tmp, path.join(tmp, 'lib'), log);
    expect(t.problem).toMatch(/invalid values \(concurrency/);
    expect(t.get().concurrency).toBe(4);
    const copy = fs.readdirSync(tmp).find((f) => f.startsWith('settings.json.invalid-'))!;
    expect(JSON.parse(fs.readFileSync(path.join(tmp, copy), 'utf8'))).toEqual({
      concurrency: 'lots',
      uploadFormat: 'mp3',
    });
  });
});
