// End-to-end sync benchmark: a 200-recording recorder (mixed sizes) on a real FAT volume (fusefat),
// synced by the engine with the real device monitor, library, ledger and uploader against the
// emulator on s3rver. Baseline, in the same run: `cp -r` of the recorder's files to the same disk
// plus `rclone copy` of the same upload files to the same s3rver, alternating over SYNC_BENCH_ROUNDS rounds (3).
//
// Also: the time from the recorder's volume being mounted to the first byte pulled.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DeviceMonitor } from '../main/sync/devices/watcher.js';
import { SyncEngine } from '../main/sync/engine/engine.js';
import { monitorPort } from '../main/sync/engine/monitor-port.js';
import { MemorySecretStore } from '../main/sync/secrets-memory.js';
import { defaultSettings } from '../main/sync/settings.js';
import { startEmulator } from '../test/support/emulator/index.js';
import { makeDeviceAsr, makeDeviceWav } from '../test/support/fixtures/audio.js';
import { fuseUnavailableReason, makeFatImage, mountFat } from '../test/support/fuse.js';
import { dateFolder, writeModelTxt } from '../test/support/recorder.js';
import { buildCli, runCli } from '../test/support/cli.js';
import { rcloneCopy } from './support/rclone.js';

const run$ = promisify(execFile);
const N = Number(process.env.SYNC_BENCH_RECORDINGS ?? 200);
const ROUNDS = Math.max(1, Number(process.env.SYNC_BENCH_ROUNDS ?? 3));
const SERIAL = '888123456789012345';

export async function layOut(root: string): Promise<{ bytes: number }> {
  const asr = await makeDeviceAsr(2);
  const wav = await makeDeviceWav(2, SERIAL);
  const wavData = wav.subarray(512);
  let bytes = 0;
  const t0 = 1_725_000_000;
  for (let i = 0; i < N; i++) {
    const start = t0 + i * 3600;
    const kind = i % 5 === 0 ? 'CALLS' : 'NOTES';
    const dir = path.join(root, kind, dateFolder(start));
    await fs.mkdir(dir, { recursive: true });
    // Mixed sizes: most recordings short, every 20th a long one whose upload needs several 5 MiB parts.
    const long = i % 20 === 7;
    const asrBuf = Buffer.concat(Array.from({ length: long ? 800 + (i % 3) * 400 : 1 + (i % 8) }, () => asr));
    const wavRepeat = long ? 4 : 1 + (i % 6);
    const header = Buffer.from(wav.subarray(0, 512));
    const dataLen = wavData.length * wavRepeat;
    header.writeUInt32LE(dataLen + 512 - 8, 4);
    header.writeUInt32LE(dataLen, 508);
    const wavBuf = Buffer.concat([header, ...Array.from({ length: wavRepeat }, () => wavData)]);
    for (const [ext, buf] of [
      ['ASR', asrBuf],
      ['WAV', wavBuf],
    ] as const) {
      const f = path.join(dir, `${start}.${ext}`);
      await fs.writeFile(f, buf);
      await fs.utimes(f, start + 10, start + 10);
      bytes += buf.length;
    }
  }
  await writeModelTxt(root, { serial: SERIAL });
  return { bytes };
}

async function collectUploadFiles(libDir: string, into: string): Promise<number> {
  await fs.mkdir(into, { recursive: true });
  let n = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.opus') && !e.name.startsWith('.')) {
        await fs.link(p, path.join(into, `${n++}-${e.name}`));
      }
    }
  };
  await walk(libDir);
  return n;
}

