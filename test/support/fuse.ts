// Real FAT32 volumes for tests and benchmarks: an image made by mkfs.vfat, mounted with fusefat (FUSE, no root
// needed beyond /dev/fuse). fusefat runs in the foreground as our child so a test can "yank the cable":
// lazy-unmount (`fusermount -u -z`) and kill the daemon, which makes reads under way fail like a pulled USB plug.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why FAT-over-FUSE tests cannot run here, or undefined when they can. */
export function fuseUnavailableReason(): string | undefined {
  for (const tool of ['fusefat', 'mkfs.vfat', 'fusermount']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) return `${tool} is not installed (apt-get install fusefat dosfstools fuse3)`;
  }
  if (!existsSync('/dev/fuse')) return '/dev/fuse is missing (no FUSE in this kernel/container)';
  return undefined;
}

/** Create a FAT image of sizeMiB with the given label: FAT32 by default (needs >= 33 MiB), or FAT16 for small disks. */
export async function makeFatImage(
  file: string,
  sizeMiB: number,
  label = 'PLAUD_NOTE',
  fatBits: 16 | 32 = 32,
): Promise<void> {
  const fh = await fs.open(file, 'w');
  await fh.truncate(sizeMiB * 1024 * 1024);
  await fh.close();
  await run('mkfs.vfat', ['-F', String(fatBits), '-n', label, file]);
}

async function isMounted(dir: string): Promise<boolean> {
  const mounts = await fs.readFile('/proc/self/mounts', 'utf8');
  const real = await fs.realpath(dir).catch(() => dir);
  return mounts.split('\n').some((l) => l.split(' ')[1] === real);
}

export interface FatMount {
  image: string;
  dir: string;
  /** Clean unmount (waits for the daemon). */
  unmount(): Promise<void>;
  /** The cable is pulled: lazy unmount and the FUSE daemon dies; open files start failing. */
  yank(): Promise<void>;
}

export async function mountFat(image: string, dir: string, opts: { readOnly?: boolean } = {}): Promise<FatMount> {
  await fs.mkdir(dir, { recursive: true });
  const child: ChildProcess = spawn('fusefat', ['-f', '-o', opts.readOnly ? 'ro' : 'rw+', image, dir], {
    stdio: 'ignore',
  });
  let exited = false;
  const exitedP = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const deadline = Date.now() + 10_000;
  while (!(await isMounted(dir))) {
    if (exited) throw new Error(`fusefat exited before mounting ${image} on ${dir}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`fusefat did not mount ${image} on ${dir} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const unmountCmd = async (lazy: boolean) => {
    await run('fusermount', lazy ? ['-u', '-z', dir] : ['-u', dir]).catch(() => {});
  };
  return {
    image,
    dir,
    async unmount() {
      if (exited) return;
      await unmountCmd(false);
      if (await isMounted(dir)) await unmountCmd(true);
      await Promise.race([exitedP, new Promise((r) => setTimeout(r, 5000))]);
      if (!exited) child.kill('SIGKILL');
    },
    async yank() {
      await unmountCmd(true);
      child.kill('SIGKILL');
      await exitedP;
    },
  };
}
