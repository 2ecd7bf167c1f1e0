// The electron mock must stay shaped like the real API: every method and property it offers (apart
// from its named test helpers) must exist under the same name in Electron's own type declarations,
// and every value main/app and preload import from 'electron' must exist in the mock.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as mock from '../support/electron-mock.js';

const dts = fs.readFileSync(path.resolve('node_modules/electron/electron.d.ts'), 'utf8');

/** Member names declared in `class X` / `interface X` (and what it extends within Electron). */
function declared(name: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(name)) return out;
  seen.add(name);
  const m = new RegExp(
    `^  (?:class|interface) ${name}\\b(?: extends ([\\w.]+))?[^\\n]*\\{\\n([\\s\\S]*?)^  \\}`,
    'm',
  ).exec(dts);
  if (!m) throw new Error(`electron.d.ts has no ${name}`);
  for (const mm of m[2]!.matchAll(/^ {4}(?:static |readonly )*(\w+)\??[(:<]/gm)) out.add(mm[1]!);
  if (m[1] && !m[1].includes('EventEmitter')) for (const x of declared(m[1], seen)) out.add(x);
  if (m[1]?.includes('EventEmitter'))
    for (const x of [
      'on',
      'once',
      'emit',
      'off',
      'removeListener',
      'removeAllListeners',
      'listenerCount',
      'addListener',
    ])
      out.add(x);
  return out;
}

function ownMembers(obj: object): string[] {
  const names = new Set<string>();
  for (
    let p: object | null = obj;
    p && p !== Object.prototype && !p.constructor?.name?.includes('EventEmitter');
    p = Object.getPrototypeOf(p)
  ) {
    if (p.constructor?.name === 'EventEmitter') break;
    for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor' && !k.startsWith('_')) names.add(k);
  }
  return [...names];
}

// Test-only helpers and recorded data, named so nobody mistakes them for Electron API.
const HELPERS = new Set([
  'sent',
  'windowOpenHandler',
  'finishLoad',
  'simulateDestroyed',
  'attemptNavigation',
  'attemptWindowOpen',
  'resetReady',
  'options',
  'focused',
  'visible',
  'minimized',
  'destroyed',
  'loading',
  'ready',
  'readyPromise',
  'all',
  'sourcePath',
  'size',
  'template',
  'image',
  'toolTip',
  'contextMenu',
  'shown',
  'opts',
  'handlers',
  'permissionRequestHandler',
  'permissionCheckHandler',
  'headersListener',
  'title',
  'body',
  'privileged',
]);

const CASES: [string, object][] = [
  ['App', mock.app],
  ['BrowserWindow', new mock.BrowserWindow({ show: false })],
  ['WebContents', new mock.BrowserWindow({ show: false }).webContents],
  ['WebFrameMain', new mock.WebFrameMain('file:///x', 1)],
  ['Tray', new mock.Tray(mock.nativeImage.createEmpty())],
  ['Menu', mock.Menu.buildFromTemplate([])],
  ['MenuItem', new mock.MenuItem({ label: 'x' })],
  ['Notification', new mock.Notification({ title: 't' })],
  ['NativeImage', mock.nativeImage.createEmpty()],
  ['Session', mock.session.defaultSession],
  ['SafeStorage', mock.safeStorage],
  ['Shell', mock.shell],
  ['Dialog', mock.dialog],
  ['IpcMain', mock.ipcMain],
  ['IpcRenderer', mock.ipcRenderer],
  ['ContextBridge', mock.contextBridge],
  ['PowerMonitor', mock.powerMonitor],
  ['Protocol', mock.protocol],
];

describe('electron mock shape', () => {
  for (const [name, obj] of CASES) {
    it(`${name}: every mock member exists in Electron`, () => {
      const real = declared(name);
      const extra = ownMembers(obj).filter((k) => !HELPERS.has(k) && !real.has(k));
      expect(extra).toEqual([]);
    });
  }

  it('statics: BrowserWindow.getAllWindows/fromWebContents, Menu.buildFromTemplate, Notification.isSupported, nativeImage.createFromPath', () => {
    for (const [cls, names] of [
      ['BrowserWindow', ['getAllWindows', 'fromWebContents']],
      ['Menu', ['buildFromTemplate', 'setApplicationMenu']],
      ['Notification', ['isSupported']],
      ['NativeImage', ['createFromPath', 'createEmpty']],
    ] as const) {
      const real = declared(cls);
      for (const n of names) expect(real.has(n), `${cls}.${n}`).toBe(true);
    }
  });

  it('everything main/app and preload import from electron exists in the mock', () => {
    const files = ['main/app', 'preload'].flatMap((d) =>
      fs
        .readdirSync(d, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
        .map((f) => path.join(d, f)),
    );
    const used = new Set<string>();
    for (const f of files) {
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/^import \{([^}]+)\} from 'electron';/gm)) {
        for (const part of m[1]!.split(',')) {
          const n = part.trim();
          if (n && !n.startsWith('type ')) used.add(n);
        }
      }
    }
    expect(used.size).toBeGreaterThan(8);
    for (const n of used) expect(mock, n).toHaveProperty(n);
  });
});
