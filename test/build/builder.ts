// electron-builder's own config loading, validation and file matching, for the packaging tests.
// These are app-builder-lib internals (CommonJS, no exports map): the same code `electron-builder` runs.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Configuration } from 'electron-builder';

const require = createRequire(import.meta.url);

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const configModule = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(
    projectDir: string,
    configPath: string | null,
    configFromOptions: Configuration | null,
  ): Promise<Configuration>;
  validateConfiguration(config: Configuration, debugLogger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
type Filter = (file: string, stat: { isDirectory(): boolean }) => boolean;
interface Matcher {
  from: string;
  createFilter(): Filter;
}
const fileMatcher = require('app-builder-lib/out/fileMatcher.js') as {
  FileMatcher: new (from: string, to: string, expand: (s: string) => string, patterns: string[] | string) => Matcher;
  getMainFileMatchers(
    appDir: string,
    destination: string,
    expand: (s: string) => string,
    platformOptions: object,
    platformPackager: object,
    outDir: string,
    isElectronCompile: boolean,
  ): Matcher[];
};

/** electron-builder.yml as electron-builder loads it (defaults merged, `extra` merged like CLI/API options). */
export async function loadConfig(extra: Configuration | null = null): Promise<Configuration> {
  // getConfig mutates what it is given; hand it a copy.
  return configModule.getConfig(ROOT, null, extra ? structuredClone(extra) : null);
}

/** Throws electron-builder's "Invalid configuration object" error when the schema rejects `config`. */
export async function validate(config: Configuration): Promise<void> {
  await configModule.validateConfiguration(structuredClone(config), new DebugLogger(false));
}

function walkAccepts(filter: Filter, from: string, relFile: string): boolean {
  const parts = relFile.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const isDir = i < parts.length;
    if (!filter(path.join(from, ...parts.slice(0, i)), { isDirectory: () => isDir })) return false;
  }
  return true;
}

/**
 * The app-file filter electron-builder builds for packaging: `files` plus its default additions and
 * exclusions (package.json, no node_modules, no build resources, no output dir, no *.d.ts, ...).
 * True when `relFile` (and every directory above it) would be copied into the app.
 */
export function appFileFilter(config: Configuration, platform: 'mac' | 'win' | 'linux'): (relFile: string) => boolean {
  const info = {
    projectDir: ROOT,
    buildResourcesDir: path.resolve(ROOT, config.directories?.buildResources ?? 'build'),
    config,
    isPrepackedAppAsar: false,
    debugLogger: { isEnabled: false },
  };
  const outDir = path.resolve(ROOT, config.directories?.output ?? 'dist');
  const matchers = fileMatcher.getMainFileMatchers(
    ROOT,
    '/',
    (s) => s,
    config[platform] ?? {},
    { info },
    outDir,
    false,
  );
  const filters = matchers.map((m) => ({ from: m.from, filter: m.createFilter() }));
  return (relFile) => filters.some((f) => walkAccepts(f.filter, f.from, relFile));
}

/** True when an asarUnpack-style matcher takes the file `relFile` (AsarPackager tests each file, not its dirs). */
export function patternsMatch(patterns: string[] | string, relFile: string): boolean {
  const filter = new fileMatcher.FileMatcher(ROOT, '/', (s) => s, patterns).createFilter();
  return filter(path.join(ROOT, relFile), { isDirectory: () => false });
}
