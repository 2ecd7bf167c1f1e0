import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanVolume, isDateFolderName, unsafeNameReason } from '../../../main/sync/devices/scan.js';
import { deviceWavHeader, makeDeviceRecording } from '../../support/fixtures/audio.js';
import { TEST_SERIAL } from '../../support/recorder.js';

const OLD = 1709280000 + 3600; // mtimes well in the past

async function put(root: string, rel: string, data: Buffer | string, mtimeSec = OLD): Promise<void> {
  const file = path.join(root, rel);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, data);
  await fs.utimes(file, mtimeSec, mtimeSec);
}

describe('scanVolume', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-scan-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('pairs WAV and ASR, derives kind, times and duration from the audio present', async () => {
    const { wav, asr } = await makeDeviceRecording(3, TEST_SERIAL);
    await put(root, 'NOTES/20240301/1709280000.WAV', wav);
    await put(root, 'NOTES/20240301/1709280000.ASR', asr);
    // A call with only a truncated WAV (header claims more than is present): real length wins.
    const cut = Buffer.concat([deviceWavHeader(64000 * 10, TEST_SERIAL), Buffer.alloc(64000 * 2 + 3)]);
    await put(root, 'CALLS/20240302/1709370000.wav', cut);
    // Only an ASR, lower-case extension.
    await put(root, 'NOTES/20240302/1709371000.asr', asr);
    await put(root, 'PLAUD_NO.TE', Buffer.alloc(0));
    await put(root, 'MODEL.txt', 'PLAUD NOTE V0095\n');

    const { recordings, skipped } = await scanVolume(root, TEST_SERIAL);
    expect(skipped).toEqual([]);
    expect(recordings).toHaveLength(3);
    const [a, b, c] = recordings;
    expect(a).toMatchObject({
      key: `${TEST_SERIAL}/NOTES/20240301/1709280000`,
      sn: TEST_SERIAL,
      kind: 'note',
      relBase: 'NOTES/20240301/1709280000',
      startMs: 1709280000000,
      durationMs: 3000,
      endMs: 1709280003000,
      wav: { relPath: 'NOTES/20240301/1709280000.WAV', size: wav.length },
      asr: { relPath: 'NOTES/20240301/1709280000.ASR', size: asr.length, format: 'raw-opus' },
    });
    expect(b).toMatchObject({ kind: 'call', durationMs: 2000, relBase: 'CALLS/20240302/1709370000' });
    expect(b!.asr).toBeUndefined();
    expect(c).toMatchObject({ kind: 'note', durationMs: 3000 });
    expect(c!.wav).toBeUndefined();
  });

  it('skips every odd entry with a readable reason and keeps the good ones', async () => {
    const { wav, asr } = await makeDeviceRecording(1, TEST_SERIAL);
    await put(root, 'NOTES/20240301/1709280000.WAV', wav);
    await put(root, 'NOTES/20240301/1709280000.ASR', asr);
    await put(root, 'NOTES/20240301/hello.WAV', wav);
    await put(root, 'NOTES/20240301/12.WAV', wav);
    await put(root, 'NOTES/20240301/1709280100.WAV', Buffer.alloc(0));
    await put(root, 'NOTES/20240301/1709280200.WAV', Buffer.from('RIFX garbage that is not a wav header at all'));
    await put(root, 'NOTES/20240301/1709280300.ASR', asr.subarray(0, asr.length - 7));
    await put(root, 'NOTES/20240301/..1709280400.WAV', wav);
    await put(root, 'NOTES/20240301/a\\b.WAV', wav);
    await put(root, 'NOTES/20240301/notes.txt', 'x');
    await put(root, 'NOTES/20241345/1709280000.WAV', wav);
    await put(root, 'NOTES/misc/1709280000.WAV', wav);
    // Symlinks must never be followed: one to a file outside, one folder link.
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-outside-'));
    await put(outside, 'secret.WAV', wav);
    await fs.symlink(path.join(outside, 'secret.WAV'), path.join(root, 'NOTES/20240301/1709280500.WAV'));
    await fs.symlink(outside, path.join(root, 'NOTES/20240303'));
    // A recording still being written: modified just now.
    await put(root, 'NOTES/20240301/1709280600.ASR', asr, Date.now() / 1000);

    const { recordings, skipped, unsettled } = await scanVolume(root, TEST_SERIAL);
    await fs.rm(outside, { recursive: true, force: true });
    expect(recordings.map((r) => r.relBase)).toEqual(['NOTES/20240301/1709280000']);
    const reasons = Object.fromEntries(skipped.map((s) => [s.relPath, s.reason]));
    expect(reasons['NOTES/20240301/hello.WAV']).toMatch(/not a start time in seconds/);
    expect(reasons['NOTES/20240301/12.WAV']).toMatch(/not a believable start time/);
    expect(reasons['NOTES/20240301/1709280100.WAV']).toMatch(/empty \(0 bytes\)/);
    expect(reasons['NOTES/20240301/1709280200.WAV']).toMatch(/header is damaged/);
    expect(reasons['NOTES/20240301/1709280300.ASR']).toMatch(/not a whole number of 80-byte Opus packets/);
    expect(reasons['NOTES/20240301/..1709280400.WAV']).toMatch(/'\.\.'/);
    expect(reasons['NOTES/20240301/a\\b.WAV']).toMatch(/path separator/);
    expect(reasons['NOTES/20240301/notes.txt']).toMatch(/not a recording file/);
    expect(reasons['NOTES/20241345']).toMatch(/not a date folder/);
    expect(reasons['NOTES/misc']).toMatch(/not a date folder/);
    expect(reasons['NOTES/20240301/1709280500.WAV']).toMatch(/symbolic link/);
    expect(reasons['NOTES/20240303']).toMatch(/symbolic link/);
    // Not skipped: the whole recording waits until it settles, and is looked at again.
    expect(unsettled).toEqual([
      { relPath: 'NOTES/20240301/1709280600', reason: expect.stringMatching(/still being written/) },
    ]);
    expect(skipped).toHaveLength(12);
  });

  it('catches a file that grows between two looks', async () => {
    const { asr } = await makeDeviceRecording(1, TEST_SERIAL);
    const rel = 'NOTES/20240301/1709280000.ASR';
    // Modified 30 s ago (outside the busy window) but it keeps growing.
    await put(root, rel, asr, Date.now() / 1000 - 30);
    const file = path.join(root, rel);
    const grow = setTimeout(() => void fs.appendFile(file, asr.subarray(0, 80)), 100);
    const { recordings, skipped, unsettled } = await scanVolume(root, TEST_SERIAL, { restatDelayMs: 400 });
    clearTimeout(grow);
    expect(recordings).toEqual([]);
    expect(skipped).toEqual([]);
    expect(unsettled[0]?.reason).toMatch(/still growing/);
  });

  it('a recording waits whole: a settled WAV is not offered while its ASR is still being written', async () => {
    const { wav, asr } = await makeDeviceRecording(1, TEST_SERIAL);
    await put(root, 'NOTES/20240301/1709280000.WAV', wav);
    await put(root, 'NOTES/20240301/1709280000.ASR', asr, Date.now() / 1000);
    const first = await scanVolume(root, TEST_SERIAL);
    expect(first.recordings).toEqual([]);
    expect(first.unsettled.map((u) => u.relPath)).toEqual(['NOTES/20240301/1709280000']);
    // Settled: both files at once.
    await fs.utimes(path.join(root, 'NOTES/20240301/1709280000.ASR'), 1709280001, 1709280001);
    const second = await scanVolume(root, TEST_SERIAL);
    expect(second.recordings).toHaveLength(1);
    expect(second.recordings[0]).toMatchObject({ wav: { size: wav.length }, asr: { size: asr.length } });
  });

  it('a volume without NOTES or CALLS has nothing to list', async () => {
    expect(await scanVolume(root, TEST_SERIAL)).toEqual({
      recordings: [],
      skipped: [],
      unsettled: [],
      notes: [],
      knownUnchanged: 0,
    });
  });
});

describe('name helpers', () => {
  it('date folders must be real dates', () => {
    expect(isDateFolderName('20240229')).toBe(true);
    expect(isDateFolderName('20230229')).toBe(false);
    expect(isDateFolderName('2024031')).toBe(false);
    expect(isDateFolderName('19991231')).toBe(false);
  });
  it('unsafe names', () => {
    expect(unsafeNameReason('1709280000.WAV')).toBeUndefined();
    expect(unsafeNameReason('..')).toBeDefined();
    expect(unsafeNameReason('a\0b')).toMatch(/NUL/);
  });
});
