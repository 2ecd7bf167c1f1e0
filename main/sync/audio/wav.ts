// Reads the header of a recorder WAV without trusting its size fields.
//
// The recorder writes RIFF / PCM 16-bit / 2 ch / 16 kHz with a private `pad ` chunk at 0x2C holding `SN:<serial>`
// and the audio from 0x200. A recording cut short (unplug, full card, power loss) can leave RIFF and data sizes that
// claim more than the file holds, or placeholder sizes (0 / 0xFFFFFFFF) of a header never finalised; so we walk the
// chunks and take the audio length from the bytes actually present, in whole sample frames.

import { open } from 'node:fs/promises';
import { AudioFormatError } from './errors.js';

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Byte offset of the first audio byte (0x200 on the recorder). */
  dataOffset: number;
  /** Bytes of audio actually present, a whole number of sample frames. */
  dataBytes: number;
  durationMs: number;
  /** Serial from the recorder's `pad ` chunk (`SN:<serial>`), when present. */
  padSerial?: string;
  /** True when the file holds less audio than its header claims, or ends in a partial sample frame. */
  truncated: boolean;
  /**
   * The data size the header announces, when it disagrees with the audio actually present (too little or too much).
   * The audio length never follows it: the bytes present decide (see parseWavHeader). Callers log it.
   */
  headerDataBytes?: number;
}

/**
 * How much of the file inspectWav reads: the recorder's header is 512 bytes; anything beyond 64 KiB is not a WAV we
 * know.
 */
export const WAV_HEADER_READ_BYTES = 64 * 1024;

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Parse a WAV header from the first bytes of a file.
 * @param buf the start of the file (at least up to the `data` chunk header; the whole file is fine)
 * @param fileSize the real size of the file on disk, which decides how much audio is present
 */
