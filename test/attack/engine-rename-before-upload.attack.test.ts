// ATTACK (attack3): the engine end to end (FAT recorder through FUSE, emulator on s3rver). The user renames a
// playable file (the readable names invite it) after the pull and before the upload (paused, offline, a slow queue).
// Observed: the upload fails for good with a raw "ENOENT ... stat" message; Retry and plugging in again do not help.
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { type RecordingSpec } from '../support/recorder.js';
import { useFatEngineHarness } from '../support/fat-engine-harness.js';
import { until } from '../support/until.js';

const h = useFatEngineHarness('engine e2e attack (rename before upload)');

it.skipIf(!!h.noFuse)(
  'a playable file renamed before its upload is still uploaded (or made again)',
  async () => {
    const specs: RecordingSpec[] = [{ startSec: 1_717_000_000, seconds: 2 }];
    const { e, watcher, dir, before } = await h.pulledWhilePaused('888000000000000001', specs);
    const playable = e.records()[0]!.pulled!.upload.path;
    await fs.rename(playable, path.join(path.dirname(playable), 'Team meeting.opus'));
    e.resume();
    await until(() => ['synced', 'failed'].includes(e.records()[0]!.state), 30_000, 'settled');
    const first = e.records()[0]!;
    // What the user does next: Retry, then plug the recorder in again.
    await e.retry(first.id);
    await e.whenIdle();
    watcher.unplug(dir);
    await watcher.plug(dir);
    await e.whenIdle();
    await new Promise((r) => setTimeout(r, 500));
    const last = e.records()[0]!;
    console.log({
      first: { state: first.state, reason: first.failure?.reason },
      afterRetryAndReplug: { state: last.state, reason: last.failure?.reason },
      uploads: h.emu.files().length - before,
    });
    expect(last.state).toBe('synced');
    expect(h.emu.files().length - before).toBe(1);
  },
  120_000,
);
