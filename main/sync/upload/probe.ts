// What a local file is, for the upload: its filetype (from its content, never its name) and duration.
// Ogg Opus: the last intact page's granule minus the pre-skip (the audio layer's inspector).
// MP3: the Xing/Info frame count when present, else every frame walked and its samples summed.
import { open, type FileHandle } from 'node:fs/promises';
import { inspectAsr } from '../audio/asr.js';
import type { UploadFormat } from '../types.js';

export class ProbeError extends Error {
  override readonly name = 'ProbeError';
}

export interface ProbeResult {
  filetype: UploadFormat;
  /** Undefined only when it could not be worked out (callers then need --duration). */
  durationMs: number | undefined;
  size: number;
}

export function sniffFiletype(head: Buffer): UploadFormat | undefined {
  if (head.length >= 36 && head.toString('latin1', 0, 4) === 'OggS') {
    const packet = 27 + head[26]!;
    if (head.toString('latin1', packet, packet + 8) === 'OpusHead') return 'opus';
    return undefined;
  }
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'ID3') return 'mp3';
  if (head.length >= 4 && parseMp3Header(head, 0)) return 'mp3';
  return undefined;
}

function describe(head: Buffer): string {
  if (head.length === 0) return 'it is empty';
  const magic = head.toString('latin1', 0, 4);
  if (magic === 'RIFF') return 'it is a WAV file (convert it to Opus or MP3 first)';
  if (magic === 'OggS') return 'it is an Ogg file without Opus audio';
  if (head[0] === 0xb8) return "it looks like a recorder's raw .ASR Opus stream (wrap it in Ogg first)";
  return `its first bytes are ${head.subarray(0, 8).toString('hex')}`;
}

export async function probeAudioFile(file: string): Promise<ProbeResult> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new ProbeError(`Cannot open ${file}: ${(err as Error).message}`);
  }
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, 4096));
    await fh.read(head, 0, head.length, 0);
    const filetype = sniffFiletype(head);
    if (!filetype) throw new ProbeError(`${file} is not Ogg Opus or MP3: ${describe(head)}.`);
    if (filetype === 'opus') {
      try {
        const info = await inspectAsr(file);
        return { filetype, durationMs: info.durationMs, size };
      } catch (err) {
        throw new ProbeError(`${file}: ${(err as Error).message}`);
      }
    }
    return { filetype, durationMs: await mp3DurationMs(fh, size), size };
  } finally {
    await fh.close();
  }
}

interface Mp3Frame {
  length: number;
  samples: number;
  sampleRate: number;
  version: 1 | 2 | 25;
  channels: number;
}

const BITRATES: Record<string, number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const RATES: Record<number, number[]> = {
  1: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  25: [11025, 12000, 8000],
};

export function parseMp3Header(b: Buffer, off: number): Mp3Frame | undefined {
  if (off + 4 > b.length || b[off] !== 0xff || (b[off + 1]! & 0xe0) !== 0xe0) return undefined;
  const v = (b[off + 1]! >> 3) & 3;
  const l = (b[off + 1]! >> 1) & 3;
  const bri = b[off + 2]! >> 4;
  const sri = (b[off + 2]! >> 2) & 3;
  if (v === 1 || l === 0 || bri === 0 || bri === 15 || sri === 3) return undefined;
  const version = v === 3 ? 1 : v === 2 ? 2 : 25;
  const layer = 4 - l; // 1, 2 or 3
  const kbps = BITRATES[`${version === 1 ? 1 : 2}-${layer}`]![bri]!;
  const sampleRate = RATES[version]![sri]!;
  const pad = (b[off + 2]! >> 1) & 1;
  const channels = b[off + 3]! >> 6 === 3 ? 1 : 2;
  let length: number;
  let samples: number;
  if (layer === 1) {
    length = (Math.floor((12 * kbps * 1000) / sampleRate) + pad) * 4;
    samples = 384;
  } else if (layer === 2 || version === 1) {
    length = Math.floor((144 * kbps * 1000) / sampleRate) + pad;
    samples = 1152;
  } else {
    length = Math.floor((72 * kbps * 1000) / sampleRate) + pad;
    samples = 576;
  }
  return { length, samples, sampleRate, version, channels };
}

async function mp3DurationMs(fh: FileHandle, size: number): Promise<number> {
  const WINDOW = 1024 * 1024;
  let buf = Buffer.alloc(0);
  let bufStart = 0;
  const ensure = async (pos: number, need: number) => {
    if (pos >= bufStart && pos + need <= bufStart + buf.length) return;
    const len = Math.min(WINDOW, size - pos);
    buf = Buffer.alloc(Math.max(0, len));
    bufStart = pos;
    if (len > 0) await fh.read(buf, 0, len, pos);
  };
  let pos = 0;
  await ensure(0, 10);
  if (buf.length >= 10 && buf.toString('latin1', 0, 3) === 'ID3') {
    const syncsafe = ((buf[6]! & 0x7f) << 21) | ((buf[7]! & 0x7f) << 14) | ((buf[8]! & 0x7f) << 7) | (buf[9]! & 0x7f);
    pos = 10 + syncsafe + (buf[5]! & 0x10 ? 10 : 0);
  }
  let samples = 0;
  let rate = 0;
  let frames = 0;
  let junk = 0;
  let first = true;
  while (pos + 4 <= size) {
    await ensure(pos, 4);
    const off = pos - bufStart;
    if (buf.toString('latin1', off, off + 3) === 'TAG' && size - pos === 128) break;
    const f = parseMp3Header(buf, off);
    if (!f || (rate && f.sampleRate !== rate)) {
      pos++;
      junk++;
      continue;
    }
    if (first) {
      first = false;
      await ensure(pos, Math.min(f.length, size - pos));
      const xing = xingFrames(buf, pos - bufStart, f);
      if (xing !== undefined) return Math.round((xing * f.samples * 1000) / f.sampleRate);
    }
    rate = f.sampleRate;
    samples += f.samples;
    frames++;
    pos += f.length;
  }
  if (frames === 0) throw new ProbeError('The MP3 file holds no audio frames.');
  if (junk > size / 10) throw new ProbeError('The MP3 file is damaged: much of it is not audio frames.');
  return Math.round((samples * 1000) / rate);
}

/** The frame count of a Xing/Info header in the first frame, if there is one with the count flag. */
function xingFrames(buf: Buffer, off: number, f: Mp3Frame): number | undefined {
  const side = f.version === 1 ? (f.channels === 1 ? 17 : 32) : f.channels === 1 ? 9 : 17;
  const at = off + 4 + side;
  if (at + 12 > buf.length) return undefined;
  const tag = buf.toString('latin1', at, at + 4);
  if (tag !== 'Xing' && tag !== 'Info') return undefined;
  const flags = buf.readUInt32BE(at + 4);
  return flags & 1 ? buf.readUInt32BE(at + 8) : undefined;
}