export function parseWavHeader(buf: Buffer, fileSize: number, filePath?: string): WavInfo {
  const fail = (code: ConstructorParameters<typeof AudioFormatError>[0], msg: string): never => {
    throw new AudioFormatError(code, msg, filePath);
  };
  if (fileSize === 0 || buf.length === 0) fail('WAV_EMPTY', 'The WAV file is empty (0 bytes).');
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    fail('WAV_NOT_RIFF', "The WAV file's header is damaged: it does not start with 'RIFF....WAVE'.");
  }

  let fmt: { format: number; channels: number; sampleRate: number; blockAlign: number; bits: number } | undefined;
  let padSerial: string | undefined;
  let pos = 12;
  for (;;) {
    if (pos + 8 > buf.length) {
      if (pos + 8 > fileSize) {
        fail(
          fmt ? 'WAV_NO_DATA' : 'WAV_NO_FMT',
          fmt
            ? "The WAV file's header is damaged: the file ends before any 'data' chunk (no audio)."
            : "The WAV file's header is damaged: no 'fmt ' chunk before the end of the file.",
        );
      }
      fail('WAV_BAD_CHUNK', `The WAV file's header is damaged: no 'data' chunk in its first ${buf.length} bytes.`);
    }
    const id = buf.toString('latin1', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (!/^[\x20-\x7e]{4}$/.test(id)) {
      fail('WAV_BAD_CHUNK', `The WAV file's header is damaged: unreadable chunk name at byte ${pos}.`);
    }
    if (id === 'data') {
      if (!fmt) fail('WAV_NO_FMT', "The WAV file's header is damaged: no 'fmt ' chunk before the audio data.");
      const f = fmt!;
      const present = Math.max(0, fileSize - body);
      // 0 and 0xFFFFFFFF are what writers leave before they finalise the header: the audio runs to end of file.
      const unfinalised = size === 0 || size === 0xffffffff;
      const claimed = unfinalised ? present : size;
      // A header that announces less than the file holds is not believed either (a recorder that lost power before
      // finalising, a firmware bug): the audio runs to the end of the file, unless what follows the announced end is
      // a well-formed RIFF chunk that ends exactly at the end of the file (a writer that put a chunk after the audio).
      const trailingChunk = claimed < present && chunkFillsRest(buf, body + claimed + (claimed & 1), fileSize);
      const usable = trailingChunk ? claimed : present;
      const dataBytes = usable - (usable % f.blockAlign);
      const frames = dataBytes / f.blockAlign;
      const info: WavInfo = {
        sampleRate: f.sampleRate,
        channels: f.channels,
        bitsPerSample: f.bits,
        dataOffset: body,
        dataBytes,
        durationMs: Math.round((frames * 1000) / f.sampleRate),
        truncated: (unfinalised && present > 0) || claimed > present || dataBytes < usable,
      };
      if (!unfinalised && claimed !== usable) info.headerDataBytes = claimed;
      if (padSerial !== undefined) info.padSerial = padSerial;
      return info;
    }
    if (body + size > buf.length) {
      fail(
        'WAV_BAD_CHUNK',
        body + size > fileSize
          ? `The WAV file's header is damaged: the '${id}' chunk at byte ${pos} claims ${size} bytes, past the end of the file.`
          : `The WAV file's header is damaged: the '${id}' chunk at byte ${pos} is ${size} bytes long, more than a WAV header can hold.`,
      );
    }
    if (id === 'fmt ') {
      if (size < 16) fail('WAV_BAD_FMT', `The WAV file's header is damaged: its 'fmt ' chunk is only ${size} bytes.`);
      let format = buf.readUInt16LE(body);
      const channels = buf.readUInt16LE(body + 2);
      const sampleRate = buf.readUInt32LE(body + 4);
      const blockAlign = buf.readUInt16LE(body + 12);
      const bits = buf.readUInt16LE(body + 14);
      // sub-format GUID's first 2 bytes
      if (format === WAVE_FORMAT_EXTENSIBLE && size >= 40) format = buf.readUInt16LE(body + 24);
      if (format !== WAVE_FORMAT_PCM) {
        fail('WAV_UNSUPPORTED', `The WAV file is not plain PCM audio (format code 0x${format.toString(16)}).`);
      }
      if (channels < 1 || channels > 8 || sampleRate < 1000 || sampleRate > 384000 || ![8, 16, 24, 32].includes(bits)) {
        fail(
          'WAV_BAD_FMT',
          `The WAV file's header is damaged: ${channels} channels, ${sampleRate} Hz, ${bits}-bit is not a valid PCM format.`,
        );
      }
      if (blockAlign !== (channels * bits) / 8) {
        fail(
          'WAV_BAD_FMT',
          `The WAV file's header is damaged: block size ${blockAlign} does not match ${channels} channels of ${bits}-bit samples.`,
        );
      }
      fmt = { format, channels, sampleRate, blockAlign, bits };
    } else if (id === 'pad ') {
      const m = /^SN:([\x21-\x7e]+)/.exec(buf.toString('latin1', body, body + Math.min(size, 64)));
      if (m) padSerial = m[1];
    }
    pos = body + size + (size & 1); // RIFF chunks are word aligned
  }
}

/**
 * True when `buf` (the file's first bytes) shows a chunk header at `pos` whose size reaches exactly the end of the
 * file. Only such a chunk is taken as proof that the bytes after an announced data size are not audio. When `pos`
 * lies beyond what was read (a long recording), nothing proves it, and the audio runs to the end of the file.
 */
function chunkFillsRest(buf: Buffer, pos: number, fileSize: number): boolean {
  if (pos + 8 > buf.length) return false;
  const id = buf.toString('latin1', pos, pos + 4);
  if (!/^[\x20-\x7e]{4}$/.test(id) || id === 'data') return false;
  const size = buf.readUInt32LE(pos + 4);
  return pos + 8 + size + (size & 1) === fileSize || pos + 8 + size === fileSize;
}

/** Inspect a WAV file on disk, reading only its header region. */
export async function inspectWav(filePath: string): Promise<WavInfo> {
  const fh = await open(filePath, 'r');
  try {
    const { size } = await fh.stat();
    const want = Math.min(size, WAV_HEADER_READ_BYTES);
    const buf = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await fh.read(buf, got, want - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return parseWavHeader(buf.subarray(0, got), size, filePath);
  } finally {
    await fh.close();
  }
}
