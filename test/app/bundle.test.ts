// The built app, not the sources: `electron-vite build` into a scratch folder, then the bundled main
// process boots against the electron mock with the REAL sync engine, and the bundled preload runs
// the way Electron runs a sandboxed preload (a CommonJS function whose `require` knows only
// 'electron'). This is what `npm start` launches.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as electronMock from '../support/electron-mock.js';
import { BrowserWindow, __mock, app } from '../support/electron-mock.js';
import { ipc, type PlaudSyncApi } from '../../main/app/ipc/contract.js';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { layOutRecorder } from '../support/recorder.js';

vi.mock('electron', () => import('../support/electron-mock.js'));

const root = path.resolve('.');
// Inside the project so the bundle's bare imports (zod, axios, ...) resolve from node_modules.
const scratch = fs.mkdtempSync(path.join(root, 'test-artifacts', 'bundle-'));
const outDir = path.join(scratch, 'out');
const stateDir = path.join(scratch, 'state');
const mountRoot = path.join(scratch, 'media');
const libraryDir = path.join(scratch, 'library');
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'),
      'build',
      '--outDir',
      outDir,
      '--logLevel',
      'warn',
    ],
    { cwd: root, encoding: 'utf8', timeout: 240_000 },
  );
  if (r.status !== 0) throw new Error(`electron-vite build failed:\n${r.stdout}\n${r.stderr}`);
  fs.symlinkSync(path.join(root, 'assets'), path.join(scratch, 'assets'));
}, 300_000);
afterAll(async () => {
  await emulator?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('the built app', () => {
  it('writes main as ESM, preload as CommonJS, and the renderer page', () => {
    const main = fs.readFileSync(path.join(outDir, 'main/index.js'), 'utf8');
    expect(main).toMatch(/^import .* from "electron";$/m);
    const preload = fs.readFileSync(path.join(outDir, 'preload/index.cjs'), 'utf8');
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
    // A sandboxed preload can require nothing but electron (and a few built-ins): no other module.
    expect([...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])).toEqual(['electron']);
    // The IPC table's wire rows are written in at build time; its zod schemas stay in main.
    expect(preload).not.toMatch(/ZodError|\$ZodType/);
    expect(fs.existsSync(path.join(outDir, 'renderer/index.html'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).main).toBe('out/main/index.js');
  });

  it('boots with the real engine, the page reaches it through the bundled preload, and a plugged-in recorder syncs', async () => {
    __mock.reset();
    __mock.appPath = scratch;
    // The settings a user would have: the emulator as API, a watched mount root, a library.
    fs.mkdirSync(stateDir, { recursive: true });
    fs.mkdirSync(mountRoot);
    fs.writeFileSync(
      path.join(stateDir, 'settings.json'),
      JSON.stringify({ apiBase: emulator.baseUrl, mountRoots: [mountRoot], libraryDir }),
    );
    process.env.PLAUD_SYNC_STATE = stateDir;
    try {
      await import(/* @vite-ignore */ path.join(outDir, 'main/index.js'));
      await vi.waitFor(() => expect(BrowserWindow.getAllWindows()).toHaveLength(1), { timeout: 20_000 });
    } finally {
      delete process.env.PLAUD_SYNC_STATE;
    }
    const win = BrowserWindow.getAllWindows()[0]!;
    expect(win.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      preload: path.join(outDir, 'preload/index.cjs'),
    });
    expect(win.webContents.getURL()).toBe('app://plaud-sync/index.html');
    // app:// serves the built page and every file it links (relative paths), with the CSP header.
    const serve = electronMock.protocol.handlers.get('app')!;
    const page = await serve(new Request('app://plaud-sync/index.html'));
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self';/);
    const links = [...(await page.text()).matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThanOrEqual(2);
    for (const l of links) expect((await serve(new Request(`app://plaud-sync/${l}`))).status, l).toBe(200);
    expect(__mock.trays[0]!.image.isEmpty()).toBe(false);
    expect(__mock.dialogs.filter((d) => d.kind === 'error')).toEqual([]);

    // Run the preload bundle as Electron does for a sandboxed page.
    __mock.rendererWebContents = win.webContents;
    const code = fs.readFileSync(win.options.webPreferences!.preload as string, 'utf8');
    const module = { exports: {} };
    const sandboxRequire = (id: string) => {
      if (id === 'electron') return electronMock;
      throw new Error(`module not found: ${id}`);
    };
    vm.runInNewContext(`(function (exports, require, module) {${code}\n})`, { console, Error, TypeError, Promise })(
      module.exports,
      sandboxRequire,
      module,
    );
    const api = __mock.exposed.plaudSync as PlaudSyncApi;
    expect(Object.keys(api).sort()).toEqual(Object.keys(ipc).sort());

    const state = await api.getState();
    expect(state).toMatchObject({ paused: false, devices: [], queue: [] });
    expect(typeof state.seq).toBe('number');
    const view = await api.setSettings({ concurrency: 3, apiToken: emulator.token });
    expect(view).toMatchObject({ concurrency: 3, hasApiToken: true, credentials: { kind: 'token' } });
    expect(fs.readFileSync(path.join(stateDir, 'secrets.json'), 'utf8')).not.toContain(emulator.token);
    expect(await api.testConnection()).toMatchObject({ ok: true });
    expect(JSON.parse(fs.readFileSync(path.join(stateDir, 'settings.json'), 'utf8')).concurrency).toBe(3);
    await expect(api.setSettings({ concurrency: 100 })).rejects.toThrow(/invalid arguments/);
    const states: number[] = [];
    api.onState((s) => states.push(s.seq));
    await api.pause();
    await vi.waitFor(() => expect(__mock.trays[0]!.image.sourcePath).toMatch(/paused\.png$/));
    expect((await api.getState()).paused).toBe(true);
    await api.resume();

    // Plug in a recorder: its volume appears under the mount root.
    const volume = path.join(scratch, 'staging', 'PLAUD_NOTE');
    fs.mkdirSync(volume, { recursive: true });
    await layOutRecorder(volume, {
      recordings: [
        { startSec: 1_767_000_000, seconds: 2 },
        { startSec: 1_767_000_600, seconds: 3, kind: 'call' },
      ],
    });
    fs.renameSync(volume, path.join(mountRoot, 'PLAUD_NOTE'));
    await vi.waitFor(() => expect(emulator.files()).toHaveLength(2), { timeout: 40_000, interval: 200 });
    await vi.waitFor(
      () => expect(__mock.notifications.map((n) => n.title)).toContain('2 recordings from Plaud Note synced'),
      { timeout: 10_000 },
    );
    const titles = __mock.notifications.map((n) => n.title);
    expect(titles.filter((t) => t.startsWith('Safe to unplug'))).toHaveLength(1);
    expect(titles.filter((t) => t.endsWith('synced'))).toHaveLength(1);
    await vi.waitFor(() => expect(__mock.trays[0]!.contextMenu!.items[0]!.label).toBe('Synced just now'), {
      timeout: 5_000,
    });
    expect(__mock.trays[0]!.image.sourcePath).toMatch(/idle\.png$/);
    const history = await api.getHistory({});
    expect(history.total).toBe(2);
    expect(emulator.duplicates()).toEqual([]);
    // The window heard about it too.
    expect(
      win.webContents.sent.some(
        (m) => m.channel === 'engine:event' && (m.args[0] as { type: string }).type === 'sync-finished',
      ),
    ).toBe(true);

    // Quit: the real engine stops, then the app exits; nothing was written outside the state dir.
    app.quit();
    await vi.waitFor(() => expect(__mock.exited).toBe(0), { timeout: 20_000 });
    expect(fs.readdirSync(path.join(stateDir, 'logs')).length).toBeGreaterThan(0);
  }, 120_000);
});
