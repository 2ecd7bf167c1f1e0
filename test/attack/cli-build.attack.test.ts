// ATTACK (attack5): `npm run build` (scripts/build-cli.mjs) replaces each file of dist/cli/ in one rename so a CLI
// starting meanwhile never reads half a chunk. But esbuild lists index.js (and each command's chunk) before the
// shared chunks they import, and the script wrote them in that order: after a change to the sources, a CLI started
// during the build found the new index.js and failed with ERR_MODULE_NOT_FOUND for a chunk not written yet.
// The build here runs in a copy of the project under a folder with spaces, over a dist/ left by the old tsc build,
// and a preloaded hook checks, at every rename, that each file the renamed one imports is already in place.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyProject } from './project-copy.js';

let tmp: string;
let copy: string;

// Written as a file and given to node with --import: patches the fs object build-cli.mjs imports.
const HOOK = `
import fs from 'node:fs';
import path from 'node:path';
const rename = fs.renameSync;
fs.renameSync = function (from, to) {
  rename.call(fs, from, to);
  if (!String(to).endsWith('.js')) return;
  const text = fs.readFileSync(to, 'utf8');
  for (const m of text.matchAll(/(?:from|import)\\s*\\(?\\s*"(\\.\\/[^"]+\\.js)"/g)) {
    if (!fs.existsSync(path.join(path.dirname(to), m[1])))
      process.stderr.write('MISSING ' + path.basename(to) + ' -> ' + m[1] + '\\n');
  }
};
`;

function run(args: string[], cwd = copy) {
  return spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 120_000 });
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-attack5-build-'));
  copy = path.join(tmp, 'my projects', 'plaud sync');
  await copyProject(copy);
  // What the tsc build left before the bundle: dist/cli/index.js importing module files beside it.
  await fs.mkdir(path.join(copy, 'dist/cli/commands'), { recursive: true });
  await fs.mkdir(path.join(copy, 'dist/sync'), { recursive: true });
  await fs.writeFile(
    path.join(copy, 'dist/cli/index.js'),
    'import "../sync/log.js";\nexport async function main() { throw new Error("the old tsc build ran"); }\n',
  );
  await fs.writeFile(path.join(copy, 'dist/cli/commands/sync.js'), 'throw new Error("old module file");\n');
  await fs.writeFile(path.join(copy, 'dist/sync/log.js'), 'export {};\n');
  await fs.writeFile(path.join(tmp, 'hook.mjs'), HOOK);
}, 60_000);

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

it('every file the build puts in place finds the files it imports already there (fresh build, changed sources)', () => {
  const first = run(['--import', path.join(tmp, 'hook.mjs'), 'scripts/build-cli.mjs']);
  expect(first.status, first.stderr).toBe(0);
  expect(first.stderr).not.toMatch(/MISSING/);
}, 120_000);

it('a source change rebuilds without a moment where the new index.js or a command lacks a chunk', async () => {
  // A changed message in a module every command shares: new shared chunks, a new index.js and new command chunks.
  const common = path.join(copy, 'main/cli/common.ts');
  await fs.appendFile(common, '\nexport const ATTACK5_MARK = "rebuilt " + String(Date.now());\n');
  const idx = path.join(copy, 'main/cli/index.ts');
  await fs.appendFile(idx, '\nimport { ATTACK5_MARK } from "./common.js";\nvoid ATTACK5_MARK;\n');
  const again = run(['--import', path.join(tmp, 'hook.mjs'), 'scripts/build-cli.mjs']);
  expect(again.status, again.stderr).toBe(0);
  expect(again.stderr).not.toMatch(/MISSING/);
}, 120_000);

it('the bundle built from a folder with spaces over an old tsc dist/ runs: --version, a command, usage errors', () => {
  const version = run(['bin/plaud-sync.js', '--version']);
  expect(version.status, version.stderr).toBe(0);
  expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  const help = run(['bin/plaud-sync.js', 'sync', '--help']);
  expect(help.status, help.stderr).toBe(0);
  expect(help.stdout).toMatch(/--api-base/);
  const bad = run(['bin/plaud-sync.js', 'pull', '--format', 'wav']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/wav/);
  expect(bad.stderr).not.toMatch(/old tsc build|old module file|\n\s+at /);
}, 120_000);

it('a checkout that was never built (npm install --ignore-scripts) says how to build, not "Cannot find module"', async () => {
  const bare = path.join(tmp, 'never built');
  await copyProject(bare);
  const res = run(['bin/plaud-sync.js', 'devices'], bare);
  expect(res.status).toBe(1);
  expect(res.stderr).toContain(`plaud-sync is not built: ${path.join(bare, 'dist/cli/index.js')} is missing.`);
  expect(res.stderr).toContain('Run "npm run build" in');
  expect(res.stderr).not.toMatch(/Cannot find module/);
}, 60_000);
