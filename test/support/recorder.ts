// Lay out a realistic Plaud recorder volume: MODEL.txt, NOTES/ and CALLS/ date folders with <epoch>.WAV + .ASR made
// from real speech encoded by real libopus (test/support/fixtures/audio.ts). File times are set to when the
// recording ended, as the recorder does, so the scan does not take them for files still being written.
import fs from 'node:fs/promises';
import path from 'node:path';
import { DEVICE_WAV_DATA_OFFSET, deviceWavHeader, makeDeviceAsr, makeDeviceWav } from './fixtures/audio.js';

export const TEST_SERIAL = '888317426694681884';

export interface RecordingSpec {
  kind?: 'note' | 'call';
  /** Epoch seconds (the file name). */
  startSec: number;
  seconds: number;
  wav?: boolean; // default true
  asr?: boolean; // default true
  /** Make the WAV bigger than the speech by repeating it (for copy-interruption tests and benchmarks). */
  wavRepeat?: number;
}

export interface RecorderSpec {
  serial?: string;
  /** First line of MODEL.txt (default "PLAUD NOTE V0095@00:47:14 Feb 28 2024"). */
  modelLine?: string;
  /** Whole MODEL.txt text, overriding modelLine/serial. null: no MODEL.txt at all. */
  modelText?: string | null;
  recordings: RecordingSpec[];
}

export function dateFolder(startSec: number): string {
  return new Date(startSec * 1000).toISOString().slice(0, 10).replace(/-/g, '');
}

export function relBaseOf(r: RecordingSpec): string {
  return `${r.kind === 'call' ? 'CALLS' : 'NOTES'}/${dateFolder(r.startSec)}/${r.startSec}`;
}

export async function writeModelTxt(
  root: string,
  spec: Pick<RecorderSpec, 'serial' | 'modelLine' | 'modelText'>,
): Promise<void> {
  if (spec.modelText === null) return;
  const text =
    spec.modelText ??
    `${spec.modelLine ?? 'PLAUD NOTE V0095@00:47:14 Feb 28 2024'}\r\nSerial No.:${spec.serial ?? TEST_SERIAL}\r\n`;
  await fs.writeFile(path.join(root, 'MODEL.txt'), text, 'latin1');
}

/** Audio bytes of one recording as the recorder would write them. */
export async function recordingBytes(r: RecordingSpec, serial = TEST_SERIAL): Promise<{ wav?: Buffer; asr?: Buffer }> {
  const out: { wav?: Buffer; asr?: Buffer } = {};
  if (r.wav !== false) {
    let wav = await makeDeviceWav(r.seconds, serial);
    if (r.wavRepeat && r.wavRepeat > 1) {
      const data = wav.subarray(DEVICE_WAV_DATA_OFFSET);
      wav = Buffer.concat([
        deviceWavHeader(data.length * r.wavRepeat, serial),
        ...Array.from({ length: r.wavRepeat }, () => data),
      ]);
    }
    out.wav = wav;
  }
  if (r.asr !== false) out.asr = await makeDeviceAsr(r.seconds);
  return out;
}

/** Write the recorder's files under root (a mounted FAT volume or a plain directory). Returns what was written. */
export async function layOutRecorder(root: string, spec: RecorderSpec): Promise<Map<string, Buffer>> {
  const written = new Map<string, Buffer>();
  await writeModelTxt(root, spec);
  for (const r of spec.recordings) {
    const rel = relBaseOf(r);
    await fs.mkdir(path.join(root, path.dirname(rel)), { recursive: true });
    const bytes = await recordingBytes(r, spec.serial ?? TEST_SERIAL);
    const endSec = r.startSec + Math.ceil(r.seconds * (r.wavRepeat ?? 1));
    for (const [ext, buf] of [
      ['WAV', bytes.wav],
      ['ASR', bytes.asr],
    ] as const) {
      if (!buf) continue;
      const file = path.join(root, `${rel}.${ext}`);
      await fs.writeFile(file, buf);
      await fs.utimes(file, endSec, endSec);
      written.set(`${rel}.${ext}`, buf);
    }
  }
  return written;
}
