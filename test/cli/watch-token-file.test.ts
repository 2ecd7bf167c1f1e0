// The headless daemon as a server runs it: `plaud-sync watch` with its token in a private file (what systemd's
// LoadCredential= gives), a real FAT recorder through FUSE and the emulator. The recording is synced; SIGTERM stops
// it cleanly. A token file others can read is refused with the chmod to run.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../support/fuse.js';
import { collect, jsonLines, runCli, spawnCli } from '../support/cli.js';
import { layOutRecorder } from '../support/recorder.js';

const noFuse = fuseUnavailableReason();
if (noFuse) console.warn(`watch token-file test skipped: ${noFuse}`);
const SERIAL = '888777000000000077';
const clean = {
  PLAUD_API_TOKEN: '',
  PLAUD_CLIENT_ID: '',
  PLAUD_CLIENT_SECRET: '',
  PLAUD_API_TOKEN_FILE: '',
  PLAUD_CLIENT_SECRET_FILE: '',
  PLAUD_SYNC_STATE: '',
};

describe.skipIf(!!noFuse)('plaud-sync watch with a token file', () => {
  let emu: Emulator;
  let mount: FatMount;
  let tmp: string;
  let root: string;

  beforeAll(async () => {
    emu = await startEmulator();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-watch-'));
    root = path.join(tmp, 'media');
    const img = path.join(tmp, 'rec.img');
    await makeFatImage(img, 40);
    mount = await mountFat(img, path.join(root, 'PLAUD_NOTE'));
    await layOutRecorder(mount.dir, { serial: SERIAL, recordings: [{ startSec: 1_724_000_000, seconds: 2 }] });
  }, 60_000);
  afterAll(async () => {
    await mount?.unmount();
    await emu?.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  const args = (state: string, ...extra: string[]) => [
    'watch',
    '--mount-root',
    root,
    '--state-dir',
    state,
    '--library',
    path.join(tmp, `${path.basename(state)}-lib`),
    '--api-base',
    emu.baseUrl,
    '--json',
    ...extra,
  ];

  it('syncs the recording with the token read from a private file, and stops on SIGTERM', async () => {
    const credentials = path.join(tmp, 'credentials');
    await fs.mkdir(credentials, { mode: 0o700 });
    const tokenFile = path.join(credentials, 'plaud-token');
    await fs.writeFile(tokenFile, `${emu.token}\n`, { mode: 0o400 }); // as systemd's LoadCredential= leaves it
    const child = spawnCli(args(path.join(tmp, 'state-a'), '--token-file', tokenFile), { env: clean });
    const done = collect(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const until = Date.now() + 60_000;
      while (!jsonLines(out).some((e) => e.type === 'sync-finished' && Number(e.synced) >= 1)) {
        if (Date.now() > until || child.exitCode !== null)
          throw new Error(`no sync-finished event; output so far:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      child.kill('SIGTERM');
    }
    const res = await done;
    expect(res.code, res.stderr).toBe(0);
    const events = jsonLines(res.stdout);
    expect(events.find((e) => e.type === 'watching')).toMatchObject({ mountRoots: [root] });
    expect(events.find((e) => e.type === 'device-attached')).toMatchObject({ sn: SERIAL });
    expect(events.at(-1)).toMatchObject({ type: 'stopped' });
    expect(emu.files().filter((f) => f.body.sn === SERIAL)).toHaveLength(1);
    expect(res.stdout + res.stderr).not.toContain(emu.token);
  }, 120_000);

  it('refuses a token file that group or others can read, with the chmod to run (flag or PLAUD_API_TOKEN_FILE)', async () => {
    const tokenFile = path.join(tmp, 'open-token');
    await fs.writeFile(tokenFile, emu.token);
    await fs.chmod(tokenFile, 0o640);
    for (const [extra, env] of [
      [['--token-file', tokenFile], clean],
      [[], { ...clean, PLAUD_API_TOKEN_FILE: tokenFile }],
    ] as const) {
      const res = await runCli(args(path.join(tmp, 'state-b'), ...extra), { env, timeoutMs: 30_000 });
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain(
        `The API token file ${tokenFile} can be read by other users (mode 640), so it is refused. Make it private with: chmod 600 ${tokenFile}`,
      );
      expect(res.stdout + res.stderr).not.toContain(emu.token);
    }
  }, 60_000);
});
