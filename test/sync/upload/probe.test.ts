// Filetype from content and duration from the file, on real Ogg Opus and MP3 files written by ffmpeg.
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeAudioFile, ProbeError } from '../../../main/sync/upload/probe.js';
import { tempDir } from './helpers.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
if (!hasFfmpeg) console.warn('probe tests skipped: ffmpeg is not installed (Debian package ffmpeg)');

let dir: string;
function ffmpeg(out: string, seconds: number, args: string[]): string {
  const file = path.join(dir, out);
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${seconds}:sample_rate=16000`,
    ...args,
    file,
  ]);
  return file;
}

describe.skipIf(!hasFfmpeg)('probeAudioFile', () => {
  beforeAll(async () => {
    dir = await tempDir('plaud-probe-');
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads Ogg Opus duration as last granule minus pre-skip', async () => {
    const file = ffmpeg('speech.opus', 3.5, ['-c:a', 'libopus', '-b:a', '32k']);
    const r = await probeAudioFile(file);
    expect(r.filetype).toBe('opus');
    expect(r.durationMs).toBeGreaterThanOrEqual(3480);
    expect(r.durationMs).toBeLessThanOrEqual(3520);
  });

  it('reads MP3 duration from the Xing/Info frame count', async () => {
    const file = ffmpeg('tone.mp3', 4.2, ['-c:a', 'libmp3lame', '-b:a', '64k']);
    const bytes = await fs.readFile(file);
    expect(bytes.includes('Info') || bytes.includes('Xing')).toBe(true);
    const r = await probeAudioFile(file);
    expect(r.filetype).toBe('mp3');
    expect(Math.abs(r.durationMs! - 4200)).toBeLessThan(120);
  });

  it('reads MP3 duration by walking frames when there is no Xing header (and skips ID3)', async () => {
    const file = ffmpeg('noxing.mp3', 6, [
      '-c:a',
      'libmp3lame',
      '-b:a',
      '48k',
      '-write_xing',
      '0',
      '-metadata',
      'title=A meeting',
    ]);
    const head = await fs.readFile(file);
    expect(head.toString('latin1', 0, 3)).toBe('ID3');
    expect(head.includes('Xing') || head.includes('Info')).toBe(false);
    const r = await probeAudioFile(file);
    expect(Math.abs(r.durationMs! - 6000)).toBeLessThan(120);
  });

  it('refuses WAV, raw recorder .ASR and unknown content with a reason', async () => {
    const wav = ffmpeg('a.wav', 0.5, []);
    await expect(probeAudioFile(wav)).rejects.toThrow(/not Ogg Opus or MP3: it is a WAV file/);
    const asr = path.join(dir, 'a.ASR');
    await fs.writeFile(asr, Buffer.alloc(800, 0xb8));
    await expect(probeAudioFile(asr)).rejects.toThrow(/raw \.ASR Opus stream/);
    const txt = path.join(dir, 'notes.opus');
    await fs.writeFile(txt, 'hello');
    await expect(probeAudioFile(txt)).rejects.toBeInstanceOf(ProbeError);
    await expect(probeAudioFile(path.join(dir, 'missing.opus'))).rejects.toThrow(/Cannot open/);
  });

  it('reports a truncated Ogg Opus file instead of guessing its length', async () => {
    const file = ffmpeg('cut.opus', 2, ['-c:a', 'libopus']);
    const full = await fs.readFile(file);
    const cut = path.join(dir, 'cut-short.opus');
    await fs.writeFile(cut, full.subarray(0, 200)); // head pages only, no audio page
    await expect(probeAudioFile(cut)).rejects.toThrow(ProbeError);
  });
});
