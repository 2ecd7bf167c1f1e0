// The "Info" (Xing/LAME) frame that LAME-compatible players and ffmpeg read to know an MP3's exact length:
// frame count, and the encoder delay and end padding to trim, so the decoded audio has the input's length rather than
// ~100 ms more. lamejs does not write one, so we do, for the frame shape we produce (MPEG-2 Layer III mono, CBR).
//
// Layout (after the 4-byte frame header and 9 bytes of zero side info for MPEG-2 mono): "Info", flags, frames, bytes,
// 100-byte seek table, quality (120 bytes), then the 36-byte LAME extension whose last field is a CRC-16 over the
// frame's bytes before it.

/** LAME's encoder delay (ENCDELAY); lamejs keeps it. Verified by the alignment test in encode.test.ts. */
export const LAME_ENCODER_DELAY = 576;
/** Samples per MPEG-2 Layer III frame. */
export const MPEG2_L3_SPF = 576;

/**
 * Audio frames lamejs emits for `samples` input samples (MPEG-2, encodeBuffer + flush), measured for 1..1.2M samples.
 */
export function lamejsFrameCount(samples: number): number {
  return Math.ceil(samples / MPEG2_L3_SPF) + 2;
}

function crc16Arc(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc & 0xffff;
}

/** MPEG-2 Layer III frame length in bytes for a header (with its padding bit), or 0 if it is not one we handle. */
export function mpeg2L3FrameBytes(header: Uint8Array): number {
  if (header.length < 4 || header[0] !== 0xff || (header[1]! & 0xfe) !== 0xf2) return 0; // sync, MPEG-2, Layer III
  const KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0];
  const RATES = [22_050, 24_000, 16_000, 0];
  const kbps = KBPS[header[2]! >> 4]!;
  const rate = RATES[(header[2]! >> 2) & 3]!;
  if (!kbps || !rate) return 0;
  return Math.floor((72_000 * kbps) / rate) + ((header[2]! >> 1) & 1);
}

/**
 * Build the Info frame to put before the audio frames.
 * @param firstAudioHeader the 4-byte header of the first audio frame (same bit rate, rate and mode)
 * @param audioFrames number of audio frames that follow
 * @param samples input samples (mono) encoded
 */
export function buildMp3InfoFrame(
  firstAudioHeader: Uint8Array,
  audioFrames: number,
  samples: number,
  kbps: number,
): Buffer {
  const header = Buffer.from(firstAudioHeader.subarray(0, 4));
  header[2] = header[2]! & ~0x02; // no padding slot
  const size = mpeg2L3FrameBytes(header);
  if (size < 13 + 120 + 36) throw new Error('MP3 frame too small for an Info tag');
  if (header[3]! >> 6 !== 3) throw new Error('Info tag layout here is for mono frames');
  const f = Buffer.alloc(size);
  header.copy(f, 0);
  let o = 13; // 4 header + 9 side info (MPEG-2 mono)
  const totalBytes = size * (audioFrames + 1);
  f.write('Info', o, 'latin1'); // "Info" = CBR ("Xing" is for VBR)
  f.writeUInt32BE(0x0f, o + 4); // frames, bytes, TOC, quality present
  f.writeUInt32BE(audioFrames, o + 8);
  f.writeUInt32BE(totalBytes, o + 12);
  for (let i = 0; i < 100; i++) f[o + 16 + i] = Math.floor((i * 256) / 100); // CBR: linear seek table
  f.writeUInt32BE(0, o + 116);
  o += 120;
  const lame = o;
  f.write('LAME3.98 ', o, 'latin1'); // lamejs is a port of LAME 3.98; ffmpeg honours delays only for "LAME"/"Lavf"/"Lavc"
  f[o + 9] = 0x01; // tag revision 0, VBR method 1 = constant bit rate
  f[o + 20] = Math.min(255, kbps);
  const padding = audioFrames * MPEG2_L3_SPF - LAME_ENCODER_DELAY - samples;
  if (padding < 0 || padding > 4095) throw new Error(`MP3 end padding ${padding} out of range`);
  const dp = (LAME_ENCODER_DELAY << 12) | padding;
  f[o + 21] = (dp >> 16) & 0xff;
  f[o + 22] = (dp >> 8) & 0xff;
  f[o + 23] = dp & 0xff;
  f.writeUInt32BE(totalBytes, o + 28); // music length
  // o + 32: music CRC, unknown before the audio is encoded; left 0 (informational only)
  f.writeUInt16BE(crc16Arc(f.subarray(0, lame + 34)), lame + 34);
  return f;
}
