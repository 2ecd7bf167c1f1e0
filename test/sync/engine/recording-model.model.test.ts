// A model-based test of the recording model: fast-check drives a recorder over time (recordings that start, grow and
// finish; files that appear one at a time; plug and unplug; a clock reset that reuses a name with a different
// recording of the same size; a cloud that fails; the app quitting at any moment) against the real engine, library,
// ledger and the emulator on s3rver. Once things are quiet, it checks what users are promised:
//   - every recording is in the cloud exactly once and whole (its Ogg audio packets are the ASR's bytes; a recording
//     uploaded from its WAV has the WAV's length);
//   - every recording is in the library byte for byte;
//   - nothing under a final name in the library is partial.
// `npm test` runs a fixed seed; `npm run soak` runs many more (SOAK_RUNS). A failure prints its seed and path:
// replay it with PLAUD_MODEL_SEED=<seed> PLAUD_MODEL_PATH=<path>.
// (SIGKILL at random moments is covered by crash.test.ts; "Restart" here is a quit while work is in flight.)
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncEngine } from '../../../main/sync/engine/engine.js';
import { MemorySecretStore } from '../../../main/sync/secrets-memory.js';
import { defaultSettings, type Settings } from '../../../main/sync/settings.js';
import { startEmulator, type Emulator } from '../../support/emulator/index.js';
import {
  DEVICE_WAV_DATA_OFFSET,
  deviceWavHeader,
  makeDeviceAsr,
  makeDeviceWav,
  oggOpusPackets,
} from '../../support/fixtures/audio.js';
import { dateFolder, writeModelTxt } from '../../support/recorder.js';
import { TestWatcher } from '../../support/test-watcher.js';

const SOURCE_SECONDS = 24;
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One recording as the recorder holds it: its bytes are slices of a long speech source, so takes differ. */
interface Take {
  relBase: string;
  kind: 'note' | 'call';
  startSec: number;
  seconds: number;
  /** Where in the source its audio starts (seconds): two takes of one name differ here. */
  offset: number;
  files: { wav: boolean; asr: boolean };
  /** Files the recorder holds now (a partner file may come later). */
  present: { wav: boolean; asr: boolean };
  finished: boolean;
  gone: boolean;
}

interface Model {
  takes: Take[];
  plugged: boolean;
  next: number;
}

class Real {
  engine!: SyncEngine;
  watcher!: TestWatcher;
  readonly secrets: MemorySecretStore;
  private writer: NodeJS.Timeout | undefined;
  constructor(
    readonly emu: Emulator,
    readonly dir: string,
    readonly serial: string,
    readonly source: { wav: Buffer; asr: Buffer },
  ) {
    this.secrets = new MemorySecretStore({ apiToken: emu.token });
  }
  /** A recording being written keeps changing, as on a real recorder: its files are touched every second. */
  keepWriting(m: Model): void {
    this.writer = setInterval(() => {
      for (const t of m.takes) {
        if (t.finished || t.gone) continue;
        for (const role of ['wav', 'asr'] as const) if (t.present[role]) void this.stamp(t, role).catch(() => {});
      }
    }, 1000);
  }
  stopWriting(): void {
    clearInterval(this.writer);
  }
  get volume() {
    return path.join(this.dir, 'volume');
  }
  get settings(): Settings {
    return {
      ...defaultSettings(path.join(this.dir, 'library')),
      apiBase: this.emu.baseUrl,
      credentials: { kind: 'token' },
    };
  }
  async start(): Promise<void> {
    this.watcher = new TestWatcher();
    this.engine = new SyncEngine({
      stateDir: path.join(this.dir, 'state'),
      settings: this.settings,
      secrets: this.secrets,
      watcher: this.watcher,
      stateIntervalMs: 50,
      retry: { baseMs: 50, maxMs: 300, maxAttempts: 50 },
    });
    await this.engine.start();
  }
  bytes(t: Take): { wav: Buffer; asr: Buffer } {
    const wavData = this.source.wav.subarray(
      DEVICE_WAV_DATA_OFFSET + t.offset * 64_000,
      DEVICE_WAV_DATA_OFFSET + (t.offset + t.seconds) * 64_000,
    );
    return {
      wav: Buffer.concat([deviceWavHeader(wavData.length, this.serial), wavData]),
      asr: this.source.asr.subarray(t.offset * 4000, (t.offset + t.seconds) * 4000),
    };
  }
  async write(t: Take, role: 'wav' | 'asr'): Promise<void> {
    const f = path.join(this.volume, `${t.relBase}.${role.toUpperCase()}`);
    await fs.mkdir(path.dirname(f), { recursive: true });
    await fs.writeFile(f, this.bytes(t)[role]);
    await this.stamp(t, role);
  }
  async stamp(t: Take, role: 'wav' | 'asr'): Promise<void> {
    const f = path.join(this.volume, `${t.relBase}.${role.toUpperCase()}`);
    // Being written: changed just now. Finished: the time the recording ended, as the recorder sets it.
    const sec = t.finished ? t.startSec + t.seconds : Date.now() / 1000;
    await fs.utimes(f, sec, sec);
  }
}

