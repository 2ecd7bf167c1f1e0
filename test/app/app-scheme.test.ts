// The app:// handler serves the built renderer and nothing else: no path out of its folder, however
// the URL is spelled, and no symlink out of it either. Real files, real Request/Response objects.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../main/app/csp.js';
import { rendererFiles } from '../../main/app/protocol.js';

let tmp: string;
let serve: (r: Request) => Promise<Response>;
const get = (url: string, init?: RequestInit) => serve(new Request(url, init));

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'app-scheme-'));
  const dir = path.join(tmp, 'out', 'renderer');
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Plaud Sync</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'main-1a2b.js'), 'export {};');
  fs.writeFileSync(path.join(dir, 'assets', 'main-1a2b.css'), 'body{}');
  // Secrets next to the app folder, as a page with file:// reach could read them.
  fs.writeFileSync(path.join(tmp, 'secrets.json'), '{"apiToken":"x"}');
  fs.writeFileSync(path.join(tmp, 'out', 'secret.txt'), 'x');
  fs.symlinkSync(path.join(tmp, 'secrets.json'), path.join(dir, 'assets', 'link.json'));
  serve = rendererFiles(dir, contentSecurityPolicy());
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('app:// serves the built renderer', () => {
  it('the page and its assets, with their types, the CSP and nosniff', async () => {
    for (const url of ['app://plaud-sync/index.html', 'app://plaud-sync/', 'app://plaud-sync/index.html#/settings']) {
      const r = await get(url);
      expect(r.status, url).toBe(200);
      expect(await r.text()).toContain('<title>Plaud Sync</title>');
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('content-security-policy')).toBe(contentSecurityPolicy());
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await get('app://plaud-sync/assets/main-1a2b.js')).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    expect(await (await get('app://plaud-sync/assets/main-1a2b.css')).text()).toBe('body{}');
    const head = await get('app://plaud-sync/index.html', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses every way out of the folder', async () => {
    const escapes = [
      'app://plaud-sync/..%2Fsecret.txt',
      'app://plaud-sync/..%2F..%2Fsecrets.json',
      'app://plaud-sync/assets/..%2F..%2F..%2Fsecrets.json',
      'app://plaud-sync/%2e%2e%2f%2e%2e%2fsecrets.json',
    ];
    for (const url of escapes) {
      const r = await get(url);
      expect(r.status, url).toBe(403);
      expect(await r.text()).not.toContain('apiToken');
    }
    // A symlink inside the folder that points out of it.
    expect((await get('app://plaud-sync/assets/link.json')).status).toBe(403);
    // URL parsing already folds these back inside the folder: they find nothing there.
    for (const url of [
      'app://plaud-sync/../../secrets.json',
      'app://plaud-sync/%2e%2e/%2e%2e/secrets.json',
      `app://plaud-sync/${encodeURIComponent(tmp)}/secrets.json`,
      'app://plaud-sync//etc/passwd',
    ]) {
      const r = await get(url);
      expect(r.status, url).toBe(404);
    }
  });

  it('answers only our host, only GET and HEAD, and nothing for a malformed or missing path', async () => {
    expect((await get('app://evil.example/index.html')).status).toBe(404);
    expect((await get('app://plaud-sync/index.html', { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await get('app://plaud-sync/%E0%A4%A')).status).toBe(400);
    expect((await get('app://plaud-sync/index.html%00.js')).status).toBe(404);
    expect((await get('app://plaud-sync/nope.js')).status).toBe(404);
    expect((await get('app://plaud-sync/assets')).status).toBe(404); // a folder is not a file
  });
});

describe('the packaged binary', () => {
  it('turns off the file:// extra-privileges fuse (electron-builder.yml, as electron-builder reads it)', async () => {
    const { loadConfig } = await import('../build/builder.js');
    expect((await loadConfig()).electronFuses).toMatchObject({ grantFileProtocolExtraPrivileges: false });
  });
});
