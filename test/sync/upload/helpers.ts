// Test helpers for the upload side: files that look like Ogg Opus to a content sniffer, temp dirs.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startEmulator, type Emulator } from '../../support/emulator/index.js';

export const MiB = 1024 * 1024;

/** A minimal Ogg BOS page holding an OpusHead packet (what a sniffer checks), without a valid CRC. */
export function opusHeadPage(): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1; // version
  head[9] = 1; // channels
  head.writeUInt16LE(312, 10); // pre-skip
  head.writeUInt32LE(16000, 12); // input rate
  const page = Buffer.alloc(27 + 1);
  page.write('OggS', 0, 'latin1');
  page[4] = 0;
  page[5] = 0x02; // BOS
  page[26] = 1; // one segment
  page[27] = head.length;
  return Buffer.concat([page, head]);
}

/** `size` bytes starting with an Ogg Opus head page, the rest random: looks like opus, fails if any byte moves. */
export async function makeOpusLike(dir: string, name: string, size: number): Promise<string> {
  const file = path.join(dir, name);
  const head = opusHeadPage();
  const fh = await fs.open(file, 'w');
  try {
    let written = 0;
    while (written < size) {
      const n = Math.min(4 * MiB, size - written);
      const chunk = randomBytes(n);
      if (written === 0) head.copy(chunk, 0, 0, Math.min(head.length, n));
      await fh.write(chunk, 0, n, written);
      written += n;
    }
  } finally {
    await fh.close();
  }
  return file;
}

export async function tempDir(prefix = 'plaud-upload-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** An emulator and a temp dir for the calling suite: started before its tests, stopped and removed after. */
export function useEmulatorAndDir(prefix?: string): { readonly emu: Emulator; readonly dir: string } {
  let emu: Emulator | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    emu = await startEmulator();
    dir = await tempDir(prefix);
  });
  afterAll(async () => {
    await emu?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });
  return {
    get emu() {
      if (!emu) throw new Error('the emulator is started in beforeAll');
      return emu;
    },
    get dir() {
      if (!dir) throw new Error('the temp dir is made in beforeAll');
      return dir;
    },
  };
}
