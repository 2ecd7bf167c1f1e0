// The recording model as the CLI shows it: a one-shot sync waits a bounded time for a recording the recorder is still
// writing and then reports it as pending; status says it is waiting for the recorder; a recording that changed on the
// recorder after its upload is not uploaded again by itself, and `upload-newer-version` uploads it once, beside it.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../support/fuse.js';
import { jsonLines, runCli } from '../support/cli.js';
import { DEVICE_WAV_DATA_OFFSET, deviceWavHeader } from '../support/fixtures/audio.js';
import { layOutRecorder, relBaseOf, type RecordingSpec } from '../support/recorder.js';

const noFuse = fuseUnavailableReason();
if (noFuse) console.warn(`recording-model CLI tests skipped: ${noFuse}`);
const SERIAL = '888777000000000042';

describe.skipIf(!!noFuse)('plaud-sync and the recording model', () => {
  let emu: Emulator;
  let mount: FatMount;
  let tmp: string;
  let root: string;
  const spec: RecordingSpec = { startSec: 1_724_000_000, seconds: 2 };
  let written: Map<string, Buffer>;

  beforeAll(async () => {
    emu = await startEmulator();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-cli-model-'));
    root = path.join(tmp, 'media');
    const img = path.join(tmp, 'rec.img');
    await makeFatImage(img, 40);
    mount = await mountFat(img, path.join(root, 'PLAUD_NOTE'));
    written = await layOutRecorder(mount.dir, { serial: SERIAL, recordings: [spec] });
  }, 60_000);

  afterAll(async () => {
    await mount?.unmount();
    await emu?.stop();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const state = () => path.join(tmp, 'state');
  const engineArgs = (cmd: string, ...extra: string[]) => [
    cmd,
    '--mount-root',
    root,
    '--state-dir',
    state(),
    '--library',
    path.join(state(), 'lib'),
    '--api-base',
    emu.baseUrl,
    '--json',
    ...extra,
  ];
  const env = () => ({ PLAUD_API_TOKEN: emu.token });
  const touchAsr = async (sec: number) => {
    const f = path.join(mount.dir, `${relBaseOf(spec)}.ASR`);
    await fs.utimes(f, sec, sec);
  };

  it('pull never says "Safe to unplug" while a recording is still being written', async () => {
    await touchAsr(Date.now() / 1000);
    const lib = path.join(tmp, 'pull-lib');
    const json = await runCli(['pull', '--mount-root', root, '--state-dir', state(), '--library', lib, '--json']);
    expect(json.code).toBe(1);
    const ev = jsonLines(json.stdout);
    expect(ev.some((e) => e.type === 'waiting')).toBe(true);
    expect(ev.at(-1)).toMatchObject({ type: 'summary', waitingForRecorder: 1, ok: false, pulled: 0 });
    await touchAsr(Date.now() / 1000);
    const human = await runCli(['pull', '--mount-root', root, '--state-dir', state(), '--library', lib]);
    expect(human.stdout).toMatch(/still being written on the recorder/);
    expect(human.stdout).not.toMatch(/Safe to unplug/);
  }, 60_000);

  it('sync waits a bounded time for a recording still being written, then reports it pending; status says so', async () => {
    const before = emu.files().length;
    // The recorder keeps writing: its ASR changes every half second while this pass runs.
    await touchAsr(Date.now() / 1000);
    const writing = setInterval(() => void touchAsr(Date.now() / 1000).catch(() => {}), 500);
    const first = await runCli(engineArgs('sync', '--wait-for-recorder', '1'), { env: env() }).finally(() =>
      clearInterval(writing),
    );
    expect(first.code, first.stderr).toBe(1);
    const ev = jsonLines(first.stdout);
    expect(ev.some((e) => e.type === 'waiting')).toBe(true);
    expect(ev.at(-1)).toMatchObject({ type: 'summary', synced: 0, waitingForRecorder: 1, pending: 1 });
    expect(emu.files().length).toBe(before);
    const st = JSON.parse((await runCli(['status', '--json', '--state-dir', state()])).stdout);
    expect(st.devices[0]).toMatchObject({ sn: SERIAL, waitingForRecorder: 1 });
    expect(st.recordings).toEqual([]);
    const human = await runCli(['status', '--state-dir', state()]);
    expect(human.stdout).toMatch(/waiting for the recorder to finish writing/);

    // It finishes a moment later: the default wait covers it, and the recording is synced once, whole.
    await touchAsr(Date.now() / 1000 - 2);
    const second = await runCli(engineArgs('sync'), { env: env() });
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(jsonLines(second.stdout).at(-1)).toMatchObject({
      type: 'summary',
      synced: 1,
      pending: 0,
      waitingForRecorder: 0,
    });
    expect(emu.files().length - before).toBe(1);
  }, 120_000);

  it('a recording that grew on the recorder after its upload: no second upload by itself; upload-newer-version uploads it once', async () => {
    const before = emu.files().length;
    // The WAV grows by two seconds (same beginning): the same take, changed after it was uploaded.
    const wav = written.get(`${relBaseOf(spec)}.WAV`)!;
    const extra = wav.subarray(DEVICE_WAV_DATA_OFFSET, DEVICE_WAV_DATA_OFFSET + 2 * 64_000);
    const grown = Buffer.concat([
      deviceWavHeader(wav.length - DEVICE_WAV_DATA_OFFSET + extra.length, SERIAL),
      wav.subarray(DEVICE_WAV_DATA_OFFSET),
      extra,
    ]);
    const f = path.join(mount.dir, `${relBaseOf(spec)}.WAV`);
    await fs.rm(f);
    await fs.writeFile(f, grown);
    await fs.utimes(f, spec.startSec + 4, spec.startSec + 4);

    const again = await runCli(engineArgs('sync'), { env: env() });
    const summary = jsonLines(again.stdout).at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', synced: 1 });
    expect((summary.problems as { code: string }[]).map((p) => p.code)).toContain('recording-changed');
    expect(emu.files().length).toBe(before);

    const id = `${SERIAL}/${relBaseOf(spec)}`;
    // status says so, with the command to run.
    const changed = JSON.parse((await runCli(['status', '--json', '--state-dir', state()])).stdout);
    expect(changed.recordings.find((r: { id: string }) => r.id === id)).toMatchObject({ changedOnDevice: true });
    expect((await runCli(['status', '--state-dir', state()])).stdout).toContain(
      `plaud-sync upload-newer-version ${id}`,
    );
    // A wrong id is refused before anything is copied or uploaded.
    const wrong = await runCli(engineArgs('upload-newer-version', `${id}9`), { env: env() });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr + wrong.stdout).toMatch(/No recording with id/);
    expect(emu.files().length).toBe(before);

    const up = await runCli(engineArgs('upload-newer-version', id), { env: env() });
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(jsonLines(up.stdout).at(-1)).toMatchObject({ type: 'summary', id, newId: `${id}~2`, state: 'synced' });
    expect(emu.files().length - before).toBe(1);
    const st = JSON.parse((await runCli(['status', '--json', '--state-dir', state()])).stdout);
    expect(st.recordings.map((r: { id: string; state: string }) => [r.id, r.state])).toEqual([
      [id, 'synced'],
      [`${id}~2`, 'synced'],
    ]);
    // And a further sync uploads nothing more.
    const last = await runCli(engineArgs('sync'), { env: env() });
    expect(last.code).toBe(0);
    expect(emu.files().length - before).toBe(1);
  }, 120_000);
});
