// ATTACK (attack5): the CLI as users run it, from the esbuild bundle (bin/plaud-sync.js -> dist/cli/), on a real FAT
// recorder. The bundle leaves the encoders (opusscript, @breezystack/lamejs) outside and loads them with import() only
// when a WAV must be encoded; it loads axios and the uploader at the first upload; it keeps only zod's English
// messages; and sync reads settings.json without conf. Each is attacked: a recording whose ASR is damaged (its WAV is
// encoded to Opus, or to MP3 with --format mp3), a server refusing every upload with the token echoed back (the
// refusal must stay "not retryable" across the lazily loaded modules, and the token must not get out), and a
// settings file that is invalid, not JSON, or a folder.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, jsonLines, runCli, type CliResult } from '../support/cli.js';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../support/fuse.js';
import { layOutRecorder, relBaseOf } from '../support/recorder.js';

const noFuse = fuseUnavailableReason();
if (noFuse) console.warn(`cli-bundle attack skipped: ${noFuse}`);
const SERIAL = '888777000000000515';
const DAMAGED = { startSec: 1_723_100_000, seconds: 2 };
const GOOD = { startSec: 1_723_200_000, seconds: 2 };

const clean = {
  PLAUD_API_TOKEN: '',
  PLAUD_CLIENT_ID: '',
  PLAUD_CLIENT_SECRET: '',
  PLAUD_API_TOKEN_FILE: '',
  PLAUD_CLIENT_SECRET_FILE: '',
  PLAUD_SYNC_STATE: '',
  PLAUD_API_BASE: '',
};

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

