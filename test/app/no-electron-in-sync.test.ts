// The engine runs headless (CLI, daemon, tests): nothing under main/sync may load Electron, not
// even indirectly through a module that does. Backs up the eslint rule with a scan of the sources.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SYNC = path.resolve('main/sync');
const ELECTRON_DEPS = ['electron', 'electron-store', 'electron-updater', 'electron-log'];
// import ... from 'x' / export ... from 'x' / import('x') / require('x') / import 'x'
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)(['"`])([^'"`]+)\1/g;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(c|m)?[jt]sx?$/.test(e.name) ? [p] : [];
  });
}

export function electronImports(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(SPECIFIER)) {
    const spec = m[2]!;
    if (ELECTRON_DEPS.some((d) => spec === d || spec.startsWith(d + '/'))) found.push(spec);
  }
  return found;
}

describe('main/sync never imports electron', () => {
  it('the scanner catches every import form', () => {
    expect(electronImports(`import { app } from 'electron';`)).toEqual(['electron']);
    expect(electronImports(`import type { App } from "electron";`)).toEqual(['electron']);
    expect(electronImports(`const e = require('electron');`)).toEqual(['electron']);
    expect(electronImports(`await import('electron-store')`)).toEqual(['electron-store']);
    expect(electronImports(`export { x } from 'electron/main';`)).toEqual(['electron/main']);
    expect(electronImports(`import 'electron';`)).toEqual(['electron']);
    expect(electronImports(`import x from './electronics.js'; // electron`)).toEqual([]);
  });

  it('no source file under main/sync imports electron or an electron-only package', () => {
    const files = sourceFiles(SYNC);
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.flatMap((f) =>
      electronImports(fs.readFileSync(f, 'utf8')).map((s) => `${path.relative(process.cwd(), f)}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  it('main/sync does not reach into main/app (which does import electron)', () => {
    const offenders = sourceFiles(SYNC).filter((f) => /from\s*['"](\.\.\/)+app\//.test(fs.readFileSync(f, 'utf8')));
    expect(offenders.map((f) => path.relative(process.cwd(), f))).toEqual([]);
  });
});
