// ATTACK (attack3): the engine end to end (FAT recorder through FUSE, emulator on s3rver): several recordings
// started in the same minute, pulled 3 at a time. Each must keep its own playable file and be uploaded once.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { type RecordingSpec } from '../support/recorder.js';
import { useFatEngineHarness } from '../support/fat-engine-harness.js';
import { visibleLibraryNames } from '../support/library-names.js';
import { until } from '../support/until.js';

const h = useFatEngineHarness('engine e2e attack (same minute)');

it.skipIf(!!h.noFuse)(
  'six recordings of the same minute: six playable files, six uploads, each its own audio',
  async () => {
    const t0 = 1_717_000_020; // :00 of a minute in every whole-hour time zone
    const specs: RecordingSpec[] = [0, 5, 10, 15, 20, 25].map((s) => ({ startSec: t0 - 20 + s, seconds: 1 }));
    const dir = await h.recorder('888000000000000001', specs);
    const { e, watcher, stateDir } = await h.engine();
    const before = h.emu.files().length;
    await e.start();
    await watcher.plug(dir);
    await until(
      () => e.records().filter((r) => r.state === 'synced' || r.state === 'failed').length === 6,
      60_000,
      'all',
    );
    await e.whenIdle();
    const recs = e.records();
    const paths = recs.map((r) => r.pulled?.upload.path);
    const md5s = await Promise.all(
      recs.map(async (r) =>
        crypto
          .createHash('md5')
          .update(await fs.readFile(r.pulled!.upload.path))
          .digest('hex'),
      ),
    );
    console.log({
      states: recs.map((r) => r.state),
      visible: visibleLibraryNames(path.join(stateDir, 'library')),
      uploads: h.emu.files().length - before,
      byStart: [...recs].sort((a, b) => a.startMs - b.startMs).map((r) => path.basename(r.pulled!.upload.path)),
    });
    expect(new Set(paths).size).toBe(6);
    expect(md5s).toEqual(recs.map((r) => r.pulled!.upload.md5));
    expect(h.emu.files().length - before).toBe(6);
  },
  120_000,
);
