// kill -9 at random moments: a child process changes records in a loop, printing "committed <id>
// <state>" after each write returns; it is SIGKILLed, then the ledger must load and every record must
// be in the state the child last reported committed (or, for the one write in flight, its intent).
// Trials run on the same ledger, so each one also loads what the previous crash left behind.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger, type LedgerRecord } from '../../../main/sync/ledger/index.js';
import { simulateCrash } from './fixtures.js';

const TRIALS = 24;
const here = path.dirname(fileURLToPath(import.meta.url));
let work: string;
let childJs: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-kill-'));
  // Bundle the tsx child once (the same esbuild transform tsx uses): a fresh tsx start per trial
  // costs ~1.5 s on this machine, which would not fit 20+ trials in the time budget.
  childJs = path.join(work, 'child-writer.mjs');
  await build({
    entryPoints: [path.join(here, 'child-writer.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: childJs,
    logLevel: 'warning',
  });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const describeRecord = (r: LedgerRecord) => `${r.state}/${r.upload?.parts.length ?? 0}/${r.deviceDelete?.state ?? '-'}`;

/** Run the child, kill it `afterMs` after it is ready; resolve with its stdout once it is reaped. */
function runAndKill(dir: string, seed: number, afterMs: number, durability: 'each' | 'group'): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [childJs, 'churn', dir, String(seed), durability], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!timer && out.startsWith('ready\n')) timer = setTimeout(() => c.kill('SIGKILL'), afterMs);
    });
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // 'close' comes after the process is reaped and its pipes are drained: every line it wrote is in `out`.
    c.once('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child ended by itself (code ${code}, signal ${signal}): ${err}`));
      else resolve(out);
    });
  });
}

/** One chain of trials on one ledger; returns [committed writes checked, in-flight writes found on disk]. */
async function chain(
  dir: string,
  trials: number,
  seedBase: number,
  durability: 'each' | 'group' = 'each',
): Promise<[number, number]> {
  let known = new Map<string, string>(); // id -> state as loaded after the previous trial
  let totalCommitted = 0;
  let inFlightSeen = 0;
  for (let trial = 0; trial < trials; trial++) {
    const seed = seedBase + trial;
    const out = await runAndKill(dir, seed, 20 + Math.floor(Math.random() * 250), durability);
    const expected = new Map(known);
    let pending: { id: string; state: string } | undefined;
    for (const line of out.split('\n')) {
      const [kind, id, state] = line.split(' ');
      if (kind === 'intent') pending = { id: id!, state: state! };
      if (kind === 'committed') {
        expect(pending?.id, `seed ${seed}: committed without intent`).toBe(id);
        expected.set(id!, state!);
        pending = undefined;
        totalCommitted++;
      }
    }
    const l = await openLedger(dir);
    try {
      const loaded = new Map(l.all().map((r) => [r.id, describeRecord(r)]));
      for (const [id, state] of loaded) {
        if (pending && id === pending.id && state === pending.state && expected.get(id) !== state) {
          inFlightSeen++; // the write in flight reached the disk before the kill: also the truth
          continue;
        }
        expect(state, `seed ${seed} record ${id}`).toBe(expected.get(id));
      }
      for (const id of expected.keys())
        expect(loaded.has(id), `seed ${seed}: committed record ${id} missing`).toBe(true);
      known = loaded;
    } finally {
      // Like a restart after the crash: the next child opens what this load saw (no compaction on
      // purpose, so torn tails and half-done compactions are left for the next load to meet).
      simulateCrash(l);
    }
  }
  return [totalCommitted, inFlightSeen];
}

describe('kill -9 at random moments', () => {
  it(`the ledger loads and tells the truth after ${TRIALS} SIGKILLs`, { timeout: 120_000 }, async () => {
    // Two independent ledgers side by side: one child's fsync wait is the other's CPU time.
    // The second writes with group durability (fsyncs in the background, as the engine does): a kill must not
    // lose a change whose call returned there either.
    const results = await Promise.all([
      chain(path.join(work, 'a'), TRIALS / 2, 1000),
      chain(path.join(work, 'b'), TRIALS / 2, 2000, 'group'),
    ]);
    const committed = results.reduce((n, r) => n + r[0], 0);
    const inFlight = results.reduce((n, r) => n + r[1], 0);
    expect(committed).toBeGreaterThan(TRIALS * 3);
    console.log(
      `kill -9 test: ${TRIALS} trials, ${committed} committed writes checked, ${inFlight} in-flight writes found on disk`,
    );
  });
});