type Cmd = fc.AsyncCommand<Model, Real>;

class NewRecording implements Cmd {
  constructor(
    readonly kind: 'note' | 'call',
    readonly seconds: number,
    readonly files: 'both' | 'wav' | 'asr-later' | 'wav-later',
    readonly finished: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const startSec = 1_735_000_000 + m.next * 900;
    const t: Take = {
      relBase: `${this.kind === 'call' ? 'CALLS' : 'NOTES'}/${dateFolder(startSec)}/${startSec}`,
      kind: this.kind,
      startSec,
      seconds: this.seconds,
      offset: (m.next * 3) % (SOURCE_SECONDS - 4),
      files: { wav: true, asr: this.files !== 'wav' },
      present: { wav: this.files !== 'wav-later', asr: this.files === 'both' || this.files === 'wav-later' },
      finished: this.finished,
      gone: false,
    };
    m.next++;
    m.takes.push(t);
    for (const role of ['wav', 'asr'] as const) if (t.present[role]) await r.write(t, role);
  }
  toString = () =>
    `NewRecording(${this.kind}, ${this.seconds} s, ${this.files}, ${this.finished ? 'finished' : 'being written'})`;
}

class Grow implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Model) => m.takes.some((t) => !t.finished && !t.gone);
  async run(m: Model, r: Real) {
    const open = m.takes.filter((t) => !t.finished && !t.gone);
    const t = open[this.pick % open.length]!;
    if (t.offset + t.seconds + 1 > SOURCE_SECONDS) return;
    t.seconds++;
    for (const role of ['wav', 'asr'] as const) if (t.present[role]) await r.write(t, role);
  }
  toString = () => `Grow(${this.pick})`;
}

class Finish implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Model) => m.takes.some((t) => !t.finished && !t.gone);
  async run(m: Model, r: Real) {
    const open = m.takes.filter((t) => !t.finished && !t.gone);
    const t = open[this.pick % open.length]!;
    t.finished = true;
    for (const role of ['wav', 'asr'] as const) if (t.present[role]) await r.stamp(t, role);
  }
  toString = () => `Finish(${this.pick})`;
}

class PartnerAppears implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Model) =>
    m.takes.some((t) => t.finished && !t.gone && ((t.files.wav && !t.present.wav) || (t.files.asr && !t.present.asr)));
  async run(m: Model, r: Real) {
    const cands = m.takes.filter(
      (t) => t.finished && !t.gone && ((t.files.wav && !t.present.wav) || (t.files.asr && !t.present.asr)),
    );
    const t = cands[this.pick % cands.length]!;
    const role = t.files.wav && !t.present.wav ? 'wav' : 'asr';
    t.present[role] = true;
    await r.write(t, role);
  }
  toString = () => `PartnerAppears(${this.pick})`;
}

class Plug implements Cmd {
  constructor(readonly settleMs: number) {}
  check = (m: Model) => !m.plugged;
  async run(m: Model, r: Real) {
    m.plugged = true;
    await r.watcher.plug(r.volume);
    await sleep(this.settleMs);
  }
  toString = () => `Plug(+${this.settleMs} ms)`;
}

class Unplug implements Cmd {
  check = (m: Model) => m.plugged;
  async run(m: Model, r: Real) {
    m.plugged = false;
    r.watcher.unplug(r.volume);
  }
  toString = () => 'Unplug';
}

/**
 * The recorder's clock is reset: a finished recording is deleted and a different one of the same length takes its name.
 */
class ClockReset implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Model) =>
    m.takes.some((t) => t.finished && !t.gone && t.present.wav === t.files.wav && t.present.asr === t.files.asr);
  async run(m: Model, r: Real) {
    const cands = m.takes.filter(
      (t) => t.finished && !t.gone && t.present.wav === t.files.wav && t.present.asr === t.files.asr,
    );
    const old = cands[this.pick % cands.length]!;
    // The old recording reaches the library first (the recorder is plugged in before the reset), then it is unplugged.
    if (m.plugged) r.watcher.unplug(r.volume);
    await r.watcher.plug(r.volume);
    await sleep(50);
    await r.engine.whenIdle();
    r.watcher.unplug(r.volume);
    m.plugged = false;
    old.gone = true;
    // A different recording: audio from a part of the source no earlier take of this name used (the same bytes would
    // be the same recording, rightly taken for the known take).
    const used = new Set(m.takes.filter((x) => x.relBase === old.relBase).map((x) => x.offset));
    let offset = (old.offset + 7) % (SOURCE_SECONDS - old.seconds);
    while (used.has(offset)) offset = (offset + 1) % (SOURCE_SECONDS - old.seconds);
    const t: Take = {
      ...old,
      offset,
      present: { ...old.files },
      files: { ...old.files },
      gone: false,
    };
    m.takes.push(t);
    for (const role of ['wav', 'asr'] as const) {
      const f = path.join(r.volume, `${t.relBase}.${role.toUpperCase()}`);
      await fs.rm(f, { force: true });
      if (t.present[role]) await r.write(t, role);
    }
  }
  toString = () => `ClockReset(${this.pick})`;
}

