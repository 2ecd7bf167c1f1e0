// A recorder at a set speed, for tests and benchmarks: a FAT image (mkfs.vfat, filled by mtools) served by nbdkit
// through its `rate` filter (and `delay`, for latency), exposed as a plain file by nbdfuse (no kernel module), and
// mounted by fusefat on that file (fuse.ts). Reads that miss the page cache go all the way down to nbdkit, so they
// run at the rate a USB 2.0 recorder gives (about 30 MB/s), and stopping nbdkit (SIGSTOP) makes the volume hang the
// way a stalled network share or a stuck drive does: every uncached read waits, uninterruptibly.
//
// Teardown never hangs: nbdkit is continued first, then each layer is lazily unmounted and its daemon killed, and
// a process exit hook continues and kills whatever is left, so a failing test cannot leave a stalled mount behind.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from './fuse.js';
import { layOutRecorder, type RecorderSpec } from './recorder.js';

const run = promisify(execFile);

/** Why the nbd device model cannot run here, or undefined when it can. */
export function nbdUnavailableReason(): string | undefined {
  const fuse = fuseUnavailableReason();
  if (fuse) return fuse;
  for (const tool of ['nbdkit', 'nbdfuse', 'mcopy', 'fusermount3']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) return `${tool} is not installed (apt-get install nbdkit libnbd-bin mtools fuse3)`;
  }
  return undefined;
}

/**
 * A FAT32 image holding the recorder's files. The files are laid out in a scratch folder first (real WAV/ASR
 * fixtures, recorder mtimes), then copied in by mtools with their times (-m), which needs no mount at all.
 * Returns what was written, relative path -> bytes.
 */
