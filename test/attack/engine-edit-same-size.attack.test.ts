// ATTACK (attack4): the engine end to end (FAT recorder through FUSE, emulator on s3rver). The user edits a playable
// file in place before its upload and the size stays the same (a tag editor rewriting a fixed-size comment, a
// same-length trim). The library's own-file rule compares size and MD5 (playable.ts); the uploader's check before an
// upload (playableAtHand in upload-queue.ts) compares the size only, so it sends the user's bytes with the MD5 of
// the recording. Observed: complete-upload is refused (HTTP 400, MD5 mismatch), Retry then gets 409 "already refused"
// and a message that the recording "may already be in the cloud"; nothing ever goes up. (A cloud that did not check
// file_md5 would keep the user's edit as the recording.)
import fs from 'node:fs/promises';
import { expect, it } from 'vitest';
import { type RecordingSpec } from '../support/recorder.js';
import { useFatEngineHarness } from '../support/fat-engine-harness.js';
import { until } from '../support/until.js';

const h = useFatEngineHarness('engine e2e attack (edit in place)');

it.skipIf(!!h.noFuse)(
  'a playable file edited in place (same size) before its upload: the recording, not the edit, is uploaded',
  async () => {
    const specs: RecordingSpec[] = [{ startSec: 1_717_000_000, seconds: 2 }];
    const { e, before } = await h.pulledWhilePaused('888000000000000001', specs);
    const rec = e.records()[0]!;
    const playable = rec.pulled!.upload.path;
    const original = await fs.readFile(playable);
    const edited = Buffer.from(original);
    edited.fill(0x55, Math.floor(edited.length / 2), Math.floor(edited.length / 2) + 64); // same size, other bytes
    await fs.writeFile(playable, edited);
    e.resume();
    await until(() => ['synced', 'failed'].includes(e.records()[0]!.state), 60_000, 'settled');
    const first = e.records()[0]!;
    // What the user does next when it fails: Retry.
    if (first.state === 'failed') {
      await e.retry(first.id);
      await until(() => ['synced', 'failed'].includes(e.records()[0]!.state), 60_000, 'settled again');
    }
    const last = e.records()[0]!;
    const got = h.emu.files().slice(before);
    const cloudBytes = got.length ? await h.emu.getObject(got[0]!.fileId) : undefined;
    console.log({
      first: { state: first.state, reason: first.failure?.reason },
      state: last.state,
      reason: last.failure?.reason,
      uploads: got.length,
      cloudIsEdit: cloudBytes?.equals(edited),
      cloudIsRecording: cloudBytes?.equals(original),
    });
    // Expected: the user's edit is left alone and the recording's own audio goes up once.
    expect(await fs.readFile(playable)).toEqual(edited);
    expect(last.state).toBe('synced');
    // The recording's audio, made again from the originals beside the edit (the Ogg stream serial is new, so the
    // bytes are those of the new file, not of the first one), uploaded once.
    const now = last.pulled!.upload;
    expect(now.path).toBe(playable.replace(/\.opus$/, ' (2).opus'));
    expect(got).toHaveLength(1);
    expect(cloudBytes?.equals(await fs.readFile(now.path))).toBe(true);
    expect(cloudBytes?.equals(edited)).toBe(false);
  },
  120_000,
);
