// Usage errors exit 2 for every command (unknown option, invalid choice, missing argument), as the README promises;
// help and --version exit 0; every command takes --state-dir.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli } from '../support/cli.js';

const COMMANDS = ['push', 'sync', 'watch', 'status', 'retry', 'devices', 'pull', 'recover-ledger'];
let tmp: string;
const run = (args: string[]) =>
  runCli(args, {
    compiled: true,
    timeoutMs: 30_000,
    env: { PLAUD_SYNC_STATE: path.join(tmp, 'env-state'), PLAUD_API_TOKEN: '' },
  });

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-usage-'));
  await buildCli();
}, 120_000);
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('usage errors exit 2', () => {
  it.each(COMMANDS)('%s: an unknown option exits 2 and names it; --state-dir is known to it', async (cmd) => {
    // Commander names the first unknown option: were --state-dir unknown, it would be named instead.
    const r = await run([cmd, '--state-dir', path.join(tmp, 's'), '--no-such-flag']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
  });

  it.each([
    [['push', 'a.opus', '--sn', '1', '--sn-type', 'gizmo'], /argument 'gizmo' is invalid\. Allowed choices are/],
    [['push', 'a.opus', '--sn', '1', '--concurrency', '99'], /--concurrency must be 1\.\.16/],
    [['push'], /missing required argument 'files'/],
    [['push', 'a.opus', '--sn'], /option '--sn <sn>' argument missing/],
    [['retry'], /Name a recording id, or use --all-failed/],
    [['sync', '--library'], /option '--library <dir>' argument missing/],
    [['no-such-command'], /unknown command 'no-such-command'/],
    [['status', 'extra-arg'], /too many arguments/],
  ])('%j exits 2', async (args, message) => {
    const r = await run(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('help and --version exit 0', async () => {
    expect((await run(['--help'])).code).toBe(0);
    expect((await run(['push', '--help'])).code).toBe(0);
    const v = await run(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('--state-dir is where devices looks too: the mount roots saved in that folder are searched', async () => {
    const state = path.join(tmp, 'named-state');
    const media = path.join(tmp, 'saved-media-root');
    await fs.mkdir(state, { recursive: true });
    await fs.mkdir(media, { recursive: true });
    await fs.writeFile(path.join(state, 'settings.json'), JSON.stringify({ mountRoots: [media] }));
    const r = await run(['devices', '--state-dir', state]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`No Plaud recorder found under ${media}.`);
  });
});
