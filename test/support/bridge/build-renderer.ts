// Builds the renderer with its own vite config into `outDir` (a temp dir per test file, so parallel
// test files never share or clobber a build).
import path from 'node:path';
import { build } from 'vite';
import { REPO_ROOT } from './server.js';

export async function buildRenderer(outDir: string): Promise<string> {
  await build({
    configFile: path.join(REPO_ROOT, 'renderer/vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}
