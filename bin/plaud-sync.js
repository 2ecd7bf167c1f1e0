#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/cli/ by `npm run build` (run by `prepare` on install).
import('../dist/cli/index.js')
  .then((m) => m.main(process.argv))
  .catch((err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
