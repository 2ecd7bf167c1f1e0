// docs/architecture.md states what never imports what. These rules are checked here against the real
// imports of every source file, so the page cannot drift from the code: break a rule and this fails,
// and either the code or the page must change.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Import {
  /** The module specifier as written. */
  spec: string;
  /** `import type` / `export type`: erased at build time, so no run-time dependency. */
  typeOnly: boolean;
}

/** The static imports, re-exports and dynamic imports of a TypeScript source. */
export function importsOf(source: string): Import[] {
  const found: Import[] = [];
  // import x from '...', import { a,\n b } from '...', export { a } from '...', export * from '...';
  // [^;]*? keeps a match inside one statement.
  for (const m of source.matchAll(/(?:^|[;\n])\s*(?:import|export)\s+(type\s+)?[^;'"]*?\bfrom\s*(['"])([^'"]+)\2/g)) {
    found.push({ spec: m[3]!, typeOnly: !!m[1] });
  }
  for (const m of source.matchAll(/(?:^|[;\n])\s*import\s*(['"])([^'"]+)\1/g))
    found.push({ spec: m[2]!, typeOnly: false });
  for (const m of source.matchAll(/\bimport\s*\(\s*(['"])([^'"]+)\1\s*\)/g))
    found.push({ spec: m[2]!, typeOnly: false });
  return found;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

interface Edge {
  from: string; // repo-relative file
  to: string; // repo-relative resolved path of a relative import, or the package name
  typeOnly: boolean;
}

function edges(dir: string): Edge[] {
  return sourceFiles(path.join(ROOT, dir)).flatMap((file) =>
    importsOf(fs.readFileSync(file, 'utf8')).map((i) => ({
      from: path.relative(ROOT, file),
      to: i.spec.startsWith('.') ? path.relative(ROOT, path.resolve(path.dirname(file), i.spec)) : i.spec,
      typeOnly: i.typeOnly,
    })),
  );
}

const show = (e: Edge) => `${e.from} -> ${e.to}${e.typeOnly ? ' (type)' : ''}`;
const under = (p: string, dir: string) => p === dir || p.startsWith(dir + '/');

/** The engine's parts, and which other parts each may import (engine/ ties them together and may use all). */
const PART_MAY_IMPORT: Record<string, string[]> = {
  audio: [],
  recording: ['ledger'],
  ledger: ['recording'],
  cloud: [],
  devices: ['audio'],
  library: ['audio', 'devices', 'recording'],
  upload: ['audio', 'cloud'],
};

describe('the import scanner', () => {
  it('sees every form, and which are type-only', () => {
    const src = [
      "import fs from 'node:fs';",
      "import type { A } from '../a.js';",
      'import {',
      '  b,',
      '  type C,',
      "} from './b.js';",
      "export { d } from './d.js';",
      "export type { E } from './e.js';",
      "export * from './f.js';",
      "import './side-effect.js';",
      "const g = await import('./g.js');",
      'const s = \'not from here\'; const t = "x";',
    ].join('\n');
    expect(importsOf(src)).toEqual([
      { spec: 'node:fs', typeOnly: false },
      { spec: '../a.js', typeOnly: true },
      { spec: './b.js', typeOnly: false },
      { spec: './d.js', typeOnly: false },
      { spec: './e.js', typeOnly: true },
      { spec: './f.js', typeOnly: false },
      { spec: './side-effect.js', typeOnly: false },
      { spec: './g.js', typeOnly: false },
    ]);
  });
});

describe('what never imports what (docs/architecture.md)', () => {
  const sync = edges('main/sync');

  it('main/sync imports neither electron nor the app, the CLI, the preload or the renderer', () => {
    expect(sync.length).toBeGreaterThan(50);
    const bad = sync.filter(
      (e) =>
        e.to === 'electron' ||
        e.to.startsWith('electron/') ||
        ['main/app', 'main/cli', 'preload', 'renderer'].some((d) => under(e.to, d)),
    );
    expect(bad.map(show)).toEqual([]);
  });

  it('main/app and main/cli never import each other', () => {
    const bad = [
      ...edges('main/app').filter((e) => under(e.to, 'main/cli')),
      ...edges('main/cli').filter((e) => under(e.to, 'main/app')),
    ];
    expect(bad.map(show)).toEqual([]);
  });

  it('inside main/sync, each part imports only the parts it is allowed to', () => {
    const parts = fs
      .readdirSync(path.join(ROOT, 'main/sync'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    // Every part is in the table or is the engine, so a new part has to be placed in docs/architecture.md too.
    expect(parts.filter((p) => p !== 'engine' && !(p in PART_MAY_IMPORT))).toEqual([]);
    const bad = sync.filter((e) => {
      const [, , fromPart, ...rest] = e.from.split('/');
      if (!rest.length || fromPart === 'engine') return false; // a top-level shared module, or the engine
      if (!under(e.to, 'main/sync')) return false;
      const toPart = e.to.split('/')[2]!;
      if (!parts.includes(toPart) || toPart === fromPart) return false; // a shared top-level module, or itself
      return !PART_MAY_IMPORT[fromPart!]!.includes(toPart);
    });
    expect(bad.map(show)).toEqual([]);
  });

  it('the renderer takes only types from main/, and nothing from main/ at run time', () => {
    const all = edges('renderer');
    expect(all.length).toBeGreaterThan(10);
    // The one exception (docs/architecture.md): the pure file-name pattern, for the Settings preview.
    const PURE = 'main/sync/library/names.js';
    expect(all.filter((e) => under(e.to, 'main') && !e.typeOnly && !e.to.endsWith(PURE)).map(show)).toEqual([]);
    // ...and it stays pure: it imports only the device table at run time, which imports nothing at run time.
    const fromNames = sync.filter((e) => e.from === 'main/sync/library/names.ts' && !e.typeOnly).map((e) => e.to);
    expect(fromNames).toEqual(['main/sync/devices/traits.js']);
    expect(sync.filter((e) => e.from === 'main/sync/devices/traits.ts' && !e.typeOnly)).toEqual([]);
  });

  it('the preload imports only electron and the IPC contract', () => {
    const bad = edges('preload').filter((e) => e.to !== 'electron' && !under(e.to, 'main/app/ipc'));
    expect(bad.map(show)).toEqual([]);
  });
});
