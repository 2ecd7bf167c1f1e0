// Upload benchmark, from one run:
//  1. Time to upload a set of files (20 files, 1-30 MiB) through the Plaud cloud emulator with our uploader, over the
//     time `rclone copy` needs for the same bytes to the same s3rver. Both sides get the same parallelism: at most 4
//     parts in flight (ours: one file at a time, concurrency 4; rclone: --transfers 1, --s3-upload-concurrency 4), the
//     same 5 MiB parts, and multipart for every file (rclone's --s3-upload-cutoff 0). Target ratio <= 1.1.
//     Each client runs in its own process (timed from spawn to exit), with the emulator and s3rver in this one.
//     Our path has more to do than rclone's: two API calls per file and a signature-checking proxy in front of s3rver.
//  2. Peak RSS of a child process uploading a 500 MiB file (target <= concurrency x part size + 100 MB).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startEmulator, type Emulator } from '../test/support/emulator/index.js';
import { rcloneCopy } from './support/rclone.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const CONCURRENCY = 4;
const run$ = promisify(execFile);

function opusHead(): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = 1;
  head.writeUInt16LE(312, 10);
  head.writeUInt32LE(16000, 12);
  const page = Buffer.alloc(28);
  page.write('OggS', 0, 'latin1');
  page[5] = 2;
  page[26] = 1;
  page[27] = 19;
  return Buffer.concat([page, head]);
}

async function writeFileOfSize(file: string, size: number, random: boolean): Promise<void> {
  const fh = await fs.open(file, 'w');
  try {
    const head = opusHead();
    const block = random ? randomBytes(4 * MiB) : Buffer.alloc(4 * MiB, 0x55);
    for (let off = 0; off < size; off += block.length) {
      const n = Math.min(block.length, size - off);
      const chunk = off === 0 ? Buffer.concat([head, block.subarray(head.length, n)]) : block.subarray(0, n);
      // Vary every block so no two parts are alike.
      chunk.writeUInt32LE(off / block.length, Math.min(chunk.length - 4, 64));
      await fh.write(chunk, 0, n, off);
    }
  } finally {
    await fh.close();
  }
}

/**
 * The upload client runs in its own process, as rclone does, so neither side shares an event loop with the
 * emulator and s3rver (which live in this process); and its RSS is what an uploading process carries. It is
 * a plain-node bundle of just the client and uploader (no TypeScript loader in its memory).
 */
async function buildChild(dir: string): Promise<string> {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const entry = path.join(dir, 'upload-child.ts');
  await fs.writeFile(
    entry,
    `import { PlaudCloudClient } from ${JSON.stringify(path.join(repo, 'main/sync/cloud/client.ts'))};
import { MultipartUploader } from ${JSON.stringify(path.join(repo, 'main/sync/upload/uploader.ts'))};
const [apiBase, token, ...files] = process.argv.slice(2);
const baseline = process.memoryUsage().rss;
const up = new MultipartUploader(new PlaudCloudClient({ apiBase, credentials: { kind: 'token', token } }), { concurrency: ${CONCURRENCY} });
const t0 = performance.now();
const ids = [];
let completeMs = 0;
for (const [i, file] of files.entries()) {
  let sent = 0;
  const r = await up.upload({ path: file, filetype: 'opus', snType: 'note', sn: '880000000000000001', startTime: 1700000000000 + i * 1000, durationMs: 1000 }, { onCompleting: () => { sent = performance.now(); } });
  completeMs += performance.now() - sent;
  ids.push(r.fileId);
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ baseline, maxRss: process.resourceUsage().maxRSS * 1024, ms, ids, completeMs, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\\n');
`,
  );
  const out = path.join(dir, 'upload-child.mjs');
  // esbuild ships with tsx/vite. The banner gives bundled CommonJS dependencies a require for node builtins.
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    nodePaths: [path.join(repo, 'node_modules')],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  return out;
}

interface ChildReport {
  baseline: number;
  maxRss: number;
  ms: number;
  ids: string[];
  cpuMs: number;
  completeMs: number;
}

async function runChild(childJs: string, emu: Emulator, files: string[]): Promise<ChildReport & { wallMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [childJs, emu.baseUrl, emu.token, ...files], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const wallMs = performance.now() - t0;
  if (code !== 0) throw new Error(`upload child exited with ${code}`);
  return { ...(JSON.parse(out.trim().split('\n').pop()!) as ChildReport), wallMs };
}

