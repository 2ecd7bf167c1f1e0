// Two `plaud-sync push` runs of the same file at the same moment (two scripts, a double-click) make one cloud file:
// the second one finds the file's journal entry held and says so instead of uploading it again.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, jsonLines, spawnCli } from '../support/cli.js';
import { useEmulatorAndDir } from '../sync/upload/helpers.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
if (!hasFfmpeg) console.warn('concurrent push test skipped: ffmpeg is not installed (Debian package ffmpeg)');

describe.skipIf(!hasFfmpeg)('push, twice at once', () => {
  const ctx = useEmulatorAndDir('plaud-push-concurrent-');

  it('one cloud file, and the other run says another push has it', async () => {
    const file = path.join(ctx.dir, 'twice.opus');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=523:duration=1.5:sample_rate=16000',
      '-c:a',
      'libopus',
      '-b:a',
      '32k',
      file,
    ]);
    // Slow answers keep the first upload open while the second starts.
    ctx.emu.faults.slow({ target: 'presign', delayMs: 3_000, times: 1 });
    const before = ctx.emu.files().length;
    const env = { PLAUD_API_TOKEN: ctx.emu.token, PLAUD_SYNC_STATE: path.join(ctx.dir, 'state') };
    const args = ['push', file, '--sn', '888000000000000042', '--api-base', ctx.emu.baseUrl, '--json'];
    const a = collect(spawnCli(args, { env }));
    await new Promise((r) => setTimeout(r, 1_500));
    const b = collect(spawnCli(args, { env }));
    const [ra, rb] = await Promise.all([a, b]);
    expect(ctx.emu.files().length - before).toBe(1);
    const outcomes = [ra, rb].map((r) => ({ code: r.code, last: jsonLines(r.stdout).at(-1) }));
    expect(outcomes.filter((o) => o.code === 0)).toHaveLength(1);
    const other = outcomes.find((o) => o.code !== 0)!;
    expect(other.last).toMatchObject({ reason: 'busy' });
    expect(String(other.last!.error)).toMatch(/another plaud-sync push is uploading this file right now/);
  }, 60_000);
});
