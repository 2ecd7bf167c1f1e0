// ATTACK (attack5): the HTTP client (axios) is now loaded at the first upload, not at start. A `plaud-sync watch`
// running for days (docs/server.md) meets its first recorder after `npm install -g plaud-sync` replaced the package:
// the chunk holding the client is gone. Every upload then failed with Node's "Cannot find module
// .../dist/cli/chunk-XXXX.js imported from ...", which tells a user nothing, under "it is retried by itself" (Node
// keeps a failed import, so no retry can succeed). The same for the encoders a damaged recording needs. Now the
// problem says what happened and what to do (restart), with Node's words kept.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, jsonLines } from '../support/cli.js';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../support/fuse.js';
import { layOutRecorder, relBaseOf } from '../support/recorder.js';
import { buildIn, chunksHolding, copyProject } from './project-copy.js';

const noFuse = fuseUnavailableReason();
if (noFuse) console.warn(`watch-upgraded attack skipped: ${noFuse}`);
const SERIAL = '888777000000000516';
const GOOD = { startSec: 1_724_100_000, seconds: 2 };
const DAMAGED = { startSec: 1_724_200_000, seconds: 2 };

describe.skipIf(!!noFuse)('watch after its program files were replaced', () => {
  let emu: Emulator;
  let mount: FatMount | undefined;
  let tmp: string;
  let copy: string;
  let watched = '';

  beforeAll(async () => {
    emu = await startEmulator();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-attack5-upgrade-'));
    copy = path.join(tmp, 'plaud-sync');
    await copyProject(copy);
    const built = buildIn(copy);
    if (built.status !== 0) throw new Error(`build failed: ${built.stderr}`);
  }, 120_000);

  afterAll(async () => {
    await mount?.unmount();
    await emu?.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('names the cause and the cure when the upload code is gone, and keeps the recording to retry', async () => {
    const root = path.join(tmp, 'media');
    await fs.mkdir(root);
    const child = spawn(
      process.execPath,
      [
        path.join(copy, 'bin/plaud-sync.js'),
        'watch',
        '--mount-root',
        root,
        '--state-dir',
        path.join(tmp, 'state'),
        '--library',
        path.join(tmp, 'lib'),
        '--json',
      ],
      {
        env: { ...process.env, PLAUD_API_TOKEN: emu.token, PLAUD_API_BASE: emu.baseUrl, PLAUD_SYNC_STATE: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const done = collect(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (what: string, seen: () => boolean) => {
      const until = Date.now() + 90_000;
      while (!seen()) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`no ${what}; output so far:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await waitFor('watching event', () => jsonLines(out).some((e) => e.type === 'watching'));
      // The update: the package's files are replaced, and the chunk this process would load is no more.
      const gone = [
        ...(await chunksHolding(copy, 'main/sync/cloud/client.ts')),
        ...(await chunksHolding(copy, 'main/sync/audio/encode.ts')),
      ];
      expect(gone.length).toBeGreaterThan(1);
      for (const f of gone) await fs.rm(f);
      // Then a recorder is plugged in.
      const img = path.join(tmp, 'rec.img');
      await makeFatImage(img, 40);
      mount = await mountFat(img, path.join(root, 'PLAUD_NOTE'));
      await layOutRecorder(mount.dir, { serial: SERIAL, recordings: [GOOD, DAMAGED] });
      // One recording's ASR is cut short (a new file: the FUSE FAT driver keeps the old size of one cut in place), so
      // its WAV must be encoded: the encoder is gone too.
      const asr = path.join(mount.dir, `${relBaseOf(DAMAGED)}.ASR`);
      const whole = await fs.readFile(asr);
      await fs.unlink(asr);
      await fs.writeFile(asr, whole.subarray(0, 100));
      await fs.utimes(asr, DAMAGED.startSec + DAMAGED.seconds, DAMAGED.startSec + DAMAGED.seconds);
      await waitFor('both failures', () => (out.match(/restart plaud-sync/g) ?? []).length >= 2);
    } finally {
      child.kill('SIGTERM');
    }
    const res = await done;
    watched = res.stdout;
    expect(res.code, res.stderr).toBe(0);
    const text = res.stdout;
    expect(text).toMatch(/program files is missing \(was it updated while running\?\), so nothing can be uploaded/);
    expect(text).toMatch(/program files is missing \(was it updated while running\?\), so the WAV cannot be encoded/);
    expect(text).toMatch(/Cannot find module/); // Node's own words are kept for whoever looks closer
    expect(emu.files()).toHaveLength(0);
    // The recording itself is safe in the library and waits for the upload.
    const lib = await fs.readdir(path.join(tmp, 'lib'), { recursive: true });
    expect(lib.some((f) => String(f).endsWith('.opus'))).toBe(true);
  }, 180_000);

  // Node keeps the failed import, so no retry before a restart can succeed: the upload queue treats an error whose
  // cause is ERR_MODULE_NOT_FOUND as not retryable, and the problem asks the user to act.
  it('asks the user to act (restart) rather than promising a retry that cannot succeed', () => {
    const failed = jsonLines(watched)
      .filter((e) => e.type === 'problem')
      .map((e) => e.problem as { code: string; level: string; detail?: string })
      .filter((p) => /nothing can be uploaded/.test(p.detail ?? ''));
    expect(failed.length).toBeGreaterThan(0);
    for (const p of failed) expect(p.level).toBe('needs-you');
  });
});