class CloudFails implements Cmd {
  constructor(
    readonly kind: 'part' | 'complete-before' | 'complete-after',
    readonly times: number,
  ) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    if (this.kind === 'part') r.emu.faults.failPart(1, { times: this.times, status: 500 });
    else if (this.kind === 'complete-before') r.emu.faults.failCompleteBefore({ times: this.times });
    else r.emu.faults.failCompleteAfter({ times: this.times, mode: 500 });
  }
  toString = () => `CloudFails(${this.kind} x${this.times})`;
}

/** The app quits while work is in flight and starts again (state and library stay). */
class Restart implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    await r.engine.stop();
    await r.start();
    if (m.plugged) await r.watcher.plug(r.volume);
  }
  toString = () => 'Restart';
}

const newRecording = fc
  .tuple(
    fc.constantFrom('note' as const, 'call' as const),
    fc.integer({ min: 1, max: 3 }),
    fc.constantFrom('both' as const, 'wav' as const, 'asr-later' as const, 'wav-later' as const),
    fc.boolean(),
  )
  .map(([k, s, f, done]) => new NewRecording(k, s, f, done));
// New recordings, finishing and plugging in are what a recorder does most: listed more than once, picked more often.
const commands = [
  newRecording,
  newRecording,
  newRecording,
  fc.nat(9).map((p) => new Finish(p)),
  fc.integer({ min: 0, max: 400 }).map((ms) => new Plug(ms)),
  fc.nat(9).map((p) => new Grow(p)),
  fc.nat(9).map((p) => new Finish(p)),
  fc.nat(9).map((p) => new PartnerAppears(p)),
  fc.integer({ min: 0, max: 400 }).map((ms) => new Plug(ms)),
  fc.constant(new Unplug()),
  fc.nat(9).map((p) => new ClockReset(p)),
  fc
    .tuple(
      fc.constantFrom('part' as const, 'complete-before' as const, 'complete-after' as const),
      fc.integer({ min: 1, max: 3 }),
    )
    .map(([k, n]) => new CloudFails(k, n)),
  fc.constant(new Restart()),
];

