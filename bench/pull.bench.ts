// Pull benchmark. From one run it prints:
//  (a) pull time (copy + MD5 while reading + fsync + read-back verification + manifest) over `cp -r` of the same
//      files from the same source (a fusefat FAT32 volume) to the same filesystem, as a ratio (target <= 1.15).
//      Order is cp, pull, pull, cp (ABBA); before every run the image's page cache is dropped (dd iflag=nocache) and
//      the volume remounted (drops FUSE's cache), so both read cold; after every run `sync` (untimed) flushes what
//      was written. Destinations are fresh folders on the same disk. Upload-file preparation is measured
//      separately (it is CPU work on the library copy, not part of getting the bytes off the recorder).
//  (b) listing 10,000 recordings (scanVolume) on a local folder and on a FAT32 volume (target < 1 s).
//  (c) CPU used by the idle DeviceMonitor (fs.watch + fallback rescan with its probe children + USB probe) over 30 s,
//      the probe children's CPU included (target < 1% of a core).
// Needs fusefat + dosfstools; mtools (mcopy) makes the image fill fast and is used when present.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { identifyVolume } from '../main/sync/devices/identify.js';
import { scanVolume } from '../main/sync/devices/scan.js';
import { DeviceMonitor } from '../main/sync/devices/watcher.js';
import { pullAll } from '../main/sync/engine/pull-coordinator.js';
import { prepareUploadFile } from '../main/sync/audio/prepare.js';
import { fuseUnavailableReason, makeFatImage, mountFat } from '../test/support/fuse.js';
import { recordingBytes, relBaseOf, writeModelTxt, type RecordingSpec } from '../test/support/recorder.js';

const exec = promisify(execFile);
const hasMtools = spawnSync('sh', ['-c', 'command -v mcopy']).status === 0;

async function du(dir: string): Promise<number> {
  let n = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += (await fs.stat(path.join(e.parentPath, e.name))).size;
  }
  return n;
}

/** Write a recorder tree into a plain folder (the source for mcopy, or the local listing test). */
async function writeTree(
  root: string,
  recs: RecordingSpec[],
  bytesFor: (r: RecordingSpec) => Promise<{ wav?: Buffer; asr?: Buffer }>,
): Promise<void> {
  await fs.mkdir(root, { recursive: true });
  await writeModelTxt(root, {});
  const old = 1_700_000_000;
  for (const r of recs) {
    const rel = relBaseOf(r);
    await fs.mkdir(path.join(root, path.dirname(rel)), { recursive: true });
    const b = await bytesFor(r);
    for (const [ext, buf] of [
      ['WAV', b.wav],
      ['ASR', b.asr],
    ] as const) {
      if (!buf) continue;
      const f = path.join(root, `${rel}.${ext}`);
      await fs.writeFile(f, buf);
      await fs.utimes(f, old, old);
    }
  }
}

/** Put a folder tree into a FAT image: mcopy when available (fast), else through a fusefat mount. */
async function fillImage(image: string, srcRoot: string, work: string): Promise<void> {
  if (hasMtools) {
    const entries = await fs.readdir(srcRoot);
    await exec('mcopy', ['-s', '-m', '-i', image, ...entries.map((e) => path.join(srcRoot, e)), '::/'], {
      env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
      maxBuffer: 1 << 26,
    });
    return;
  }
  console.log('  (mtools not installed: filling the FAT image through fusefat, which is slow)');
  const m = await mountFat(image, path.join(work, 'fill'));
  try {
    await exec('cp', ['-r', '--preserve=timestamps', `${srcRoot}/.`, m.dir]);
  } finally {
    await m.unmount();
  }
}

function pct(n: number): string {
  return `${(n * 100).toFixed(2)}%`;
}

