// A library folder where nothing can be stored (under /proc, /sys, /dev, or reached through a link to them) fails
// within a second with a clear error, instead of hanging in a recursive mkdir.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLibraryRoot, ensurePlace, placeOf } from '../../../main/sync/library/layout.js';
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

describe.skipIf(process.platform !== 'linux')('library root on a system filesystem', () => {
  it.each(['/proc/plaud-library', '/proc/plaud-library/deeper/still', '/sys/plaud-library', '/dev/plaud-library'])('%s is refused within a second, naming the problem', async (lib) => {
    const { err, ms } = await refusal(ensurePlace(lib, placeOf(lib, rec)));
    expect(ms).toBeLessThan(1000);
    expect(err.code).toBe('LIBRARY_UNWRITABLE');
    expect(err.message).toMatch(new RegExp(`The library folder ${lib} is inside /(proc|sys|dev), which the system keeps for itself.*Choose a folder`));
  });

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
    expect((await fs.stat(path.join(lib, rec.sn, 'NOTES', '20240301'))).isDirectory()).toBe(true);
    const file = path.join(tmp, 'plain-file');
    await fs.writeFile(file, 'x');
    const { err } = await refusal(ensureLibraryRoot(file));
    expect(err.message).toMatch(/is a file, not a folder/);
  });
});
