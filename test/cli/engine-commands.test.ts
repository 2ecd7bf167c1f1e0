// The engine commands as scripts call them: sync exit codes and JSON lines, status --json keys,
// retry, and a damaged ledger reported instead of reset.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../support/fuse.js';
import { jsonLines, runCli } from '../support/cli.js';
import { layOutRecorder } from '../support/recorder.js';

const noFuse = fuseUnavailableReason();
if (noFuse) console.warn(`engine CLI tests skipped: ${noFuse}`);
const SERIAL = '888777000000000001';

describe.skipIf(!!noFuse)('plaud-sync sync / status / retry', () => {
  let emu: Emulator;
  let mount: FatMount;
  let tmp: string;
  let root: string;

  beforeAll(async () => {
    emu = await startEmulator();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-cli-engine-'));
    root = path.join(tmp, 'media');
    const img = path.join(tmp, 'rec.img');
    await makeFatImage(img, 40);
    mount = await mountFat(img, path.join(root, 'PLAUD_NOTE'));
    await layOutRecorder(mount.dir, {
      serial: SERIAL,
      recordings: [
        { startSec: 1_723_000_000, seconds: 2 },
        { startSec: 1_723_000_500, seconds: 2, kind: 'call' },
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await mount?.unmount();
    await emu?.stop();
  });

  const syncArgs = (state: string, ...extra: string[]) => [
    'sync',
    '--mount-root',
    root,
    '--state-dir',
    state,
    '--library',
    path.join(state, 'lib'),
    '--api-base',
    emu.baseUrl,
    ...extra,
  ];

  it('sync without an account pulls, exits non-zero with the recordings pending; with a token it exits 0; status --json tells', async () => {
    const state = path.join(tmp, 'a');
    const first = await runCli([...syncArgs(state), '--json'], { env: { PLAUD_API_TOKEN: '' } });
    expect(first.code, first.stderr).toBe(1);
    const ev = jsonLines(first.stdout);
    expect(ev.find((e) => e.type === 'device-attached')).toMatchObject({ sn: SERIAL, sn_type: 'note' });
    expect(ev.find((e) => e.type === 'pull-finished')).toMatchObject({ pulled: 2 });
    expect(ev.at(-1)).toMatchObject({ type: 'summary', synced: 0, pending: 2 });

    const st1 = JSON.parse((await runCli(['status', '--json', '--state-dir', state])).stdout);
    expect(st1.recordings.map((r: { state: string }) => r.state)).toEqual(['pulled', 'pulled']);

    // The token from the environment; the flag would win over it.
    const second = await runCli([...syncArgs(state), '--json'], { env: { PLAUD_API_TOKEN: emu.token } });
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(jsonLines(second.stdout).at(-1)).toMatchObject({ type: 'summary', synced: 2, pending: 0, failed: 0 });

    const st = await runCli(['status', '--json', '--state-dir', state]);
    const report = JSON.parse(st.stdout);
    expect(Array.isArray(report.devices)).toBe(true);
    expect(report.devices[0]).toMatchObject({ sn: SERIAL, sn_type: 'note', model: 'PLAUD NOTE' });
    expect(report.recordings).toHaveLength(2);
    for (const r of report.recordings) {
      expect(r).toMatchObject({ sn: SERIAL, state: 'synced' });
      expect(typeof r.path).toBe('string');
      expect(emu.files().some((f) => f.id === r.cloudFileId || f.fileId === r.cloudFileId)).toBe(true);
    }
    const human = await runCli(['status', '--state-dir', state]);
    expect(human.stdout).toContain(SERIAL);
    expect(human.stdout).toMatch(/2 synced/);
  }, 120_000);

  it('a refused token: clear error, non-zero exit; retry --all-failed after a server rejection re-queues', async () => {
    const state = path.join(tmp, 'b');
    const bad = await runCli(syncArgs(state, '--token', 'not-a-valid-token'));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/token was refused/i);
    expect(bad.stdout).not.toContain('not-a-valid-token');
    // Every completion refused once: the recordings fail with the server's reason ...
    emu.faults.failCompleteBefore({ times: 50, status: 422 });
    try {
      const rejected = await runCli(syncArgs(state, '--token', emu.token, '--json'));
      expect(rejected.code).toBe(1);
      const st = JSON.parse((await runCli(['status', '--json', '--state-dir', state])).stdout);
      expect(st.recordings.every((r: { state: string }) => r.state === 'failed')).toBe(true);
      expect(st.problems.length).toBeGreaterThan(0);
    } finally {
      emu.faults.clear();
    }
    const retry = await runCli(['retry', '--all-failed', '--json', '--state-dir', state]);
    expect(JSON.parse(retry.stdout).retried).toHaveLength(2);
    const ok = await runCli(syncArgs(state, '--token', emu.token));
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/All done/);
  }, 120_000);

  it('a damaged ledger is reported with its path and left as it was', async () => {
    const state = path.join(tmp, 'c');
    expect((await runCli(syncArgs(state, '--token', emu.token))).code).toBe(0);
    const journal = path.join(state, 'ledger', 'ledger.snapshot');
    const original = await fs.readFile(journal);
    const damaged = Buffer.concat([original.subarray(0, 200), Buffer.from('\u0000garbage\n'), original.subarray(200)]);
    await fs.writeFile(journal, damaged);
    const res = await runCli(syncArgs(state, '--token', emu.token));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(journal);
    expect(await fs.readFile(journal)).toEqual(damaged);
    const st = await runCli(['status', '--json', '--state-dir', state]);
    expect(st.code).not.toBe(0);
    expect(st.stderr).toMatch(/ledger/i);
  }, 120_000);
});
