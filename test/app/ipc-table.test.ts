// The one IPC table drives everything: its public names stay put, and each API built from it (the
// in-process bridge, the WebSocket bridge's page script) exposes exactly its methods and carries every
// channel, the app's update included. The lint rule keeps raw IPC inside main/app/ipc/ and preload/,
// and the renderer's imports on the contract. (The preload and the handlers: test/app/ipc.test.ts.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { ESLint } from 'eslint';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { ipc, ipcRows, type PlaudSyncApi, type UpdateView } from '../../main/app/ipc/contract.js';
import { openSettingsStore } from '../../main/sync/settings-store.js';
import { createDispatch } from '../support/bridge/handlers.js';
import { IN_PROCESS_PAGE, createInProcessApi } from '../support/bridge/in-process-api.js';
import { createScriptedEngine, type ScriptedEngine } from '../support/bridge/scripted-engine.js';
import { BridgeSecretStore } from '../support/bridge/secrets.js';
import { startBridge, type Bridge } from '../support/bridge/server.js';

let dir: string;
let engine: ScriptedEngine;
let installs: number;
const host = () => ({
  chooseLibraryFolder: async () => null,
  openPath: async () => '',
  installUpdate: () => (installs++, true),
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-table-'));
  engine = createScriptedEngine({ tickMs: 10, throttleMs: 0, libraryDir: path.join(dir, 'library') });
  installs = 0;
});
afterEach(async () => {
  await engine.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const tableMethods = () => Object.keys(ipc).sort();

describe('the IPC table', () => {
  it('keeps the public method and channel names', () => {
    // Installed windows and main agree on these names: rows may be added, never renamed.
    expect(Object.fromEntries(ipcRows.map(([m, r]) => [m, `${r.direction} ${r.channel}`]))).toEqual({
      getState: 'invoke state:get',
      syncNow: 'invoke sync:now',
      pause: 'invoke sync:pause',
      resume: 'invoke sync:resume',
      retry: 'invoke queue:retry',
      cancel: 'invoke queue:cancel',
      uploadNewerVersion: 'invoke recording:upload-newer',
      getSettings: 'invoke settings:get',
      setSettings: 'invoke settings:set',
      testConnection: 'invoke connection:test',
      openLibrary: 'invoke library:open',
      chooseLibraryFolder: 'invoke library:choose',
      getHistory: 'invoke history:query',
      openRecording: 'invoke recording:open',
      showRecording: 'invoke recording:show',
      installUpdate: 'invoke update:install',
      onState: 'push state:changed',
      onEvent: 'push engine:event',
      onNavigate: 'push app:navigate',
      onUpdate: 'push update:status',
    });
    // Every request row carries its argument schema.
    for (const [, row] of ipcRows) if (row.direction === 'invoke') expect(typeof row.args.safeParse).toBe('function');
  });
});

describe('the in-process bridge (component tests)', () => {
  it("has exactly the table's methods; requests reach main's handlers, and update and navigation pushes reach the page", async () => {
    const store = openSettingsStore(path.join(dir, 'state'), path.join(dir, 'library'));
    const dispatch = createDispatch(
      { engine, settings: store, secrets: new BridgeSecretStore(), host: host() },
      new URL(IN_PROCESS_PAGE).origin,
    );
    const api = createInProcessApi(engine, dispatch);
    expect(
      Object.keys(api)
        .filter((k) => k !== 'calls' && k !== 'push')
        .sort(),
    ).toEqual(tableMethods());

    expect(await api.installUpdate()).toBe(true);
    expect(installs).toBe(1);
    await expect(api.setSettings({ concurrency: 100 })).rejects.toThrow(/invalid arguments/);

    const got: unknown[] = [];
    const offUpdate = api.onUpdate((u) => got.push(u));
    const offNav = api.onNavigate((v) => got.push(v));
    const ready: UpdateView = { state: 'ready', version: '2.0.0' };
    api.push('update:status', ready);
    api.push('app:navigate', 'settings');
    offUpdate();
    offNav();
    api.push('update:status', { state: 'none' });
    expect(got).toEqual([ready, 'settings']);
    expect(got[0]).not.toBe(ready); // cloned, as IPC would
  });
});

describe('the WebSocket bridge (Chromium tests)', () => {
  let bridge: Bridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
  });

  /** Runs the served /bridge.js the way the page does, with a WebSocket that sends the page's Origin. */
  async function pageApi(b: Bridge): Promise<PlaudSyncApi> {
    const js = await (await fetch(new URL('bridge.js', b.url))).text();
    const origin = b.url.replace(/\/$/, '');
    class PageWebSocket extends NodeWebSocket {
      constructor(url: string) {
        super(url, { origin });
      }
    }
    const window: Record<string, unknown> = {};
    vm.runInNewContext(js, {
      window,
      location: { href: `${b.url}index.html` },
      URL,
      WebSocket: PageWebSocket,
      JSON,
      Map,
      Set,
      Promise,
      Error,
      TypeError,
      Object,
    });
    return window.plaudSync as PlaudSyncApi;
  }

  it("the page script has exactly the table's methods and carries requests, the update channel and navigation", async () => {
    const rendererDir = path.join(dir, 'renderer');
    fs.mkdirSync(rendererDir);
    const store = openSettingsStore(path.join(dir, 'state'), path.join(dir, 'library'));
    bridge = await startBridge({
      engine,
      settings: store,
      secrets: new BridgeSecretStore(),
      rendererDir,
      host: host(),
    });
    const api = await pageApi(bridge);
    expect(Object.keys(api).sort()).toEqual(tableMethods());

    expect((await api.getSettings()).libraryDir).toBe(path.join(dir, 'library'));
    expect(await api.installUpdate()).toBe(true);
    expect(installs).toBe(1);
    await expect(api.cancel(5 as unknown as string)).rejects.toThrow(/invalid arguments/);

    const got: unknown[] = [];
    api.onUpdate((u) => got.push(u));
    api.onNavigate((v) => got.push(v));
    bridge.push('update:status', { state: 'downloading', version: '2.0.0', percent: 40 });
    bridge.push('app:navigate', 'history');
    await expect
      .poll(() => got, { timeout: 5_000 })
      .toEqual([{ state: 'downloading', version: '2.0.0', percent: 40 }, 'history']);
  });
});

