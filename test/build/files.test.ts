// Everything the packaged app loads at run time must be packed, and nothing else from the source tree.
// The run-time paths are read from the code and config (package.json main, the path.join(appRoot, ...)
// calls in main/app, the tray's icon naming), not listed here, so a new or moved file is caught.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { TRAY_ICON_STATES } from '../../main/app/tray-state.js';
import { ROOT, appFileFilter, loadConfig } from './builder.js';

type Platform = 'mac' | 'win' | 'linux';
const PLATFORMS: [Platform, NodeJS.Platform][] = [
  ['mac', 'darwin'],
  ['win', 'win32'],
  ['linux', 'linux'],
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(rel);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Paths the app code builds from its root: path.join(appRoot, 'a', 'b', ...) with literal segments. */
function appRootReferences(): { file: string; rel: string }[] {
  const refs: { file: string; rel: string }[] = [];
  for (const file of sourceFiles('main/app')) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/path\.join\(\s*(?:\w+\.)?appRoot\s*,((?:\s*'[^']*'\s*,?)+)\)/g)) {
      const segments = [...m[1]!.matchAll(/'([^']*)'/g)].map((s) => s[1]!);
      refs.push({ file, rel: segments.join('/') });
    }
  }
  return refs;
}

// tray.ts imports electron (the binary cannot run here).
vi.mock('electron', () => import('../support/electron-mock.js'));

let config: Awaited<ReturnType<typeof loadConfig>>;
let mainEntry: string;
beforeAll(async () => {
  config = await loadConfig();
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string };
  // electron-builder writes extraMetadata over package.json in the app: that `main` is what Electron starts.
  mainEntry = ((config.extraMetadata as { main?: string } | undefined)?.main ?? pkg.main).replace(/^\.\//, '');
});

describe('files in the packaged app', () => {
  it('finds the run-time references in the app code', () => {
    const rels = appRootReferences().map((r) => r.rel);
    // The window's files (served from out/renderer by the app:// scheme) and the preload must be among them; if this
    // fails the app stopped using path.join(appRoot, ...) and this test must learn the new way.
    expect(rels.some((r) => r.endsWith('.html') || /(^|\/)out\/renderer\/?$/.test(r))).toBe(true);
    expect(rels.some((r) => r.includes('preload'))).toBe(true);
  });

  it.each(PLATFORMS)('packs the main entry, preload, renderer and assets the code loads (%s)', (platform) => {
    const packed = appFileFilter(config, platform);
    expect(packed('package.json')).toBe(true);
    expect(packed(mainEntry), `main entry ${mainEntry}`).toBe(true);
    for (const { file, rel } of appRootReferences()) {
      const abs = path.join(ROOT, rel);
      if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) {
        const inside = fs.readdirSync(abs);
        expect(inside.length, `${rel} (from ${file}) is empty`).toBeGreaterThan(0);
        for (const f of inside) expect(packed(`${rel}/${f}`), `${rel}/${f} (from ${file})`).toBe(true);
      } else {
        // Build output (out/...) exists only after `npm run build:app`; its place must still be packed.
        expect(packed(rel), `${rel} (from ${file})`).toBe(true);
      }
    }
  });

  it.each(PLATFORMS)('packs every tray icon the tray asks for (%s)', async (platform, os) => {
    const { trayIconPath } = await import('../../main/app/tray.js');
    const packed = appFileFilter(config, platform);
    const trayDir = appRootReferences().find((r) => r.rel.includes('tray'))?.rel ?? 'assets/tray';
    for (const state of TRAY_ICON_STATES) {
      const rel = trayIconPath(trayDir, state, os).split(path.sep).join('/');
      expect(fs.existsSync(path.join(ROOT, rel)), `${rel} exists`).toBe(true);
      expect(packed(rel), rel).toBe(true);
    }
  });

  // The real build output: out/ after `npm run build:app`, else a fresh `electron-vite build` into a scratch folder.
  let outRoot = path.join(ROOT, 'out');
  beforeAll(() => {
    if (fs.existsSync(path.join(outRoot, 'main'))) return;
    outRoot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plaud-files-')), 'out');
    const r = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'),
        'build',
        '--outDir',
        outRoot,
        '--logLevel',
        'warn',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 240_000 },
    );
    if (r.status !== 0) throw new Error(`electron-vite build failed:\n${r.stdout}\n${r.stderr}`);
  }, 300_000);

  it('packs every file the app build wrote, except source maps', () => {
    const packed = appFileFilter(config, 'linux');
    const walk = (dir: string): string[] =>
      fs
        .readdirSync(path.join(outRoot, dir), { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? walk(path.posix.join(dir, e.name)) : [path.posix.join(dir, e.name)]));
    const files = walk('.').map((f) => path.posix.join('out', f));
    expect(files).toContain(mainEntry);
    for (const f of files) expect(packed(f), f).toBe(!f.endsWith('.map'));
  });

  it('the built main process imports only production dependencies', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const code = fs.readFileSync(path.join(outRoot, path.relative('out', mainEntry)), 'utf8');
    const specs = [
      ...code.matchAll(/^import\s[^;]*?from\s*"([^"]+)";?$|^import\s*"([^"]+)";?$|\bimport\("([^"]+)"\)/gm),
    ].map((m) => m[1] ?? m[2] ?? m[3]!);
    expect(specs).toContain('electron');
    const external = specs.filter((s) => !s.startsWith('.') && !s.startsWith('node:') && s !== 'electron');
    const names = external.map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
    expect(names.filter((n) => !(n in pkg.dependencies))).toEqual([]);
  });

  it('packs the window icon', () => {
    expect(fs.existsSync(path.join(ROOT, 'assets/icon.png'))).toBe(true);
    expect(appFileFilter(config, 'linux')('assets/icon.png')).toBe(true);
  });

  it('leaves sources, tests, build resources and other output out', () => {
    const packed = appFileFilter(config, 'linux');
    for (const rel of [
      'main/app/updater.ts',
      'main/sync/devices/traits.ts',
      'test/build/files.test.ts',
      'renderer/index.html',
      'build/icon.icns',
      'build/linux/70-plaud-sync.rules',
      'dist/cli/index.js',
      'release/latest-linux.yml',
      'electron-builder.yml',
      'out/main/index.js.map',
      'node_modules/typescript/package.json',
    ]) {
      expect(packed(rel), rel).toBe(false);
    }
  });

  it('ships every package the main process imports as a production dependency', () => {
    // electron-vite keeps dependencies external in main: what main/ imports must be in `dependencies`.
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const builtin = new Set(['electron']);
    const missing: string[] = [];
    for (const file of sourceFiles('main')) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of text.matchAll(
        /^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/gm,
      )) {
        const spec = m[1] ?? m[2]!;
        if (spec.startsWith('.') || spec.startsWith('node:')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (builtin.has(name) || name in pkg.dependencies) continue;
        missing.push(`${name} (imported by ${file})`);
      }
    }
    expect(missing).toEqual([]);
  });
});
