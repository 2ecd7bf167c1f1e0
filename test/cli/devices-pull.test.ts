// `plaud-sync devices` and `plaud-sync pull` run as child processes, as a user runs them, against a recorder on a
// real FAT32 volume (fusefat) under a temporary mount root; on a machine without fusefat the recorder is a plain
// folder (the commands do not care), and that is said in the output.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../support/fuse.js';
import { layOutRecorder, TEST_SERIAL } from '../support/recorder.js';
import { unreadableNames } from '../support/library-names.js';

const V1_FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../sync/ledger/fixtures/v1-state.tgz');

/** "2024-03-01 08.00": the local start date and time, as the default file-name pattern writes them. */
function localStem(epochSec: number): string {
  const d = new Date(epochSec * 1000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}.${p2(d.getMinutes())}`;
}

const noFuse = fuseUnavailableReason();
if (noFuse) console.warn(`devices/pull CLI tests use a plain folder as the recorder: ${noFuse}`);

// Each child process loads the whole CLI under tsx: allow for a busy machine.
describe('plaud-sync devices / pull', { timeout: 180_000 }, () => {
  let work: string;
  let mountRoot: string;
  let volume: string;
  let library: string;
  let mount: FatMount | undefined;
  let written: Map<string, Buffer>;
  const env = () => ({ PLAUD_SYNC_STATE: path.join(work, 'state') });

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-cli-devices-'));
    mountRoot = path.join(work, 'media');
    volume = path.join(mountRoot, 'PLAUD_NOTE');
    library = path.join(work, 'Plaud Recordings');
    await fs.mkdir(volume, { recursive: true });
    // Something that is not a recorder, next to it.
    await fs.mkdir(path.join(mountRoot, 'USBSTICK'));
    await fs.writeFile(path.join(mountRoot, 'USBSTICK', 'notes.txt'), 'hello');
    const spec = {
      recordings: [
        { kind: 'note' as const, startSec: 1709280000, seconds: 2 },
        { kind: 'call' as const, startSec: 1709370000, seconds: 1 },
      ],
    };
    if (!noFuse) {
      const image = path.join(work, 'rec.img');
      await makeFatImage(image, 40);
      mount = await mountFat(image, volume);
    }
    written = await layOutRecorder(volume, spec);
    // One odd file the scan must skip with a reason.
    await fs.writeFile(path.join(volume, 'NOTES', '20240301', 'broken.WAV'), 'x');
  });

  afterAll(async () => {
    await mount?.unmount();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('devices --json: one line per recorder with the public keys', async () => {
    const r = await runCli(['devices', '--mount-root', mountRoot, '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      sn: TEST_SERIAL,
      sn_type: 'note',
      model: 'PLAUD NOTE',
      firmware: 'V0095',
      mountPath: volume,
      recordings: 2,
      skipped: 1,
    });
  });

  it('devices (human) names the recorder; an empty root says nothing was found', async () => {
    const r = await runCli(['devices', '--mount-root', mountRoot], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Plaud Note \(note\), serial 888317426694681884, firmware V0095/);
    expect(r.stdout).toMatch(/2 recording\(s\), 1 odd file\(s\) skipped/);
    const empty = path.join(work, 'empty-root');
    await fs.mkdir(empty);
    const none = await runCli(['devices', '--mount-root', empty, '--json'], { env: env() });
    expect(none.code).toBe(0);
    expect(none.stdout.trim()).toBe('');
  });

  it('pull --json: events per line, verified copies, summary; a second pull copies nothing', async () => {
    const r = await runCli(['pull', '--mount-root', mountRoot, '--library', library, '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const events = jsonLines(r.stdout);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('device');
    expect(types).toContain('skipped');
    expect(types).toContain('pull-start');
    expect(types.filter((t) => t === 'recording-pulled')).toHaveLength(2);
    const summary = events.at(-1)!;
    expect(summary).toMatchObject({
      type: 'summary',
      sn: TEST_SERIAL,
      pulled: 2,
      alreadyPulled: 0,
      failed: 0,
      skipped: 1,
      ok: true,
      libraryDir: library,
    });
    for (const [rel, buf] of written)
      expect((await fs.readFile(path.join(library, '.originals', TEST_SERIAL, rel))).equals(buf), rel).toBe(true);
    await fs.access(path.join(library, `Plaud Note ${TEST_SERIAL.slice(-4)}`, `${localStem(1709280000)} Note.opus`));
    expect(unreadableNames(library)).toEqual([]);

    const again = await runCli(['pull', '--volume', volume, '--library', library], { env: env() });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/all 2 recording\(s\) are already in the library/);
    expect(again.stdout).toMatch(/0 recording\(s\) pulled .* 2 already there, 0 failed\. Safe to unplug\./);
  });

  it('pull without --library fills the library named in the settings (the one the app uses)', async () => {
    const state = path.join(work, 'state-with-library');
    const fromSettings = path.join(work, 'Library From Settings');
    await fs.mkdir(state, { recursive: true });
    await fs.writeFile(
      path.join(state, 'settings.json'),
      JSON.stringify({ libraryDir: fromSettings, libraryNames: '{model}/{year}/{date} {time} {kind}' }),
    );
    const r = await runCli(['pull', '--volume', volume, '--format', 'mp3', '--json'], {
      env: { PLAUD_SYNC_STATE: state },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ type: 'summary', libraryDir: fromSettings, pulled: 2 });
    // The file-name pattern of the settings is the one used.
    const year = String(new Date(1709370000 * 1000).getFullYear());
    await fs.access(path.join(fromSettings, 'Plaud Note', year, `${localStem(1709370000)} Call.mp3`));
    await fs.access(path.join(fromSettings, '.originals', TEST_SERIAL, 'CALLS', '20240302', '1709370000.WAV'));
  });

  it('pull into a library from before readable names moves it first and copies nothing again', async () => {
    const old = path.join(work, 'old-release');
    await fs.mkdir(old);
    execFileSync('tar', ['xzf', V1_FIXTURE, '-C', old]);
    const lib = path.join(old, 'plaud-v1-fixture', 'library');
    const r = await runCli(
      ['pull', '--volume', path.join(old, 'plaud-v1-fixture', 'recorder'), '--library', lib, '--json'],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    const events = jsonLines(r.stdout);
    expect(events[0]).toMatchObject({ type: 'library-moved', libraryDir: lib, recordersMoved: 1, renamed: 3 });
    expect(events.at(-1)).toMatchObject({ type: 'summary', pulled: 0, alreadyPulled: 3, bytesCopied: 0, ok: true });
    expect(unreadableNames(lib)).toEqual([]);
    expect(r.stdout + r.stderr).not.toMatch(/library-moved.*library-moved/s);
  });

  it('pull fails with the reason: not a recorder, nothing found, bad format', async () => {
    const notRec = await runCli(['pull', '--volume', path.join(mountRoot, 'USBSTICK'), '--library', library], {
      env: env(),
    });
    expect(notRec.code).toBe(1);
    expect(notRec.stderr).toMatch(/is not a Plaud recorder/);
    const empty = path.join(work, 'empty-root-2');
    await fs.mkdir(empty);
    const none = await runCli(['pull', '--mount-root', empty, '--library', library, '--json'], { env: env() });
    expect(none.code).toBe(1);
    expect(jsonLines(none.stdout)).toEqual([
      expect.objectContaining({ type: 'error', message: expect.stringMatching(/No Plaud recorder found/) }),
    ]);
    const bad = await runCli(['pull', '--volume', volume, '--format', 'wav'], { env: env() });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Allowed choices are opus, mp3/);
  });
});
