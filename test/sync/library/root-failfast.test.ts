// A library folder where nothing can be stored (under /proc, /sys, /dev, or reached through a link to them) fails
// within a second with a clear error, instead of hanging in a recursive mkdir.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuseUnavailableReason, makeFatImage, mountFat } from '../../support/fuse.js';
import { ensureLibraryRoot, ensurePlace, ORIGINALS_DIR, placeOf } from '../../../main/sync/library/layout.js';
import { LibraryError } from '../../../main/sync/library/errors.js';

const rec = { sn: '888317426694681884', kind: 'note' as const, relBase: 'NOTES/20240301/1709280000' };
let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-root-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<{ err: LibraryError; ms: number }> {
  const t0 = Date.now();
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LibraryError);
  return { err: err as LibraryError, ms: Date.now() - t0 };
}

if (process.platform !== 'linux')
  console.warn('system-filesystem library tests skipped: /proc and /sys exist only on Linux');
if (fuseUnavailableReason()) console.warn(`stalled library volume test skipped: ${fuseUnavailableReason()}`);
describe.skipIf(process.platform !== 'linux')('library root on a system filesystem', () => {
  it.each(['/proc/plaud-library', '/proc/plaud-library/deeper/still', '/sys/plaud-library', '/dev/plaud-library'])(
    '%s is refused within a second, naming the problem',
    async (lib) => {
      const { err, ms } = await refusal(ensurePlace(lib, placeOf(lib, rec)));
      expect(ms).toBeLessThan(1000);
      expect(err.code).toBe('LIBRARY_UNWRITABLE');
      expect(err.message).toMatch(
        new RegExp(
          `The library folder ${lib} is inside /(proc|sys|dev), which the system keeps for itself.*Choose a folder`,
        ),
      );
    },
  );

  it('a link into /proc is followed before deciding', async () => {
    const link = path.join(tmp, 'sneaky');
    await fs.symlink('/proc/self', link);
    const lib = path.join(link, 'lib');
    const { err, ms } = await refusal(ensureLibraryRoot(lib));
    expect(ms).toBeLessThan(1000);
    expect(err.message).toMatch(/inside \/proc/);
  });

  it('an ordinary folder is created level by level, and a file in the way is named', async () => {
    const lib = path.join(tmp, 'a', 'b', 'library');
    await ensurePlace(lib, placeOf(lib, rec));
    expect((await fs.stat(path.join(lib, ORIGINALS_DIR, rec.sn, 'NOTES', '20240301'))).isDirectory()).toBe(true);
    const file = path.join(tmp, 'plain-file');
    await fs.writeFile(file, 'x');
    const { err } = await refusal(ensureLibraryRoot(file));
    expect(err.message).toMatch(/is a file, not a folder/);
  });
});

describe.skipIf(!!fuseUnavailableReason())('library root on a volume that stops answering', () => {
  it('fails after the timeout with a clear error instead of hanging', async () => {
    const img = path.join(tmp, 'stuck.img');
    await makeFatImage(img, 40);
    const mount = await mountFat(img, path.join(tmp, 'stuck'));
    // The FUSE daemon is our child; stopping it makes every call on the volume wait, like a dropped network share.
    const pid = Number(
      execFileSync('pgrep', ['-f', `fusefat .*${img}`], { encoding: 'utf8' })
        .trim()
        .split('\n')[0],
    );
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGSTOP');
    try {
      const lib = path.join(mount.dir, 'library');
      const { err, ms } = await refusal(ensureLibraryRoot(lib, { timeoutMs: 500 }));
      expect(ms).toBeGreaterThanOrEqual(450);
      expect(ms).toBeLessThan(5000);
      expect(err.message).toBe(
        `The library folder ${lib} did not answer within 0.5 s (a disconnected network share or a stuck disk?). Check it, or choose another library folder.`,
      );
    } finally {
      process.kill(pid, 'SIGCONT');
      await mount.unmount();
    }
  }, 30_000);
});