/** Let everything finish, then check the promises. */
async function quietAndCheck(m: Model, r: Real): Promise<void> {
  for (const t of m.takes.filter((x) => !x.finished && !x.gone)) {
    t.finished = true;
    for (const role of ['wav', 'asr'] as const) if (t.present[role]) await r.stamp(t, role);
  }
  r.stopWriting();
  r.emu.faults.clear();
  if (!m.plugged) await r.watcher.plug(r.volume);
  m.plugged = true;
  // Every take the recorder ever held, including one whose name a clock reset reused, must reach the cloud.
  const live = m.takes;
  const deadline = Date.now() + 60_000;
  for (;;) {
    await r.engine.retry();
    await r.engine.syncNow();
    await r.engine.whenIdle();
    const synced = r.engine.records().filter((x) => x.state === 'synced').length;
    if (synced >= live.length || Date.now() > deadline) break;
    await sleep(200);
  }
  const records = r.engine.records();
  const cloud = r.emu.files().filter((f) => f.body.sn === r.serial);
  const problems = JSON.stringify(r.engine.getState().problems.map((p) => [p.message, p.detail]));
  const state = `records: ${JSON.stringify(records.map((x) => [x.id, x.state, x.failure?.reason]))}; problems ${problems}`;
  // Exactly one cloud file per take, whole: made from its ASR (the same bytes), or from its WAV (its length).
  expect(cloud.length, `cloud files for ${live.length} recordings; ${state}`).toBe(live.length);
  const objects = await Promise.all(
    cloud.map(async (f) => ({ f, packets: Buffer.concat(oggOpusPackets(await r.emu.getObject(f.fileId))) })),
  );
  const claimed = new Set<string>();
  for (const t of live) {
    const b = r.bytes(t);
    const fromAsr = objects.filter((o) => t.files.asr && o.packets.equals(b.asr));
    expect(
      fromAsr.length,
      `cloud copies of ${t.relBase} (offset ${t.offset}) made from its ASR; ${state}`,
    ).toBeLessThanOrEqual(1);
    if (fromAsr.length === 1) {
      claimed.add(fromAsr[0]!.f.fileId);
      continue;
    }
    // Uploaded from its WAV (no ASR then): a file of its start and length that no ASR of another take explains.
    const fromWav = objects.find(
      (o) =>
        !claimed.has(o.f.fileId) &&
        o.f.body.start_time === t.startSec * 1000 &&
        Math.abs((o.f.body.duration as number) - t.seconds * 1000) < 100 &&
        !live.some((x) => x.files.asr && o.packets.equals(r.bytes(x).asr)),
    );
    expect(fromWav, `a cloud copy of ${t.relBase} (offset ${t.offset}); ${state}`).toBeDefined();
    claimed.add(fromWav!.f.fileId);
  }
  for (const t of live) {
    // The library holds the take's files byte for byte.
    const b = r.bytes(t);
    const rec = records.find(
      (x) =>
        x.relBase === t.relBase &&
        x.take >= 1 &&
        sameContent(x, b) &&
        (x.pulled?.files.length ?? 0) === (t.present.wav ? 1 : 0) + (t.present.asr ? 1 : 0),
    );
    expect(rec, `library copy of ${t.relBase} (offset ${t.offset}); ${state}`).toBeDefined();
    for (const f of rec!.pulled!.files) expect(md5(await fs.readFile(f.libraryPath))).toBe(f.md5);
  }
  // Nothing under a final name is partial: every recorder file in the library is one of the takes' files, whole.
  const wanted = new Set(live.flatMap((t) => [md5(r.bytes(t).wav), md5(r.bytes(t).asr)]));
  const libraryFiles = (await fs.readdir(path.join(r.dir, 'library'), { recursive: true }).catch(() => [])) as string[];
  for (const f of libraryFiles) {
    expect(f.endsWith('.part'), `temp file left: ${f}`).toBe(false);
    if (/\.(WAV|ASR)$/.test(f))
      expect(wanted.has(md5(await fs.readFile(path.join(r.dir, 'library', f)))), `partial or foreign ${f}`).toBe(true);
  }
}

function sameContent(rec: ReturnType<SyncEngine['records']>[number], b: { wav: Buffer; asr: Buffer }): boolean {
  return (rec.pulled?.files ?? []).every((f) => f.md5 === md5(f.relPath.endsWith('.WAV') ? b.wav : b.asr));
}

describe('the recording model under any timing (model-based)', () => {
  let emu: Emulator;
  let tmp: string;
  let source: { wav: Buffer; asr: Buffer };
  let run = 0;

  beforeAll(async () => {
    emu = await startEmulator();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-model-based-'));
    source = { wav: await makeDeviceWav(SOURCE_SECONDS), asr: await makeDeviceAsr(SOURCE_SECONDS) };
  }, 120_000);
  afterAll(async () => {
    await emu?.stop();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const numRuns = Number(process.env.SOAK_RUNS ?? 6);
  it(`every recording once and whole in the cloud, byte for byte in the library (${numRuns} runs)`, async () => {
    const seed = process.env.PLAUD_MODEL_SEED
      ? Number(process.env.PLAUD_MODEL_SEED)
      : process.env.SOAK_RUNS
        ? Date.now() % 2 ** 31
        : 20261201;
    await fc.assert(
      fc.asyncProperty(
        fc.commands(commands, { maxCommands: Number(process.env.SOAK_COMMANDS ?? 20) }),
        async (cmds) => {
          run++;
          const serial = `88812345${String(run).padStart(10, '0')}`;
          const dir = path.join(tmp, `run-${run}`);
          const real = new Real(emu, dir, serial, source);
          await fs.mkdir(real.volume, { recursive: true });
          await writeModelTxt(real.volume, { serial });
          await real.start();
          const model: Model = { takes: [], plugged: false, next: 0 };
          real.keepWriting(model);
          try {
            await fc.asyncModelRun(() => ({ model, real }), cmds);
            await quietAndCheck(model, real);
            if (process.env.MODEL_DEBUG)
              console.log(`run ${run}: ${[...cmds].map(String).join(', ')} -> ${model.takes.length} takes`);
          } finally {
            real.stopWriting();
            await real.engine.stop().catch(() => {});
            emu.faults.clear();
          }
        },
      ),
      {
        seed,
        numRuns,
        ...(process.env.PLAUD_MODEL_PATH ? { path: process.env.PLAUD_MODEL_PATH } : {}),
        endOnFailure: true,
      },
    );
  }, 600_000);
});
