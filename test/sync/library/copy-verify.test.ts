// The copy's safeguards, each broken on purpose from outside: one bit flipped on its way to the temp file must be
// caught by the CRC read-back (VERIFY_FAILED, no final file, no temp file), and the temp file's fsync must finish
// before the rename gives it its final name.
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { copyVerified, PART_SUFFIX } from '../../../main/sync/library/copy.js';
import { LibraryError } from '../../../main/sync/library/errors.js';

let dir: string;
let src: string;
let dest: string;
let data: Buffer;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'plaud-copy-verify-'));
  data = randomBytes(3 * 1024 * 1024 + 123);
  src = path.join(dir, 'source.WAV');
  dest = path.join(dir, 'lib', '1709280000.WAV');
  await fsp.mkdir(path.dirname(dest));
  await fsp.writeFile(src, data);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await fsp.rm(dir, { recursive: true, force: true });
});

/** The FileHandle class is not exported; its prototype is reached through a handle. */
async function fileHandleProto(): Promise<{ write: (...a: unknown[]) => Promise<unknown>; sync: () => Promise<void> }> {
  const fh = await fsp.open(src, 'r');
  const proto = Object.getPrototypeOf(fh) as {
    write: (...a: unknown[]) => Promise<unknown>;
    sync: () => Promise<void>;
  };
  await fh.close();
  return proto;
}

/** Handles opened on a temp file (`.<name>.<random>.part`) from now on. */
function watchTempHandles(): Set<object> {
  const temps = new Set<object>();
  const realOpen = fsp.open;
  vi.spyOn(fsp, 'open').mockImplementation((async (p: Parameters<typeof fsp.open>[0], ...rest: unknown[]) => {
    const fh = await (realOpen as (...a: unknown[]) => Promise<fsp.FileHandle>)(p, ...rest);
    if (String(p).endsWith(PART_SUFFIX) && rest[0] === 'wx') temps.add(fh);
    return fh;
  }) as typeof fsp.open);
  return temps;
}

describe('copyVerified safeguards', () => {
  it('one bit flipped on its way to the temp file: VERIFY_FAILED, no final file and no temp file', async () => {
    const temps = watchTempHandles();
    const proto = await fileHandleProto();
    const realWrite = proto.write;
    let flipped = false;
    vi.spyOn(proto, 'write').mockImplementation(async function (this: object, ...args: unknown[]) {
      const [buf, offset, length] = args as [Buffer, number, number];
      if (temps.has(this) && !flipped && Buffer.isBuffer(buf) && length > 1000) {
        flipped = true;
        const damaged = Buffer.from(buf.subarray(offset, offset + length));
        damaged[500] = damaged[500]! ^ 0x10;
        return realWrite.call(this, damaged, 0, length, ...args.slice(3));
      }
      return realWrite.apply(this, args);
    });
    const err = await copyVerified(src, dest, {
      libraryDir: dir,
      label: 'NOTES/20240301/1709280000.WAV',
      expectedSize: data.length,
    }).catch((e: unknown) => e);
    expect(flipped).toBe(true);
    expect(err).toBeInstanceOf(LibraryError);
    expect(err).toMatchObject({ code: 'VERIFY_FAILED' });
    expect((err as Error).message).toMatch(/does not match what was read from the recorder .*CRC/);
    expect(await fsp.readdir(path.dirname(dest))).toEqual([]);
  });

  it("the temp file's fsync finishes before the rename", async () => {
    const temps = watchTempHandles();
    const proto = await fileHandleProto();
    const realSync = proto.sync;
    const events: string[] = [];
    const held: (() => void)[] = [];
    vi.spyOn(proto, 'sync').mockImplementation(async function (this: object) {
      if (!temps.has(this)) return realSync.call(this);
      events.push('sync started');
      // Held until the test lets it go, so a rename that does not wait for it would show up first.
      await new Promise<void>((r) => held.push(r));
      await realSync.call(this);
      events.push('sync finished');
    });
    const realRename = fsp.rename;
    vi.spyOn(fsp, 'rename').mockImplementation(async (a, b) => {
      if (String(a).endsWith(PART_SUFFIX)) events.push('rename');
      return realRename(a, b);
    });
    try {
      const copying = copyVerified(src, dest, { libraryDir: dir, label: 'x.WAV', expectedSize: data.length });
      const t0 = Date.now();
      while (!events.includes('sync started') && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 100));
      expect(events).toEqual(['sync started']);
      held.splice(0).forEach((go) => go());
      const r = await copying;
      expect(events).toEqual(['sync started', 'sync finished', 'rename']);
      expect((await fsp.readFile(r.path)).equals(data)).toBe(true);
    } finally {
      // A failed assertion must not leave the copy waiting on a held fsync.
      held.splice(0).forEach((go) => go());
    }
  });
});