async function benchPullVsCp(work: string): Promise<void> {
  // 8 recordings of 8 minutes of speech-like WAV (30.7 MB each) + their ASR: ~250 MB, like a day of meetings.
  const recs: RecordingSpec[] = Array.from({ length: 8 }, (_, i) => ({
    kind: i % 3 === 2 ? 'call' : 'note',
    startSec: 1709280000 + i * 7200,
    seconds: 60,
    wavRepeat: 8,
  }));
  const src = path.join(work, 'src');
  await writeTree(src, recs, (r) => recordingBytes(r));
  const total = await du(src);
  const image = path.join(work, 'recorder.img');
  await makeFatImage(image, Math.ceil((total * 1.2) / 1048576) + 64);
  await fillImage(image, src, work);
  await fs.rm(src, { recursive: true, force: true });

  const volume = path.join(work, 'media', 'PLAUD_NOTE');
  const times = { cp: [] as number[], pull: [] as number[], cpSync: [] as number[] };
  let lib = '';
  const order: ('cp' | 'pull')[] = ['cp', 'pull', 'pull', 'cp'];
  for (const [i, what] of order.entries()) {
    // Cold source for every run: drop the host's page cache of the image (fusefat reads it), as a freshly plugged
    // recorder has nothing cached either.
    await exec('dd', [`if=${image}`, 'iflag=nocache', 'count=0', 'status=none']);
    const m = await mountFat(image, volume, { readOnly: true });
    try {
      const dest = path.join(work, `${what}-${i}`);
      if (what === 'cp') {
        await fs.mkdir(dest);
        const t = performance.now();
        await exec('cp', ['-r', path.join(volume, 'NOTES'), path.join(volume, 'CALLS'), dest]);
        times.cp.push(performance.now() - t);
        // What cp left in the page cache, flushed: the durability the pull pays for with fsync.
        await exec('sync');
        times.cpSync.push(performance.now() - t);
      } else {
        const device = (await identifyVolume(volume))!;
        const { recordings } = await scanVolume(volume, device.sn);
        const t = performance.now();
        const s = await pullAll(device, recordings, { libraryDir: dest, format: null });
        times.pull.push(performance.now() - t);
        if (s.stopped || s.failed.length || s.pulled.length !== recs.length)
          throw new Error(`pull failed: ${JSON.stringify(s.stopped ?? s.failed)}`);
        lib = dest;
      }
    } finally {
      await m.unmount();
      // Flush what cp left dirty before the next run (untimed), so no run pays for another's write-back.
      await exec('sync');
    }
  }
  const cp = times.cp.reduce((a, b) => a + b, 0);
  const pull = times.pull.reduce((a, b) => a + b, 0);
  const mbps = (ms: number) => ((total * 2) / 1e6 / (ms / 1000)).toFixed(1);
  console.log(
    `(a) data set: ${recs.length} recordings, ${(total / 1e6).toFixed(1)} MB (WAV+ASR) on a fusefat FAT32 volume; order cp, pull, pull, cp, cold source (image cache dropped, remount) before and sync after each`,
  );
  console.log(`    cp -r : ${times.cp.map((t) => (t / 1000).toFixed(2)).join(' + ')} s  (${mbps(cp)} MB/s)`);
  console.log(
    `    pull  : ${times.pull.map((t) => (t / 1000).toFixed(2)).join(' + ')} s  (${mbps(pull)} MB/s; MD5 while reading, fsync, read-back verify, manifest)`,
  );
  const cpSync = times.cpSync.reduce((a, b) => a + b, 0);
  console.log(`    ratio pull / cp -r = ${(pull / cp).toFixed(3)}  (target <= 1.15)`);
  console.log(
    `    ratio pull / (cp -r; sync) = ${(pull / cpSync).toFixed(3)}  (cp with its data flushed to disk, as the pull's fsync does)`,
  );

  // Upload-file preparation, separately: Ogg Opus from each library ASR.
  const asrFiles = (await fs.readdir(lib, { recursive: true, withFileTypes: true })).filter(
    (e) => e.isFile() && e.name.endsWith('.ASR'),
  );
  const t = performance.now();
  for (const e of asrFiles) {
    await prepareUploadFile({
      asrPath: path.join(e.parentPath, e.name),
      format: 'opus',
      destPath: path.join(e.parentPath, e.name.replace('.ASR', '.opus')),
    });
  }
  console.log(
    `    upload-file preparation (Ogg Opus from ${asrFiles.length} library ASRs, separate): ${(performance.now() - t).toFixed(0)} ms`,
  );
}

