// Crash safety of the whole pipeline: the `sync` CLI is SIGKILLed at random moments while it pulls
// from a real FAT recorder and uploads to the emulator, then run again until it finishes. Every
// recording must end up in the cloud exactly once, byte-exact, and the library must hold no partial
// file under a final name.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../support/emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../../support/fuse.js';
import { buildCli, collect, jsonLines, runCli, spawnCli } from '../../support/cli.js';
import { dateFolder, layOutRecorder, writeModelTxt } from '../../support/recorder.js';
import { makeDeviceAsr } from '../../support/fixtures/audio.js';

const noFuse = fuseUnavailableReason();
if (noFuse) console.warn(`crash tests skipped: ${noFuse}`);

const TRIALS = Number(process.env.CRASH_TRIALS ?? 20);
const SERIAL = '888555000000000123';
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

/** A small seeded PRNG so a failing trial can be replayed (the seed is printed). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

describe.skipIf(!!noFuse)(`sync CLI killed with SIGKILL at random moments (${TRIALS} trials)`, () => {
  let emu: Emulator;
  let mount: FatMount;
  let tmp: string;
  let starts: number[] = [];

  beforeAll(async () => {
    await buildCli();
    emu = await startEmulator();
    // Slow part answers a little so a kill lands inside uploads as often as inside pulls.
    emu.faults.slow({ target: 'parts', delayMs: 150 });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-crash-'));
    const img = path.join(tmp, 'rec.img');
    await makeFatImage(img, 96);
    mount = await mountFat(img, path.join(tmp, 'media', 'PLAUD_NOTE'));
    const t0 = 1_722_000_000;
    const small = [0, 1, 2, 3].map((i) => ({
      startSec: t0 + i * 900,
      seconds: 2,
      kind: i % 2 ? ('call' as const) : ('note' as const),
      wavRepeat: 8,
    }));
    await layOutRecorder(mount.dir, { serial: SERIAL, recordings: small });
    // Two long recordings: their Opus upload files need 2 and 3 parts of 5 MiB.
    const asr = await makeDeviceAsr(2);
    for (const [i, mib] of [
      [0, 6],
      [1, 11],
    ] as const) {
      const start = t0 + 10_000 + i * 5000;
      const dir = path.join(mount.dir, 'NOTES', dateFolder(start));
      await fs.mkdir(dir, { recursive: true });
      const big = Buffer.concat(Array.from({ length: Math.ceil((mib * 1024 * 1024) / asr.length) }, () => asr));
      const file = path.join(dir, `${start}.ASR`);
      await fs.writeFile(file, big);
      await fs.utimes(file, start + 4000, start + 4000);
    }
    await writeModelTxt(mount.dir, { serial: SERIAL });
    starts = [...small.map((s) => s.startSec), t0 + 10_000, t0 + 15_000].map((s) => s * 1000);
  }, 120_000);

  afterAll(async () => {
    await mount?.unmount();
    await emu?.stop();
  });

  it('every recording is synced exactly once, with no partial file in the library', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
    console.log(`crash test seed ${seed} (replay with CRASH_SEED=${seed})`);
    const random = rng(seed);
    const args = (state: string) => [
      'sync',
      '--mount-root',
      path.dirname(mount.dir),
      '--state-dir',
      state,
      '--library',
      path.join(state, 'lib'),
      '--api-base',
      emu.baseUrl,
      '--token',
      emu.token,
      '--json',
    ];

    // Calibration: how long one uninterrupted pass takes here.
    const calState = path.join(tmp, 'calibrate');
    const t = Date.now();
    const calChild = spawnCli(args(calState), { compiled: true });
    let attachMs = 0;
    calChild.stdout!.on('data', (d: Buffer) => {
      if (!attachMs && d.toString().includes('"device-attached"')) attachMs = Date.now() - t;
    });
    const cal = await collect(calChild);
    const passMs = Date.now() - t;
    expect(cal.code, cal.stderr + cal.stdout).toBe(0);
    console.log(`one uninterrupted pass: ${passMs} ms (recorder attached after ${attachMs} ms)`);

    const phases = { pull: 0, upload: 0, other: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const state = path.join(tmp, `trial-${trial}`);
      const before = emu.files().length;
      // One or two kills per trial, then a run that must finish.
      const kills = 1 + Math.floor(random() * 2);
      for (let k = 0; k < kills; k++) {
        const child = spawnCli(args(state), { compiled: true });
        const done = collect(child);
        // Aim inside the work: once the recorder is attached, kill within the rest of a pass.
        let timer: NodeJS.Timeout | undefined;
        const arm = (chunk: Buffer) => {
          if (timer || !chunk.toString().includes('"device-attached"')) return;
          timer = setTimeout(() => child.kill('SIGKILL'), random() * Math.max(500, passMs - attachMs));
        };
        child.stdout!.on('data', arm);
        const guard = setTimeout(() => child.kill('SIGKILL'), passMs * 3);
        const res = await done;
        clearTimeout(timer);
        clearTimeout(guard);
        const ev = jsonLines(res.stdout);
        const phase = ev.some((e) => e.type === 'pull-finished')
          ? 'upload'
          : ev.some((e) => e.type === 'device-attached')
            ? 'pull'
            : 'other';
        phases[phase]++;
      }
      const final = await runCli(args(state), { compiled: true });
      expect(final.code, `trial ${trial} (seed ${seed}): ${final.stderr}\n${final.stdout}`).toBe(0);

      // Exactly once in the cloud, byte-exact.
      const mine = emu
        .files()
        .slice(before)
        .filter((f) => f.body.sn === SERIAL);
      const byStart = new Map<number, number>();
      for (const f of mine)
        byStart.set(f.body.start_time as number, (byStart.get(f.body.start_time as number) ?? 0) + 1);
      expect([...byStart.keys()].sort(), `trial ${trial}: recordings in the cloud`).toEqual([...starts].sort());
      expect(
        [...byStart.values()].every((n) => n === 1),
        `trial ${trial}: a recording was uploaded twice`,
      ).toBe(true);

      const status = await runCli(['status', '--json', '--state-dir', state], { compiled: true });
      const report = JSON.parse(status.stdout) as {
        recordings: { state: string; cloudFileId: string; libraryPath: string }[];
      };
      expect(report.recordings.map((r) => r.state)).toEqual(starts.map(() => 'synced'));
      for (const r of report.recordings) {
        const stored = mine.find((f) => f.id === r.cloudFileId || f.fileId === r.cloudFileId)!;
        expect(stored, `trial ${trial}: cloud file ${r.cloudFileId}`).toBeDefined();
        expect(md5(await emu.getObject(stored.fileId))).toBe(md5(await fs.readFile(r.libraryPath)));
      }
      // No temp file left, and nothing half-written under a final name: every final file matches its manifest.
      const files = await walk(path.join(state, 'lib'));
      expect(
        files.filter((f) => f.endsWith('.part')),
        `trial ${trial}: temp files left`,
      ).toEqual([]);
      for (const m of files.filter((f) => f.endsWith('.manifest.json'))) {
        const man = JSON.parse(await fs.readFile(m, 'utf8')) as Record<
          string,
          { name?: string; md5?: string; size?: number }
        >;
        for (const role of ['wav', 'asr'] as const) {
          const entry = man[role];
          if (!entry?.name) continue;
          const buf = await fs.readFile(path.join(path.dirname(m), entry.name));
          expect(md5(buf), `${entry.name} in trial ${trial}`).toBe(entry.md5);
        }
      }
    }
    console.log(`kills landed: ${JSON.stringify(phases)}`);
    expect(phases.pull + phases.upload).toBeGreaterThan(TRIALS / 2);
  }, 1_200_000);
});
