// `npm run bench [name...]`: runs each benchmark module in order and prints its figures.
// Every benchmark prints ratios against a baseline measured in the same run (cp, rclone, ...).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Order matters only for reading the output. Each module exports `run(): Promise<void>`.
const BENCHES = ['device', 'pull', 'upload', 'ledger', 'sync', 'renderer'];

const here = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
let failed = false;
for (const name of BENCHES) {
  if (wanted.length && !wanted.includes(name)) continue;
  const file = path.join(here, `${name}.bench.ts`);
  if (!existsSync(file)) continue;
  console.log(`\n== ${name} ==`);
  try {
    const mod = (await import(file)) as { run(): Promise<void> };
    await mod.run();
  } catch (err) {
    failed = true;
    console.error(`bench ${name} failed:`, err);
  }
}
process.exitCode = failed ? 1 : 0;