export async function run(): Promise<void> {
  const why = fuseUnavailableReason();
  if (why) {
    console.log(`sync bench skipped: ${why}`);
    return;
  }
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-sync-bench-'));
  const emu = await startEmulator();
  try {
    const src = path.join(work, 'src');
    const { bytes } = await layOut(src);
    const img = path.join(work, 'rec.img');
    await makeFatImage(img, Math.max(64, Math.ceil((bytes * 1.3) / 2 ** 20)));
    await run$('mcopy', ['-s', '-m', '-i', img, ...(await fs.readdir(src)).map((e) => path.join(src, e)), '::/'], {
      env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
      maxBuffer: 1 << 26,
    }).catch(async () => {
      const m = await mountFat(img, path.join(work, 'fill'));
      await run$('cp', ['-r', '--preserve=timestamps', `${src}/.`, m.dir]);
      await m.unmount();
    });
    console.log(`recorder: ${N} recordings, ${(bytes / 1e6).toFixed(1)} MB of WAV+ASR on a FAT32 image (fusefat)`);

    // --- the engine: monitor on an empty mount root, then the volume appears ---
    const state = path.join(work, 'state');
    const lib = path.join(work, 'library');
    const mediaRoot = path.join(work, 'media');
    await fs.mkdir(mediaRoot, { recursive: true });
    const monitor = new DeviceMonitor({ mountRoots: [mediaRoot], usb: false });
    const engine = new SyncEngine({
      stateDir: state,
      settings: { ...defaultSettings(lib), apiBase: emu.baseUrl, credentials: { kind: 'token' } },
      secrets: new MemorySecretStore({ apiToken: emu.token }),
      watcher: monitorPort(monitor),
    });
    await engine.start();
    let firstByteAt = 0;
    let pullDoneAt = 0;
    engine.onEvent((e) => {
      if (e.type === 'pull-finished') pullDoneAt = performance.now();
    });
    engine.onState((s) => {
      if (!firstByteAt && s.devices.some((d) => d.pull.bytesDone > 0)) firstByteAt = performance.now();
    });
    const mountStart = performance.now();
    const m = await mountFat(img, path.join(mediaRoot, 'PLAUD_NOTE'));
    const mountedAt = performance.now();
    await new Promise<void>((resolve) => {
      const off = engine.onEvent((e) => {
        if (e.type === 'device-attached') {
          off();
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    await engine.whenIdle();
    const syncMs = performance.now() - mountedAt;
    const synced = engine.records().filter((r) => r.state === 'synced').length;
    await engine.stop();
    if (synced !== N) throw new Error(`only ${synced} of ${N} recordings synced`);

    // The same sync by the CLI in its own process (fresh state and library), as cp and rclone run:
    // in-process above, the engine shares its event loop with the emulator and s3rver.
    // Rounds alternate CLI sync, cp and rclone, so a machine that slows down or speeds up meanwhile (a shared
    // VM does) weighs on both sides alike; the median round's ratio is the result.
    await buildCli();
    const rounds: { cliMs: number; cpMs: number; flushMs: number; rcloneMs: number; files: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const cliLib = path.join(work, `cli-library-${round}`);
      const tCli = performance.now();
      const cli = await runCli(
        [
          'sync',
          '--mount-root',
          mediaRoot,
          '--state-dir',
          path.join(work, `cli-state-${round}`),
          '--library',
          cliLib,
          '--api-base',
          emu.baseUrl,
          '--token',
          emu.token,
        ],
        { compiled: true, timeoutMs: 600_000 },
      );
      const cliMs = performance.now() - tCli;
      if (cli.code !== 0) throw new Error(`plaud-sync sync failed (${cli.code}): ${cli.stdout}${cli.stderr}`);
      // --- baselines on the same files, same disks ---
      const cpDest = path.join(work, `cp-${round}`);
      await fs.mkdir(cpDest);
      const t2 = performance.now();
      await run$('cp', ['-r', `${m.dir}/NOTES`, `${m.dir}/CALLS`, cpDest]);
      const cpMs = performance.now() - t2;
      // The pull fsyncs every file it keeps; cp leaves its data in the page cache. `sync` shows that part.
      const t3 = performance.now();
      await run$('sync', []);
      const flushMs = performance.now() - t3;
      const flat = path.join(work, `upload-files-${round}`);
      const files = await collectUploadFiles(cliLib, flat);
      const rcloneMs = await rcloneCopy(emu, flat, `rclone-sync-bench-${round}`, { concurrency: 4, transfers: 4 });
      rounds.push({ cliMs, cpMs, flushMs, rcloneMs, files });
      console.log(
        `  round ${round + 1}: CLI sync ${(cliMs / 1000).toFixed(2)} s; cp -r ${(cpMs / 1000).toFixed(2)} s (+ sync ${(flushMs / 1000).toFixed(2)} s); rclone ${files} files ${(rcloneMs / 1000).toFixed(2)} s; ratio ${(cliMs / (cpMs + rcloneMs)).toFixed(2)}`,
      );
    }
    await m.unmount();

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ratios = rounds.map((r) => r.cliMs / (r.cpMs + r.rcloneMs));
    const flushedRatios = rounds.map((r) => r.cliMs / (r.cpMs + r.flushMs + r.rcloneMs));
    const mid = rounds[ratios.indexOf(median(ratios))]!;
    const ratio = syncMs / (mid.cpMs + mid.rcloneMs);
    console.log(
      `end-to-end sync of ${N} recordings, \`plaud-sync sync\` in its own process: ${(mid.cliMs / 1000).toFixed(2)} s (median round of ${ROUNDS})`,
    );
    console.log(
      `  ratio CLI sync / (cp + rclone), median of ${ROUNDS} rounds: ${median(ratios).toFixed(2)} (target <= 1.2); / (cp + sync + rclone): ${median(flushedRatios).toFixed(2)}`,
    );
    console.log(
      `baseline cp -r of the recorder: ${(mid.cpMs / 1000).toFixed(2)} s; rclone copy of the same ${mid.files} upload files (5M chunks, 4 transfers x 4 parts): ${(mid.rcloneMs / 1000).toFixed(2)} s`,
    );
    console.log(
      `end-to-end sync of ${N} recordings, engine in this process beside the emulator: ${(syncMs / 1000).toFixed(2)} s (pull + verify + Opus packaging + ledger + upload); / (cp + rclone) of the median round: ${ratio.toFixed(2)}`,
    );
    console.log(
      `  of which the pull (copy + MD5 + fsync + verify + packaging) took ${((pullDoneAt - mountedAt) / 1000).toFixed(2)} s; uploads overlap it`,
    );
    console.log(
      `volume mounted -> first byte pulled: ${(firstByteAt - mountedAt).toFixed(0)} ms (target <= 1000 ms; mount itself took ${(mountedAt - mountStart).toFixed(0)} ms)`,
    );
  } finally {
    await emu.stop();
    await fs.rm(work, { recursive: true, force: true }).catch(() => {});
  }
}