async function benchListing(work: string): Promise<void> {
  const N = 10_000;
  // 10,000 recordings over 100 days; small files (the scan reads headers, not audio).
  const recs: RecordingSpec[] = Array.from({ length: N }, (_, i) => ({
    kind: i % 5 === 4 ? 'call' : 'note',
    startSec: 1709280000 + Math.floor(i / 100) * 86400 + (i % 100) * 600,
    seconds: 1,
  }));
  // 0.2 s of audio each: the scan reads 512 bytes of a WAV and 4 of an ASR whatever their length.
  const base = await recordingBytes({ startSec: 0, seconds: 0.2 });
  const local = path.join(work, 'many');
  await writeTree(local, recs, async () => base);
  await scanVolume(local, 'x'); // warm the cache, as the OS would after the first listing
  const runs: number[] = [];
  let res = await scanVolume(local, '888317426694681884');
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    res = await scanVolume(local, '888317426694681884');
    runs.push(performance.now() - t0);
  }
  const localMs = Math.min(...runs);
  if (res.recordings.length !== N) throw new Error(`listed ${res.recordings.length} of ${N}`);
  console.log(
    `(b) listing ${N} recordings (${N * 2} files, 100 date folders, warm cache): local folder best of 3 ${localMs.toFixed(0)} ms [${runs.map((r) => r.toFixed(0)).join(', ')}] (target < 1000 ms)`,
  );

  // fusefat looks names up by walking the directory, so a FAT listing through it is slow whatever the scanner does;
  // 1,000 recordings (10 folders of 100) show the per-recording cost without making the benchmark take minutes.
  const image = path.join(work, 'many.img');
  await makeFatImage(image, 64);
  if (!hasMtools) {
    console.log(
      '    FAT volume listing skipped: mtools (mcopy) not installed, filling the image through fusefat takes too long',
    );
    return;
  }
  const some = path.join(work, 'some');
  await writeTree(some, recs.slice(0, 1000), async () => base);
  await fillImage(image, some, work);
  const m = await mountFat(image, path.join(work, 'media2', 'PLAUD_NOTE'), { readOnly: true });
  try {
    const c0 = performance.now();
    const cold = await scanVolume(m.dir, '888317426694681884');
    const coldMs = performance.now() - c0;
    const w0 = performance.now();
    await scanVolume(m.dir, '888317426694681884');
    const warmMs = performance.now() - w0;
    console.log(
      `    ${cold.recordings.length} recordings on a fusefat FAT32 volume: first listing ${coldMs.toFixed(0)} ms, second ${warmMs.toFixed(0)} ms (fusefat's own lookups dominate; the kernel's FAT driver caches them)`,
    );
  } finally {
    await m.unmount();
  }
}

/** CPU of the children this process has waited for (cutime + cstime of /proc/self/stat), in µs like cpuUsage. */
async function childrenCpuMicros(): Promise<number> {
  const stat = await fs.readFile('/proc/self/stat', 'utf8').catch(() => '');
  if (!stat) return 0;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) / 100) * 1e6;
}

async function benchIdle(work: string): Promise<void> {
  const root = path.join(work, 'idle-root');
  await fs.mkdir(path.join(root, 'SOME_DISK'), { recursive: true });
  const monitor = new DeviceMonitor({ mountRoots: [root, path.join(work, 'absent-root')] });
  await monitor.start();
  await new Promise((r) => setTimeout(r, 1000));
  const c0 = process.cpuUsage();
  const k0 = await childrenCpuMicros();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 30_000));
  const c = process.cpuUsage(c0);
  // Each rescan probes every entry in a child process (sh): count their CPU too.
  c.user += (await childrenCpuMicros()) - k0;
  const wall = performance.now() - t0;
  await monitor.stop();
  const share = (c.user + c.system) / 1000 / wall;
  console.log(
    `(c) idle watchers over ${(wall / 1000).toFixed(1)} s: ${((c.user + c.system) / 1000).toFixed(1)} ms CPU = ${pct(share)} of a core (target < 1%)`,
  );
}

export async function run(): Promise<void> {
  const why = fuseUnavailableReason();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-bench-pull-'));
  try {
    if (why) console.log(`(a) skipped: ${why}`);
    else await benchPullVsCp(work);
    await benchListing(work);
    await benchIdle(work);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