export async function run(): Promise<void> {
  const have = await run$('rclone', ['version']).then(
    () => true,
    () => false,
  );
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-bench-upload-'));
  const emu = await startEmulator();
  try {
    const childJs = await buildChild(dir);
    // 20 files from 1 to 30 MiB, spread geometrically, with odd tails so last parts are short.
    const files: string[] = [];
    const setDir = path.join(dir, 'set');
    await fs.mkdir(setDir);
    let total = 0;
    for (let i = 0; i < 20; i++) {
      const size = Math.round(MiB * Math.pow(30, i / 19)) + i * 977;
      const f = path.join(setDir, `rec-${String(i).padStart(2, '0')}.opus`);
      await writeFileOfSize(f, size, true);
      files.push(f);
      total += size;
    }
    console.log(
      `set: ${files.length} files, ${(total / MiB).toFixed(1)} MiB, parts of ${PART / MiB} MiB, ${CONCURRENCY} parts in flight`,
    );
    if (!have) {
      console.log('rclone not installed (Debian package rclone): ratio skipped');
    } else {
      const ours: number[] = [];
      const oursCpu: number[] = [];
      const oursComplete: number[] = [];
      const theirs: number[] = [];
      for (let round = 0; round < 2; round++) {
        // Alternate who goes first, so neither side always gets the warmer (or quieter) slot.
        const oursOnce = async () => {
          const r = await runChild(childJs, emu, files);
          if (r.ids.length !== files.length) throw new Error('the upload child did not upload every file');
          ours.push(r.wallMs);
          oursCpu.push(r.cpuMs);
          oursComplete.push(r.completeMs);
        };
        if (round % 2 === 0) {
          theirs.push(await rcloneCopy(emu, setDir, `rclone-${round}`, { concurrency: CONCURRENCY, transfers: 1 }));
          await oursOnce();
        } else {
          await oursOnce();
          theirs.push(await rcloneCopy(emu, setDir, `rclone-${round}`, { concurrency: CONCURRENCY, transfers: 1 }));
        }
      }
      const o = Math.min(...ours);
      const t = Math.min(...theirs);
      console.log(
        `plaud-sync uploader: ${ours.map((x) => (x / 1000).toFixed(2)).join(' / ')} s  (${(total / MiB / (o / 1000)).toFixed(1)} MiB/s best)`,
      );
      console.log(
        `uploader process CPU: ${oursCpu.map((x) => (x / 1000).toFixed(2)).join(' / ')} s (the rest of its wall time is waiting on the emulator/s3rver)`,
      );
      console.log(
        `rclone copy:         ${theirs.map((x) => (x / 1000).toFixed(2)).join(' / ')} s  (${(total / MiB / (t / 1000)).toFixed(1)} MiB/s best)`,
      );
      console.log(`upload time ratio (ours / rclone, best of 2): ${(o / t).toFixed(2)}  (target <= 1.1)`);
      // complete-upload on the emulator re-reads and hashes every part (s3rver keeps no part ETags) and then the
      // assembled object: work the Plaud server does, not the client, and that rclone's plain S3 completion skips.
      const c = oursComplete[ours.indexOf(o)]!;
      console.log(
        `of which waiting for complete-upload (emulator verifying parts + object): ${(c / 1000).toFixed(2)} s; ratio without it: ${((o - c) / t).toFixed(2)}`,
      );
    }
    await Promise.all(files.map((f) => fs.rm(f)));

    // Peak RSS during a 500 MiB upload, measured in a child process.
    const big = path.join(dir, 'big.opus');
    await writeFileOfSize(big, 500 * MiB, false);
    const m = await runChild(childJs, emu, [big]);
    const budget = CONCURRENCY * PART + 100 * 1000 * 1000;
    console.log(
      `500 MiB upload: ${(m.ms / 1000).toFixed(1)} s; peak RSS ${(m.maxRss / MiB).toFixed(1)} MiB (process baseline ${(m.baseline / MiB).toFixed(1)} MiB, growth ${((m.maxRss - m.baseline) / MiB).toFixed(1)} MiB)`,
    );
    console.log(
      `peak RSS / budget (${CONCURRENCY} x ${PART / MiB} MiB + 100 MB = ${(budget / MiB).toFixed(1)} MiB): ${(m.maxRss / budget).toFixed(2)}  (target <= 1.0)`,
    );
  } finally {
    await emu.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
