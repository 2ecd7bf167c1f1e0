// The scan's `known` shortcut: a recording whose files are exactly as the caller last saw them is described from
// what the caller knows, without opening its files; anything else about it (a size, a time, a file added or gone) and
// its headers are read as before. The property below changes a random recorder in random ways and checks both halves
// against a scan without the shortcut.
import fss from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { scanVolume, type KnownRecording } from '../../../main/sync/devices/scan.js';
import type { Recording } from '../../../main/sync/types.js';
import { makeDeviceRecording } from '../../support/fixtures/audio.js';
import { TEST_SERIAL } from '../../support/recorder.js';

const OLD = 1709280000 + 3600;
/** A duration no header of these fixtures gives: a recording showing it was described from `known`. */
const SENTINEL_MS = 987_654;

let audio: { wav: Buffer; asr: Buffer };
beforeAll(async () => {
  audio = await makeDeviceRecording(2, TEST_SERIAL);
});

async function put(root: string, rel: string, data: Buffer, mtimeSec = OLD): Promise<void> {
  const file = path.join(root, rel);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, data);
  await fs.utimes(file, mtimeSec, mtimeSec);
}

/** What the engine would pass: the facts of an earlier scan, by relBase. */
function knownFrom(recs: readonly Recording[], durationMs?: number): Map<string, KnownRecording[]> {
  const m = new Map<string, KnownRecording[]>();
  for (const r of recs) {
    const k: KnownRecording = { durationMs: durationMs ?? r.durationMs };
    if (r.wav) k.wav = { size: r.wav.size, mtimeMs: r.wav.mtimeMs };
    if (r.asr) k.asr = { size: r.asr.size, mtimeMs: r.asr.mtimeMs, format: r.asr.format };
    m.set(r.relBase, [k]);
  }
  return m;
}

/** Recording files opened by the scan while `fn` runs (the header reads are its only opens of them). */
async function opensDuring<T>(fn: () => Promise<T>): Promise<{ result: T; opened: string[] }> {
  const opened: string[] = [];
  const real = fss.openSync;
  const spy = vi.spyOn(fss, 'openSync').mockImplementation(((p: fss.PathLike, ...rest: unknown[]) => {
    if (/\.(wav|asr)$/i.test(String(p))) opened.push(String(p));
    return (real as (...a: unknown[]) => number)(p, ...rest);
  }) as typeof fss.openSync);
  try {
    return { result: await fn(), opened };
  } finally {
    spy.mockRestore();
  }
}

