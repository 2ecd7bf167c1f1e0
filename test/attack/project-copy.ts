// A copy of the project's CLI sources (and a link to node_modules) in a folder of its own, for attacks that build the
// bundle and then change or remove its files: the worktree's dist/ is left to the tests running beside them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

const repo = path.resolve(__dirname, '../..');

export async function copyProject(dest: string): Promise<void> {
  await fs.mkdir(dest, { recursive: true });
  for (const p of ['package.json', 'tsconfig.json', 'tsconfig.base.json', 'scripts', 'main', 'bin']) {
    await fs.cp(path.join(repo, p), path.join(dest, p), { recursive: true });
  }
  await fs.symlink(await fs.realpath(path.join(repo, 'node_modules')), path.join(dest, 'node_modules'));
}

/** `npm run build` in the copy (the script itself, with any node flags before it). */
export function buildIn(dir: string, nodeFlags: string[] = []) {
  return spawnSync(process.execPath, [...nodeFlags, 'scripts/build-cli.mjs'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

/** The dist/cli files (per the build's metafile) holding a source file, e.g. main/sync/cloud/client.ts. */
export async function chunksHolding(dir: string, source: string): Promise<string[]> {
  const meta = JSON.parse(await fs.readFile(path.join(dir, 'dist/cli/meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return Object.entries(meta.outputs)
    .filter(([out, o]) => out.endsWith('.js') && Object.keys(o.inputs).includes(source))
    .map(([out]) => path.join(dir, out));
}
