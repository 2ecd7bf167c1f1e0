// The device model mounts the way an automounter does (udisks: create the folder, then mount at once), so a test or
// benchmark that watches the mount root sees the recorder's folder appear only when the volume is about to answer,
// not while nbdkit and nbdfuse are still starting: "mounted -> first byte" then measures our reaction, not a gap the
// model put between folder and mount.
import { watch } from 'node:fs';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecorderImage, nbdUnavailableReason, startNbdRecorder } from '../support/nbd-recorder.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-nbd-model-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Mount points of the nbdfuse layer (the served image as a file), from /proc/self/mounts. */
function nbdfuseMounts(): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[1]?.startsWith(tmp) && path.basename(f[1]).startsWith('nbd-') && f[2] === 'fuse')
    .map((f) => f[1]!);
}

if (nbdUnavailableReason()) console.warn(`device-model tests skipped: ${nbdUnavailableReason()}`);
describe.skipIf(!!nbdUnavailableReason())('the nbd recorder', { timeout: 120_000 }, () => {
  it('creates its mount folder only once the image is served, right before mounting it', async () => {
    const image = path.join(tmp, 'rec.img');
    await buildRecorderImage(image, { recordings: [{ kind: 'note', startSec: 1_709_280_000, seconds: 5 }] });
    const media = path.join(tmp, 'media');
    await fs.mkdir(media);
    const seen: { served: string[] }[] = [];
    const w = watch(media, (_event, name) => {
      if (name === 'PLAUD_NOTE' && !seen.length) seen.push({ served: nbdfuseMounts() });
    });
    const rec = await startNbdRecorder({ image, mountPoint: path.join(media, 'PLAUD_NOTE'), rateBytesPerSec: 30e6 });
    try {
      w.close();
      expect(seen).toHaveLength(1);
      // When the folder appeared, the export was already served as a file: only fusefat's own mount was left.
      expect(seen[0]!.served).toHaveLength(1);
      expect((await fs.readdir(rec.mountPoint)).sort()).toContain('NOTES');
    } finally {
      w.close();
      await rec.cleanup();
    }
  });
});