export async function buildRecorderImage(
  image: string,
  spec: RecorderSpec,
  opts: { sizeMiB?: number; label?: string } = {},
): Promise<Map<string, Buffer>> {
  const src = `${image}.src`;
  await fs.rm(src, { recursive: true, force: true });
  await fs.mkdir(src, { recursive: true });
  try {
    const written = await layOutRecorder(src, spec);
    const bytes = [...written.values()].reduce((n, b) => n + b.length, 0);
    // Room for the files, FAT32's minimum (33 MiB) and slack for cluster rounding.
    const sizeMiB = opts.sizeMiB ?? Math.max(64, Math.ceil((bytes * 1.1) / 2 ** 20) + 16);
    await makeFatImage(image, sizeMiB, opts.label ?? 'PLAUD_NOTE');
    const top = (await fs.readdir(src)).map((n) => path.join(src, n));
    if (top.length)
      await run('mcopy', ['-s', '-m', '-i', image, ...top, '::/'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
    return written;
  } finally {
    await fs.rm(src, { recursive: true, force: true });
  }
}

export interface NbdRecorderOptions {
  /** A FAT image (buildRecorderImage). */
  image: string;
  /** Where to mount the volume (created if needed): e.g. <mountRoot>/PLAUD_NOTE. */
  mountPoint: string;
  /** Scratch folder for the socket and the nbdfuse mount (default: beside the image). */
  workDir?: string;
  /** Read speed in bytes per second (nbdkit's rate filter); undefined: as fast as the host serves the image. */
  rateBytesPerSec?: number;
  /**
   * How long the rate filter lets an idle device burst, seconds (default 0.25). nbdkit's default, 2 s, hands out the
   * first 60 MB at 30 MB/s for free after every pause, which is no USB recorder's behaviour.
   */
  burstSec?: number;
  /** Extra latency per read, ms (nbdkit's delay filter). */
  readDelayMs?: number;
  /** Mount read-only (default true: pulls never write to the recorder). */
  readOnly?: boolean;
}

export interface NbdRecorder {
  mountPoint: string;
  image: string;
  /** nbdkit's pid (the one stall() stops). */
  nbdkitPid: number;
  /** The backing store stops answering: every read that misses the page cache waits until resume(). */
  stall(): void;
  resume(): void;
  /** Empty the page cache, so the next reads come from the "device". */
  dropCaches(): Promise<void>;
  /** Unmount and stop everything; safe to call twice, never hangs, even while stalled. */
  cleanup(): Promise<void>;
}

/** Children of every live NbdRecorder, for the exit hook. */
const live = new Set<ChildProcess>();
let hookInstalled = false;
function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on('exit', () => {
    for (const c of live) {
      try {
        c.kill('SIGCONT');
        c.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(
  what: string,
  ok: () => Promise<boolean> | boolean,
  child: ChildProcess,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what}: the process exited early`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${ms} ms`);
    await sleep(20);
  }
}

async function isMountPoint(dir: string): Promise<boolean> {
  const mounts = await fs.readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[1] === dir);
}

/** Empty the page cache. Needs root (as in this project's CI and sandbox); throws in plain words otherwise. */
export async function dropCaches(): Promise<void> {
  await run('sync');
  try {
    await fs.writeFile('/proc/sys/vm/drop_caches', '3');
  } catch (err) {
    throw new Error(`cannot drop the page cache (needs root): ${(err as Error).message}`);
  }
}

export async function startNbdRecorder(opts: NbdRecorderOptions): Promise<NbdRecorder> {
  installExitHook();
  const readOnly = opts.readOnly ?? true;
  const work = await fs.realpath(opts.workDir ?? path.dirname(opts.image));
  const id = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const sock = path.join(work, `nbd-${id}.sock`);
  const nbdDir = path.join(work, `nbd-${id}`);
  await fs.mkdir(nbdDir, { recursive: true });
  // The mount folder itself is made by mountFat right before fusefat starts, as an automounter makes it right before
  // mount(2): made earlier, a watcher of the mount root would see an empty folder for as long as nbdkit and nbdfuse
  // take to start, which no real plug-in shows.

  const filters: string[] = [];
  const params: string[] = [];
  if (opts.rateBytesPerSec) {
    filters.push('--filter=rate');
    params.push(`rate=${Math.round(opts.rateBytesPerSec * 8)}`, `burstiness=${opts.burstSec ?? 0.25}`);
  }
  if (opts.readDelayMs) {
    filters.push('--filter=delay');
    params.push(`rdelay=${opts.readDelayMs}ms`);
  }
  const nbdkit = spawn(
    'nbdkit',
    ['-f', '-U', sock, ...(readOnly ? ['-r'] : []), ...filters, 'file', opts.image, ...params],
    { stdio: 'ignore' },
  );
  live.add(nbdkit);
  let nbdfuse: ChildProcess | undefined;
  let fat: FatMount | undefined;
  let stalled = false;
  let done: Promise<void> | undefined;

  const cleanup = (): Promise<void> => {
    done ??= (async () => {
      // Continue first: a stopped nbdkit would keep every layer above it stuck in uninterruptible reads.
      nbdkit.kill('SIGCONT');
      stalled = false;
      await Promise.race([fat?.yank() ?? Promise.resolve(), sleep(5000)]);
      await run('fusermount3', ['-u', '-z', nbdDir]).catch(() => {});
      nbdfuse?.kill('SIGKILL');
      nbdkit.kill('SIGKILL');
      await Promise.race([Promise.all([exited(nbdkit), nbdfuse ? exited(nbdfuse) : undefined]), sleep(5000)]);
      live.delete(nbdkit);
      if (nbdfuse) live.delete(nbdfuse);
      await fs.rm(sock, { force: true });
      await fs.rmdir(nbdDir).catch(() => {});
    })();
    return done;
  };

  try {
    await waitFor('nbdkit', () => existsSync(sock), nbdkit);
    nbdfuse = spawn('nbdfuse', [...(readOnly ? ['-r'] : []), nbdDir, '--unix', sock], { stdio: 'ignore' });
    live.add(nbdfuse);
    await waitFor('nbdfuse', () => isMountPoint(nbdDir), nbdfuse);
    fat = await mountFat(path.join(nbdDir, 'nbd'), opts.mountPoint, { readOnly });
  } catch (err) {
    await cleanup();
    throw err;
  }

  return {
    mountPoint: opts.mountPoint,
    image: opts.image,
    nbdkitPid: nbdkit.pid!,
    stall() {
      if (!stalled) nbdkit.kill('SIGSTOP');
      stalled = true;
    },
    resume() {
      nbdkit.kill('SIGCONT');
      stalled = false;
    },
    // Works while stalled too (the volume is read-only, nothing to write back): stall() then dropCaches() makes
    // even the blocks fusefat read at mount time wait for the device.
    dropCaches,
    cleanup,
  };
}