describe.skipIf(!!noFuse)('the bundled CLI on a real FAT recorder', () => {
  let emu: Emulator;
  let mount: FatMount;
  let tmp: string;
  let root: string;

  beforeAll(async () => {
    await buildCli();
    emu = await startEmulator();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-attack5-bundle-'));
    root = path.join(tmp, 'media');
    const img = path.join(tmp, 'rec.img');
    await makeFatImage(img, 40);
    mount = await mountFat(img, path.join(root, 'PLAUD_NOTE'));
    await layOutRecorder(mount.dir, { serial: SERIAL, recordings: [DAMAGED, GOOD] });
    // The ASR of one recording is cut short mid-packet (the recorder lost power): its WAV is the audio to use.
    const asr = path.join(mount.dir, `${relBaseOf(DAMAGED)}.ASR`);
    const whole = await fs.readFile(asr);
    // A new file rather than a truncation in place: the FUSE FAT driver keeps the old size of a file cut short.
    await fs.unlink(asr);
    await fs.writeFile(asr, whole.subarray(0, 100));
    const end = DAMAGED.startSec + DAMAGED.seconds;
    await fs.utimes(asr, end, end);
  }, 120_000);

  afterAll(async () => {
    await mount?.unmount();
    await emu?.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  for (const format of ['opus', 'mp3'] as const) {
    it(`pull --format ${format}: the damaged recording's WAV is encoded by the encoder loaded from node_modules`, async () => {
      const lib = path.join(tmp, `lib-${format}`);
      const res = await runCli(
        [
          'pull',
          '--json',
          '--format',
          format,
          '--mount-root',
          root,
          '--library',
          lib,
          '--state-dir',
          path.join(tmp, `st-${format}`),
        ],
        { compiled: true, env: clean },
      );
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).not.toMatch(/Cannot find|ERR_MODULE|is not a function/);
      // The ASR was set aside, so the playable file of that recording can only have come from the encoder.
      expect(jsonLines(res.stdout)).toContainEqual(
        expect.objectContaining({ type: 'skipped', relPath: `${relBaseOf(DAMAGED)}.ASR` }),
      );
      const playable = (await filesUnder(lib)).filter((f) => !f.includes('.originals') && f.endsWith(`.${format}`));
      expect(playable).toHaveLength(2);
      for (const f of playable) {
        const head = (await fs.readFile(f)).subarray(0, 4);
        if (format === 'opus') expect(head.toString('latin1')).toBe('OggS');
        // An MP3 frame sync (lamejs writes no ID3 tag): 11 set bits.
        else expect(head[0] === 0xff && (head[1]! & 0xe0) === 0xe0).toBe(true);
        expect((await fs.stat(f)).size).toBeGreaterThan(1000);
      }
    }, 120_000);
  }

  it('sync: every upload refused with the token echoed is failed for good, with the reason, and the token hidden', async () => {
    const state = path.join(tmp, 'st-sync');
    emu.faults.customAnswer('presign', {
      times: Infinity,
      status: 400,
      contentType: 'application/json',
      body: (req) => JSON.stringify({ message: `bad request from ${String(req.headers.authorization)}` }),
    });
    const outputs: CliResult[] = [];
    try {
      const res = await runCli(
        [
          'sync',
          '--mount-root',
          root,
          '--state-dir',
          state,
          '--library',
          path.join(tmp, 'lib-sync'),
          '--json',
          '--verbose',
        ],
        { compiled: true, env: { ...clean, PLAUD_API_TOKEN: emu.token, PLAUD_API_BASE: emu.baseUrl } },
      );
      outputs.push(res);
      expect(res.code, res.stderr).toBe(1);
      expect(jsonLines(res.stdout).at(-1)).toMatchObject({ type: 'summary', failed: 2 });
    } finally {
      emu.faults.clear();
    }
    const status = await runCli(['status', '--json', '--state-dir', state], { compiled: true, env: clean });
    outputs.push(status);
    expect(status.code, status.stderr).toBe(0);
    const recs = (JSON.parse(status.stdout) as { recordings: { state: string; error?: string; nextTryAt?: unknown }[] })
      .recordings;
    expect(recs).toHaveLength(2);
    for (const r of recs) {
      expect(r.state).toBe('failed');
      expect(r.error).toMatch(/HTTP 400/);
      // A refusal is not retried by itself: only an error the engine did not recognise as the cloud's would be.
      expect(r.nextTryAt ?? null).toBeNull();
    }
    const texts = [...outputs.flatMap((o) => [o.stdout, o.stderr])];
    for (const f of await filesUnder(state)) texts.push(await fs.readFile(f, 'latin1'));
    // The log on stderr (--verbose) was written: the check below looks at something.
    expect(outputs[0]!.stderr.length).toBeGreaterThan(200);
    for (const t of texts) expect(t).not.toContain(emu.token.slice(0, 12));
  }, 180_000);
});

describe('the bundled CLI reading a bad settings file (no conf any more)', () => {
  let tmp: string;
  beforeAll(async () => {
    await buildCli();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-attack5-settings-'));
  }, 120_000);
  afterAll(async () => {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  async function syncWith(name: string, make: (file: string) => Promise<void>): Promise<CliResult> {
    const state = path.join(tmp, name);
    await fs.mkdir(state, { recursive: true });
    await make(path.join(state, 'settings.json'));
    return runCli(['sync', '--state-dir', state, '--mount-root', path.join(tmp, 'none'), '--token', 'tok_attack5'], {
      compiled: true,
      env: clean,
    });
  }

  it('invalid values: exit 1, the file and every bad field named in English', async () => {
    const res = await syncWith('invalid', (f) =>
      fs.writeFile(f, JSON.stringify({ concurrency: 99, apiBase: 'nope', identity: 'me' })),
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(path.join(tmp, 'invalid', 'settings.json'));
    expect(res.stderr).toMatch(/concurrency: Too big: expected number to be <=16/);
    expect(res.stderr).toMatch(/apiBase: Invalid URL/);
    expect(res.stderr).toMatch(/identity: Invalid option: expected one of "sn"\|"owner_id"/);
    expect(res.stderr).toMatch(/Fix or delete it\./);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('not JSON, or a folder: exit 1 with why it cannot be read, no stack trace', async () => {
    const broken = await syncWith('broken', (f) => fs.writeFile(f, '{"concurrency": 4,'));
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/settings\.json cannot be read \(.*JSON.*\)\. Fix or delete it\./);
    const folder = await syncWith('folder', (f) => fs.mkdir(f));
    expect(folder.code).toBe(1);
    expect(folder.stderr).toMatch(/settings\.json cannot be read \(EISDIR.*\)\. Fix or delete it\./);
    for (const r of [broken, folder]) expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
