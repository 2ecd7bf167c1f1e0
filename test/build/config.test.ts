// electron-builder.yml checked by electron-builder's own loader and JSON-schema validation, plus the
// packaging promises the schema cannot see (targets, per-user NSIS, kept app data, no native rebuild).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Configuration } from 'electron-builder';
import { distOptions, publishFromEnv } from '../../scripts/dist.js';
import { beforePack, missingUsbPackages, requiredUsbPackages } from '../../build/before-pack.mjs';
import { ROOT, loadConfig, patternsMatch, validate } from './builder.js';

const require = createRequire(import.meta.url);

function targetsOf(t: unknown): { target: string; arch: string[] }[] {
  const list = Array.isArray(t) ? t : [t];
  return list.map((x) =>
    typeof x === 'string' ? { target: x, arch: [] } : { target: x.target, arch: [x.arch ?? []].flat() },
  );
}

describe('electron-builder.yml', () => {
  it('loads and passes electron-builder validation', async () => {
    const config = await loadConfig();
    expect(config.appId).toBe('ai.plaud.sync');
    expect(config.productName).toBe('Plaud Sync');
    await expect(validate(config)).resolves.toBeUndefined();
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  it.each<[string, (c: Record<string, any>) => void]>([
    ['a misspelled option', (c) => (c.nsis.oneClik = false)],
    ['an unknown top-level key', (c) => (c.autoUpdate = true)],
    ['a wrong type', (c) => (c.mac.hardenedRuntime = 'sometimes')],
    ['an unknown fuse', (c) => (c.electronFuses.runAsNodeEverywhere = false)],
    ['a fuse that is not a boolean', (c) => (c.electronFuses.runAsNode = 'off')],
  ])('rejects a config with %s', async (_what, breakIt) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const config = structuredClone(await loadConfig()) as Record<string, any>;
    breakIt(config);
    await expect(validate(config as Configuration)).rejects.toThrow(/Invalid configuration object/);
  });

  it('stays valid with the update feed the dist script adds from the environment', async () => {
    for (const env of [
      { PLAUD_UPDATE_URL: 'https://updates.example.com/plaud-sync' },
      { PLAUD_UPDATE_GITHUB: 'plaud-sync/plaud-sync' },
    ]) {
      const opts = distOptions(['--linux'], env, ROOT);
      const config = await loadConfig(opts.config);
      expect(config.publish).toEqual(opts.config.publish);
      await expect(validate(config)).resolves.toBeUndefined();
    }
    expect(publishFromEnv({})).toBeNull();
    expect(() => publishFromEnv({ PLAUD_UPDATE_URL: 'http://updates.example.com/' })).toThrow(/https/);
    expect(() => publishFromEnv({ PLAUD_UPDATE_GITHUB: 'just-a-name' })).toThrow(/owner\/repo/);
    expect(() => publishFromEnv({ PLAUD_UPDATE_URL: 'https://a.example/', PLAUD_UPDATE_GITHUB: 'a/b' })).toThrow(
      /not both/,
    );
    expect(distOptions([], {}, ROOT).publish).toBe('never');
    expect(distOptions(['--win'], { PLAUD_PUBLISH: 'always' }, ROOT)).toMatchObject({ win: [], publish: 'always' });
  });

  it('builds dmg and zip for arm64 and x64, hardened and notarized by env', async () => {
    const c = await loadConfig();
    const mac = targetsOf(c.mac?.target);
    for (const t of ['dmg', 'zip']) expect(mac.find((m) => m.target === t)?.arch.sort()).toEqual(['arm64', 'x64']);
    expect(c.mac?.hardenedRuntime).toBe(true);
    expect(c.mac?.notarize).not.toBe(false);
    const plist = fs.readFileSync(path.join(ROOT, c.mac!.entitlements!), 'utf8');
    expect(plist).toContain('com.apple.security.cs.allow-jit');
  });

  it('installs per user on Windows with a directory choice and shortcuts, and keeps app data', async () => {
    const c = await loadConfig();
    expect(targetsOf(c.win?.target).map((t) => t.target)).toEqual(['nsis']);
    expect(c.nsis).toMatchObject({
      oneClick: false,
      perMachine: false,
      allowToChangeInstallationDirectory: true,
      createDesktopShortcut: 'always',
      createStartMenuShortcut: true,
      deleteAppDataOnUninstall: false,
    });
    const nsh = fs.readFileSync(path.join(ROOT, c.nsis!.include!), 'utf8');
    // Never prompt or abort while an update runs the old uninstaller.
    expect(nsh).toMatch(/\$\{ifNot\} \$\{isUpdated\}/);
  });

  it('builds AppImage and deb on Linux, the deb carrying the udev rule', async () => {
    const c = await loadConfig();
    expect(
      targetsOf(c.linux?.target)
        .map((t) => t.target)
        .sort(),
    ).toEqual(['AppImage', 'deb']);
    const mapping = (c.deb?.fpm ?? []).find((a) => a.includes('.rules='));
    expect(mapping).toBeDefined();
    const [src, dst] = mapping!.split('=');
    expect(fs.existsSync(path.join(ROOT, src!))).toBe(true);
    expect(dst).toMatch(/^\/usr\/lib\/udev\/rules\.d\/\d\d-[\w-]+\.rules$/);
  });

  it('references only files that exist', async () => {
    const c = await loadConfig();
    const files = [
      c.mac?.icon,
      c.win?.icon,
      c.mac?.entitlements,
      c.mac?.entitlementsInherit,
      c.nsis?.include,
      c.deb?.afterInstall,
      c.deb?.afterRemove,
      c.beforePack,
    ];
    for (const f of files) {
      expect(typeof f).toBe('string');
      expect(fs.existsSync(path.join(ROOT, f as string)), String(f)).toBe(true);
    }
    expect(fs.statSync(path.join(ROOT, c.linux!.icon!)).isDirectory()).toBe(true);
  });

  it('hardens the Electron binary with fuses', async () => {
    const c = await loadConfig();
    expect(c.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    expect(c.asar).not.toBe(false);
  });
});

describe('the usb native addon', () => {
  it('is unpacked from asar and never rebuilt', async () => {
    const c = await loadConfig();
    expect(c.npmRebuild).toBe(false);
    expect(c.buildDependenciesFromSource).not.toBe(true);
    // The binary installed here, found the way usb's loader finds it.
    const [pkg] = requiredUsbPackages(process.platform, process.arch);
    const dir = path.dirname(require.resolve(`${pkg}/package.json`));
    const binary = fs.readdirSync(dir).find((f) => f.endsWith('.node'));
    expect(binary).toBeDefined();
    const rel = path.relative(ROOT, path.join(dir, binary!)).split(path.sep).join('/');
    expect(patternsMatch(c.asarUnpack as string[], rel)).toBe(true);
    expect(patternsMatch(c.asarUnpack as string[], 'node_modules/usb/index.js')).toBe(true);
    // ...and the patterns are not so wide that everything leaves the archive.
    expect(patternsMatch(c.asarUnpack as string[], 'out/main/index.js')).toBe(false);
    expect(patternsMatch(c.asarUnpack as string[], 'node_modules/zod/package.json')).toBe(false);
  });

  it('beforePack refuses an arch whose binary is not installed, and passes this machine', async () => {
    const archEnum = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];
    await expect(
      beforePack({
        electronPlatformName: process.platform,
        arch: archEnum.indexOf(process.arch),
        packager: { projectDir: ROOT },
      }),
    ).resolves.toBeUndefined();
    const other = process.platform === 'darwin' ? 'win32' : 'darwin';
    const missing = missingUsbPackages(ROOT, other, 'arm64');
    expect(missing).toEqual(requiredUsbPackages(other, 'arm64'));
    await expect(beforePack({ electronPlatformName: other, arch: 3, packager: { projectDir: ROOT } })).rejects.toThrow(
      /npm install --no-save --force @node-usb\/usb-/,
    );
    expect(requiredUsbPackages('darwin', 'universal')).toEqual([
      '@node-usb/usb-darwin-x64',
      '@node-usb/usb-darwin-arm64',
    ]);
    // Every package name it asks for is one usb really depends on.
    const usbPkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/usb/package.json'), 'utf8')) as {
      optionalDependencies: Record<string, string>;
    };
    for (const [p, a] of [
      ['darwin', 'x64'],
      ['darwin', 'arm64'],
      ['win32', 'x64'],
      ['linux', 'x64'],
      ['linux', 'arm64'],
    ]) {
      for (const name of requiredUsbPackages(p!, a!)) expect(Object.keys(usbPkg.optionalDependencies)).toContain(name);
    }
  });
});

describe('deb maintainer scripts', () => {
  // FpmTarget fills ${name} macros from these names and throws on any other: a stray shell ${VAR}
  // would break the build. Then the result must be valid bash.
  const MACROS = { executable: 'plaud-sync', sanitizedProductName: 'Plaud Sync', productFilename: 'Plaud Sync' };
  it.each(['after-install.sh', 'after-remove.sh'])('%s expands and parses', (name) => {
    const text = fs.readFileSync(path.join(ROOT, 'build/linux', name), 'utf8');
    const expanded = text.replace(/\$\{([a-zA-Z]+)\}/g, (_m, k: string) => {
      if (!(k in MACROS)) throw new Error(`${name}: electron-builder would fail on macro \${${k}}`);
      return MACROS[k as keyof typeof MACROS];
    });
    expect(expanded).toContain("'/opt/Plaud Sync'");
    execFileSync('bash', ['-n'], { input: expanded });
    if (name === 'after-install.sh') expect(expanded).toMatch(/udevadm control --reload-rules/);
  });
});