describe('scanVolume with known recordings', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-scan-known-'));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('opens no file of an unchanged known recording, and reads the headers of one that changed', async () => {
    await put(root, 'NOTES/20240301/1709280000.WAV', audio.wav);
    await put(root, 'NOTES/20240301/1709280000.ASR', audio.asr);
    await put(root, 'NOTES/20240301/1709290000.WAV', audio.wav);
    const first = await scanVolume(root, TEST_SERIAL);
    expect(first.knownUnchanged).toBe(0);
    const known = knownFrom(first.recordings, SENTINEL_MS);

    // The second recording grows by one second of audio; the first is untouched.
    await put(root, 'NOTES/20240301/1709290000.WAV', Buffer.concat([audio.wav, Buffer.alloc(64_000)]));
    const { result, opened } = await opensDuring(() =>
      scanVolume(root, TEST_SERIAL, { known: (b) => known.get(b) ?? [] }),
    );
    expect(result.knownUnchanged).toBe(1);
    expect(opened.map((p) => path.basename(p))).toEqual(['1709290000.WAV']);
    const [a, b] = result.recordings;
    expect(a).toMatchObject({ relBase: 'NOTES/20240301/1709280000', durationMs: SENTINEL_MS });
    expect(a!.asr?.format).toBe('raw-opus');
    expect(b).toMatchObject({ relBase: 'NOTES/20240301/1709290000', durationMs: 3000 });
  });

  it('a known recording whose header is now damaged is skipped as soon as its size or time differs', async () => {
    await put(root, 'CALLS/20240301/1709280000.WAV', audio.wav);
    const known = knownFrom((await scanVolume(root, TEST_SERIAL)).recordings);
    const damaged = Buffer.from(audio.wav);
    damaged.write('JUNK', 0, 'latin1');
    // Same bytes count and the same time: trusted as it was (the quick check after the pull is what looks inside).
    await put(root, 'CALLS/20240301/1709280000.WAV', damaged);
    const same = await scanVolume(root, TEST_SERIAL, { known: (b) => known.get(b) ?? [] });
    expect(same.recordings).toHaveLength(1);
    expect(same.skipped).toEqual([]);
    // One second later on the recorder's clock: read, and refused for its header.
    await put(root, 'CALLS/20240301/1709280000.WAV', damaged, OLD + 1);
    const later = await scanVolume(root, TEST_SERIAL, { known: (b) => known.get(b) ?? [] });
    expect(later.recordings).toEqual([]);
    expect(later.skipped).toHaveLength(1);
    expect(later.skipped[0]!.relPath).toBe('CALLS/20240301/1709280000.WAV');
  });

  it('a recording still being written is never described from what was known', async () => {
    await put(root, 'NOTES/20240301/1709280000.WAV', audio.wav);
    const known = knownFrom((await scanVolume(root, TEST_SERIAL)).recordings);
    const now = Date.now();
    await fs.utimes(path.join(root, 'NOTES/20240301/1709280000.WAV'), now / 1000, now / 1000);
    const busy = await scanVolume(root, TEST_SERIAL, {
      known: (b) => (known.get(b) ?? []).map((k) => ({ ...k, wav: { size: k.wav!.size, mtimeMs: now } })),
      now: () => now + 1000,
    });
    expect(busy.recordings).toEqual([]);
    expect(busy.unsettled).toHaveLength(1);
    expect(busy.knownUnchanged).toBe(0);
  });

  // Each recording of a random recorder is left alone or changed in one way; the scan with `known` must describe the
  // untouched ones from `known` (the sentinel duration) and every other one exactly as a scan without it does.
  const change = fc.constantFrom('keep', 'grow-wav', 'grow-asr', 'touch', 'add-partner', 'drop-file', 'forget');
  it('matches a scan without `known` on every recording whose files changed in any way', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ files: fc.constantFrom('both', 'wav', 'asr'), change, second: fc.boolean() }), {
          minLength: 1,
          maxLength: 6,
        }),
        async (plan) => {
          await fs.rm(root, { recursive: true, force: true });
          await fs.mkdir(root);
          const rel = (i: number, ext: string) => `NOTES/20240301/${1709280000 + i * 600}.${ext}`;
          for (const [i, p] of plan.entries()) {
            if (p.files !== 'asr') await put(root, rel(i, 'WAV'), audio.wav);
            if (p.files !== 'wav') await put(root, rel(i, 'ASR'), audio.asr);
          }
          const first = await scanVolume(root, TEST_SERIAL);
          const known = knownFrom(first.recordings, SENTINEL_MS);
          // A second take under the same name, with other files: never matches, must not get in the way.
          for (const [i, p] of plan.entries())
            if (p.second) known.get(rel(i, '').slice(0, -1))?.unshift({ durationMs: 1, wav: { size: 1, mtimeMs: 1 } });

          let kept = 0;
          for (const [i, p] of plan.entries()) {
            const has = { wav: p.files !== 'asr', asr: p.files !== 'wav' };
            switch (p.change) {
              case 'keep':
                kept++;
                break;
              case 'grow-wav':
                if (has.wav) await put(root, rel(i, 'WAV'), Buffer.concat([audio.wav, Buffer.alloc(64_000)]));
                else kept++;
                break;
              case 'grow-asr':
                if (has.asr) await put(root, rel(i, 'ASR'), Buffer.concat([audio.asr, audio.asr.subarray(0, 80)]));
                else kept++;
                break;
              case 'touch':
                await fs.utimes(path.join(root, rel(i, has.wav ? 'WAV' : 'ASR')), OLD + 7, OLD + 7);
                break;
              case 'add-partner':
                if (!has.wav) await put(root, rel(i, 'WAV'), audio.wav);
                else if (!has.asr) await put(root, rel(i, 'ASR'), audio.asr);
                else kept++;
                break;
              case 'drop-file':
                if (has.wav && has.asr) await fs.rm(path.join(root, rel(i, 'ASR')));
                else kept++;
                break;
              case 'forget':
                known.delete(rel(i, '').slice(0, -1));
                break;
            }
          }
          const plain = await scanVolume(root, TEST_SERIAL);
          const withKnown = await scanVolume(root, TEST_SERIAL, { known: (b) => known.get(b) ?? [] });
          expect(withKnown.knownUnchanged).toBe(kept);
          expect(withKnown.skipped).toEqual(plain.skipped);
          expect(withKnown.recordings).toHaveLength(plain.recordings.length);
          for (const [i, r] of withKnown.recordings.entries()) {
            const p = plain.recordings[i]!;
            if (r.durationMs === SENTINEL_MS)
              expect(r).toEqual({ ...p, durationMs: SENTINEL_MS, endMs: r.startMs + SENTINEL_MS });
            else expect(r).toEqual(p);
          }
          expect(withKnown.recordings.filter((r) => r.durationMs === SENTINEL_MS)).toHaveLength(kept);
        },
      ),
      { numRuns: 40 },
    );
  });
});
