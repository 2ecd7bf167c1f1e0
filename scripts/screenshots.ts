// `npm run screenshots`: regenerates the README's and the docs' screenshots from the real-engine end-to-end run
// (test/renderer/e2e/real-engine.e2e.test.ts: headless Chromium, the real engine, the Plaud API emulator, recorders
// that are FAT volumes mounted with fusefat). It runs that one test file with PLAUD_SCREENSHOTS_DIR naming a fresh
// folder, then copies the shots scripts/screenshots.list.ts chooses to assets/screenshots/<name>.png. Nothing is
// copied unless the run passed and every chosen shot is there, so a bad run never replaces good pictures.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCREENSHOTS_ASSETS, SCREENSHOTS_DIR_ENV, SHOTS, type Shot } from './screenshots.list.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const E2E_FILE = 'test/renderer/e2e/real-engine.e2e.test.ts';

/** Runs the e2e file once, writing its screenshots into `outDir`; resolves with vitest's exit code. */
function runE2e(outDir: string): Promise<number> {
  const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  if (!existsSync(vitest)) throw new Error(`vitest is not installed (${vitest} is missing): run npm ci first.`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vitest, 'run', E2E_FILE], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, [SCREENSHOTS_DIR_ENV]: outDir },
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** The chosen shots the run did not write, each in words. */
export function missingShots(outDir: string, shots: readonly Shot[] = SHOTS): string[] {
  return shots
    .filter((s) => !existsSync(path.join(outDir, `${s.from}.png`)))
    .map((s) => `${s.from}.png (for ${SCREENSHOTS_ASSETS}/${s.name}.png: ${s.shows})`);
}

async function main(): Promise<number> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'plaud-screenshots-'));
  try {
    console.log(`Running ${E2E_FILE}; screenshots go to ${outDir}`);
    const code = await runE2e(outDir);
    if (code !== 0) {
      console.error(`\nThe end-to-end run failed (exit ${code}); no screenshot was replaced.`);
      return 1;
    }
    const missing = missingShots(outDir);
    if (missing.length) {
      console.error(
        [
          '\nThe run passed but did not take these screenshots, so none was replaced:',
          ...missing.map((m) => `  - ${m}`),
          'If the run said it was skipped, this computer lacks Chromium (/usr/bin/chromium, or set CHROMIUM_PATH) or',
          'FUSE (fusefat and /dev/fuse); see docs/testing.md.',
        ].join('\n'),
      );
      return 1;
    }
    const dest = path.join(ROOT, SCREENSHOTS_ASSETS);
    await mkdir(dest, { recursive: true });
    console.log('');
    for (const s of SHOTS) {
      const to = path.join(dest, `${s.name}.png`);
      await copyFile(path.join(outDir, `${s.from}.png`), to);
      const kb = Math.round((await stat(to)).size / 1024);
      console.log(`${path.relative(ROOT, to)} (${kb} KB): ${s.shows}`);
    }
    return 0;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

// Run only as a script: the docs test imports this module for its names.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
