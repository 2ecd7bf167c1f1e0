// `plaud-sync push` end to end, in process, against the emulator and s3rver.
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PUSH_ENV_KEYS, pushLines, runPush } from '../support/push-in-process.js';
import { useEmulatorAndDir } from '../sync/upload/helpers.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
if (!hasFfmpeg) console.warn('push CLI tests skipped: ffmpeg is not installed (Debian package ffmpeg)');

let opus: string;
let mp3: string;
const ENV_KEYS = PUSH_ENV_KEYS;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
const run = runPush;
const lines = pushLines;

describe.skipIf(!hasFfmpeg)('plaud-sync push', () => {
  const ctx = useEmulatorAndDir('plaud-push-');
  beforeAll(async () => {
    opus = path.join(ctx.dir, 'Meeting 2024-03-01.opus');
    mp3 = path.join(ctx.dir, 'interview.mp3');
    const sine = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=300:duration=2.5:sample_rate=16000',
    ];
    execFileSync('ffmpeg', [...sine, '-c:a', 'libopus', '-b:a', '32k', opus]);
    execFileSync('ffmpeg', [...sine, '-c:a', 'libmp3lame', '-b:a', '32k', mp3]);
    const mtime = new Date(Date.UTC(2024, 2, 1, 10, 0, 0));
    await fs.utimes(opus, mtime, mtime);
    for (const k of ENV_KEYS) delete process.env[k];
  });
  beforeEach(() => {
    // push keeps its journal and log in the state folder: never the real per-user one.
    process.env.PLAUD_SYNC_STATE = path.join(ctx.dir, 'state');
  });
  afterEach(() => {
    for (const k of ENV_KEYS) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  });

  it('uploads each file and prints one JSON line with its cloud file id; type, duration and start come from the file', async () => {
    const r = await run(
      opus,
      mp3,
      '--api-base',
      ctx.emu.baseUrl,
      '--token',
      ctx.emu.token,
      '--sn',
      '882123456789012345',
      '--json',
    );
    expect(r.code).toBe(0);
    const [a, b] = lines(r.out);
    expect(a).toMatchObject({ file: opus, filetype: 'opus', possibleDuplicate: false });
    expect(b).toMatchObject({ file: mp3, filetype: 'mp3' });
    for (const [line, src] of [
      [a!, opus],
      [b!, mp3],
    ] as const) {
      const stored = ctx.emu.files().find((f) => f.fileId === line.fileId)!;
      expect(stored).toBeDefined();
      expect((await ctx.emu.getObject(stored.fileId)).equals(await fs.readFile(src))).toBe(true);
      expect(stored.body).toMatchObject({ sn: '882123456789012345', sn_type: 'notepin', filename: path.basename(src) });
      expect(Math.abs(Number(stored.body.duration) - 2500)).toBeLessThan(100);
    }
    const opusBody = ctx.emu.files().find((f) => f.fileId === a!.fileId)!.body;
    expect(opusBody.end_time).toBe(Date.UTC(2024, 2, 1, 10, 0, 0)); // mtime = end; start = mtime - duration
    expect(opusBody.start_time).toBe(Date.UTC(2024, 2, 1, 10, 0, 0) - Number(opusBody.duration));
    expect(r.out).not.toContain(ctx.emu.token);
    expect(r.err).not.toContain(ctx.emu.token);
  });

  it('prints "file<TAB>fileId" without --json, and honours --start-time, --duration and --owner-id', async () => {
    const r = await run(
      mp3,
      '--api-base',
      ctx.emu.baseUrl,
      '--token',
      ctx.emu.token,
      '--owner-id',
      'owner-42',
      '--start-time',
      '1709287200000',
      '--duration',
      '2000',
    );
    expect(r.code).toBe(0);
    const [file, fileId] = r.out.trim().split('\t');
    expect(file).toBe(mp3);
    const stored = ctx.emu.files().find((f) => f.fileId === fileId)!;
    expect(stored.body).toMatchObject({
      owner_id: 'owner-42',
      sn_type: 'other',
      start_time: 1709287200000,
      end_time: 1709287202000,
      duration: 2000,
    });
  });

  it('takes credentials and the API base from PLAUD_* env vars, and flags win over them', async () => {
    process.env.PLAUD_API_BASE = ctx.emu.baseUrl;
    process.env.PLAUD_CLIENT_ID = ctx.emu.clientId;
    process.env.PLAUD_CLIENT_SECRET = ctx.emu.clientSecret;
    let r = await run(opus, '--sn', '880000000000000001', '--json');
    expect(r.code).toBe(0);
    expect(lines(r.out)[0]!.fileId).toEqual(expect.any(String));

    process.env.PLAUD_API_TOKEN = 'wrong-token-from-env';
    process.env.PLAUD_API_BASE = 'https://api.invalid';
    r = await run(
      opus,
      '--sn',
      '880000000000000001',
      '--json',
      '--token',
      ctx.emu.token,
      '--api-base',
      ctx.emu.baseUrl,
    );
    expect(r.code).toBe(0);
    expect(ctx.emu.files().find((f) => f.fileId === lines(r.out)[0]!.fileId)!.body.sn_type).toBe('note');

    r = await run(opus, '--sn', '880000000000000001', '--api-base', ctx.emu.baseUrl);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/The API token was refused: enter a new one in Settings/);
    expect(r.err).not.toContain('wrong-token-from-env');
  });

  it('refuses plain http to a remote host before sending anything', async () => {
    const r = await run(opus, '--api-base', 'http://api.plaud.ai', '--token', 't', '--sn', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Refusing to send recordings and credentials over plain http to api\.plaud\.ai/);
  });

  it('refuses an empty file clearly, still uploads the others, and exits 1', async () => {
    const empty = path.join(ctx.dir, 'empty.opus');
    await fs.writeFile(empty, '');
    const r = await run(
      empty,
      opus,
      '--api-base',
      ctx.emu.baseUrl,
      '--token',
      ctx.emu.token,
      '--sn',
      '880000000000000001',
      '--json',
    );
    expect(r.code).toBe(1);
    const [a, b] = lines(r.out);
    expect(a).toMatchObject({ file: empty, reason: 'bad-file' });
    expect(String(a!.error)).toMatch(/empty/);
    expect(b).toMatchObject({ file: opus, fileId: expect.any(String) });
  });

  it('explains missing credentials and identity', async () => {
    let r = await run(opus, '--api-base', ctx.emu.baseUrl, '--sn', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/No credentials: pass --token/);
    r = await run(opus, '--api-base', ctx.emu.baseUrl, '--token', 'x');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--sn SN .* or --owner-id ID/);
  });
});
