#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/cli/ by `npm run build` (run by `prepare` on install).
import { existsSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const bundle = new URL('../dist/cli/index.js', import.meta.url);
import(bundle.href)
  .then((m) => m.main(process.argv))
  .catch((err) => {
    // A checkout installed with --ignore-scripts, or whose build failed, has no bundle: say how to make one.
    if (!existsSync(bundle)) {
      const root = fileURLToPath(new URL('..', import.meta.url));
      console.error(`plaud-sync is not built: ${fileURLToPath(bundle)} is missing. Run "npm run build" in ${root}.`);
    } else console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
