// `plaud-sync push` never doubles: its upload state lives in <state>/push/, so a rerun after a complete-upload that
// got no answer finishes the SAME upload. Also: --state-dir, and secrets read from private files.
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PUSH_ENV_KEYS, pushLines, runPush } from '../support/push-in-process.js';
import { useEmulatorAndDir } from '../sync/upload/helpers.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
if (!hasFfmpeg) console.warn('push journal tests skipped: ffmpeg is not installed (Debian package ffmpeg)');

const ENV_KEYS = PUSH_ENV_KEYS;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
const run = runPush;
const lines = pushLines;

describe.skipIf(!hasFfmpeg)('push journal', () => {
  const ctx = useEmulatorAndDir('plaud-push-journal-');
  let n = 0;
  /** A fresh recording (distinct content) for each test, so tests do not see each other's journal entries. */
  async function recording(): Promise<string> {
    const file = path.join(ctx.dir, `rec-${++n}.opus`);
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=${300 + n * 40}:duration=1.5:sample_rate=16000`,
      '-c:a',
      'libopus',
      '-b:a',
      '32k',
      file,
    ]);
    return file;
  }
  /** push of one file to the emulator for one recorder, with its journal in `state`, JSON output. */
  const pushArgs = (file: string, state: string) => [
    file,
    '--api-base',
    ctx.emu.baseUrl,
    '--token',
    ctx.emu.token,
    '--sn',
    '880000000000000001',
    '--json',
    '--state-dir',
    state,
  ];
  beforeAll(() => {
    for (const k of ENV_KEYS) delete process.env[k];
  });
  afterEach(() => {
    ctx.emu.faults.clear();
    for (const k of ENV_KEYS) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  });

  it('after a complete-upload that never got an answer, the next push finishes the same upload: one cloud file', async () => {
    const file = await recording();
    const state = path.join(ctx.dir, 'state-a');
    const args = pushArgs(file, state);
    // Every completion takes effect on the server, then the connection drops: the client never learns it worked.
    ctx.emu.faults.failCompleteAfter({ times: 6 });
    const first = await run(...args);
    expect(first.code).toBe(1);
    expect(lines(first.out)[0]).toMatchObject({ reason: 'complete-unknown' });
    // Nothing retries a one-off push by itself: the message says what does, and promises nothing else.
    expect(String(lines(first.out)[0]!.error)).toMatch(/A retry finishes this same upload.*Run the same push again/);
    expect(first.err).not.toMatch(/will be retried/);
    expect(ctx.emu.files()).toHaveLength(1); // it did take effect, once
    const journal = await fs.readdir(path.join(state, 'push'));
    expect(journal.filter((f) => f.endsWith('.json'))).toHaveLength(1);
    const mode =
      (
        await fs.stat(
          path.join(
            state,
            'push',
            journal.find((f) => f.endsWith('.json'))!,
          ),
        )
      ).mode & 0o777;
    expect(mode).toBe(0o600);

    ctx.emu.faults.clear();
    const presignsBefore = ctx.emu.requests().filter((r) => r.path.endsWith('generate-presigned-urls')).length;
    const second = await run(...args);
    expect(second.code, second.err).toBe(0);
    const line = lines(second.out)[0]!;
    expect(line.fileId).toBe(ctx.emu.files()[0]!.fileId);
    expect(ctx.emu.files()).toHaveLength(1);
    expect(ctx.emu.duplicates()).toEqual([]);
    // The rerun started no session of its own: it completed the one it had.
    expect(ctx.emu.requests().filter((r) => r.path.endsWith('generate-presigned-urls')).length).toBe(presignsBefore);

    // Once the cloud has confirmed it, a third push says so and uploads nothing.
    const third = await run(...args);
    expect(third.code).toBe(0);
    expect(lines(third.out)[0]).toMatchObject({ fileId: line.fileId, alreadyUploaded: true });
    expect(ctx.emu.files()).toHaveLength(1);

    // Asked for in so many words, it is uploaded again.
    const again = await run(...args, '--again');
    expect(again.code, again.err).toBe(0);
    expect(lines(again.out)[0]!.fileId).not.toBe(line.fileId);
    expect(ctx.emu.files()).toHaveLength(2);
  }, 90_000);

  it('PLAUD_SYNC_STATE places the journal like --state-dir does; a damaged entry is replaced, with a log line', async () => {
    const file = await recording();
    const state = path.join(ctx.dir, 'state-b');
    process.env.PLAUD_SYNC_STATE = state;
    const before = ctx.emu.files().length;
    const r = await run(
      file,
      '--api-base',
      ctx.emu.baseUrl,
      '--token',
      ctx.emu.token,
      '--owner-id',
      'owner-7',
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    const [entry] = (await fs.readdir(path.join(state, 'push'))).filter((f) => f.endsWith('.json'));
    await fs.writeFile(path.join(state, 'push', entry!), '{"version": 1, "key"');
    const again = await run(
      file,
      '--api-base',
      ctx.emu.baseUrl,
      '--token',
      ctx.emu.token,
      '--owner-id',
      'owner-7',
      '--json',
    );
    expect(again.code, again.err).toBe(0);
    expect(ctx.emu.files().length).toBe(before + 2); // the damaged memory cannot vouch for the first copy
    const logs = await fs.readdir(path.join(state, 'logs'));
    const log = await fs.readFile(path.join(state, 'logs', logs[0]!), 'utf8');
    expect(log).toMatch(/push journal entry unusable, starting afresh: .* is damaged \(not JSON\)/);
  }, 60_000);

  it('reads the token from a private file, and refuses one others can read with the chmod to run', async () => {
    const file = await recording();
    const tokenFile = path.join(ctx.dir, 'token');
    await fs.writeFile(tokenFile, ctx.emu.token + '\n', { mode: 0o644 });
    await fs.chmod(tokenFile, 0o644);
    const args = [
      file,
      '--api-base',
      ctx.emu.baseUrl,
      '--sn',
      '880000000000000001',
      '--json',
      '--state-dir',
      path.join(ctx.dir, 'state-c'),
    ];
    let r = await run(...args, '--token-file', tokenFile);
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      `can be read by other users (mode 644), so it is refused. Make it private with: chmod 600 ${tokenFile}`,
    );
    expect(r.err).not.toContain(ctx.emu.token);

    await fs.chmod(tokenFile, 0o600);
    r = await run(...args, '--token-file', tokenFile);
    expect(r.code, r.err).toBe(0);
    expect(lines(r.out)[0]!.fileId).toEqual(expect.any(String));

    process.env.PLAUD_API_TOKEN_FILE = tokenFile;
    r = await run(...args);
    expect(r.code, r.err).toBe(0);
    expect(lines(r.out)[0]).toMatchObject({ alreadyUploaded: true });

    r = await run(...args, '--token', 'x', '--token-file', tokenFile);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Use either --token or --token-file, not both/);
  }, 60_000);
  it('a server that keeps failing (HTTP 503): push says to run it again, not that it will be retried', async () => {
    const file = await recording();
    const filesBefore = ctx.emu.files().length;
    ctx.emu.faults.customAnswer('presign', { status: 503, body: '{"detail":"down"}', times: 50 });
    const args = pushArgs(file, path.join(ctx.dir, 'state-503'));
    const r = await run(...args);
    expect(r.code).toBe(1);
    const line = lines(r.out)[0]!;
    expect(line).toMatchObject({ file, reason: 'start-failed' });
    expect(String(line.error)).toMatch(/had a problem \(HTTP 503\).*Run the same push again to retry it\.$/);
    expect(r.err).not.toMatch(/will be retried/);
    expect(ctx.emu.files()).toHaveLength(filesBefore);
    // And it is true: once the server is back, the same push uploads it.
    ctx.emu.faults.clear();
    const again = await run(...args);
    expect(again.code, again.err).toBe(0);
    expect(ctx.emu.files()).toHaveLength(filesBefore + 1);
  }, 90_000);
});