describe('lint: raw IPC only in main/app/ipc/ and preload/, the renderer imports only the contract', () => {
  const eslint = new ESLint({ cwd: path.resolve('.') });
  const rules = async (file: string, code: string) =>
    (await eslint.lintText(code, { filePath: path.resolve(file) }))[0]!.messages.map((m) => `${m.ruleId}@${m.line}`);

  const planted = [
    "import { ipcMain } from 'electron';", // 1
    "import * as electron from 'electron';", // 2
    'export const a = ipcMain;', // 3
    "electron.ipcRenderer.send('x');", // 4
    'declare const win: { webContents: { send(c: string): void } };', // 5
    "win.webContents.send('state:changed');", // 6
    'declare const webContents: { send(c: string): void };', // 7
    "webContents.send('state:changed');", // 8
  ].join('\n');

  it('fires on a planted use outside those rooms, and not inside them', async () => {
    // A namespace import is refused too: it would hand out ipcMain as electron.ipcMain.
    expect(await rules('main/app/planted.ts', planted)).toEqual([
      'no-restricted-imports@1',
      'no-restricted-imports@2',
      'no-restricted-syntax@4',
      'no-restricted-syntax@6',
      'no-restricted-syntax@8',
    ]);
    expect(await rules('main/app/ipc/planted.ts', planted)).toEqual([]);
    expect(await rules('preload/planted.ts', planted)).toEqual([]);
  }, 30_000);

  it('lets the renderer import from main only the contract', async () => {
    expect(
      await rules(
        'renderer/src/planted.ts',
        "import type { EngineState } from '../../main/sync/engine/state.js';\nexport type S = EngineState;",
      ),
    ).toEqual(['no-restricted-imports@1']);
    expect(
      await rules(
        'renderer/src/views/planted.tsx',
        "import type { SettingsView } from '../../../main/app/ipc/contract.js';\nexport type S = SettingsView;",
      ),
    ).toEqual([]);
    expect(
      await rules('renderer/src/planted.ts', "import { ipcRenderer } from 'electron';\nexport const r = ipcRenderer;"),
    ).toContain('no-restricted-imports@1');
  }, 30_000);
});
