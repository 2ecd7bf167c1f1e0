// Encodes the recorder's WAV (PCM) for upload when there is no usable .ASR, or when the upload format is mp3.
//
// Libraries (see README "Audio"): opusscript = libopus 1.4 compiled to WebAssembly, and @breezystack/lamejs = the
// maintained pure-JS port of LAME. Neither has a native binary, so the Electron app packages on every OS without
// rebuilds. Both run synchronously on the calling thread; we feed them a read chunk at a time, so memory stays flat.

import { Mp3Encoder } from '@breezystack/lamejs';
import OpusScript from 'opusscript';
import { AudioFormatError } from './errors.js';
import { buildMp3InfoFrame, lamejsFrameCount, mpeg2L3FrameBytes } from './mp3-info.js';
import { OggOpusWriter } from './ogg-opus.js';
import { openMonoPcm } from './pcm-reader.js';

export interface EncodeResult {
  /** Length of the audio encoded (= the WAV's audio actually present), ms. */
  durationMs: number;
  bytes: number;
}

export interface EncodeOptions {
  signal?: AbortSignal;
  /** Ogg stream serial (tests); random otherwise. */
  serial?: number;
}

type PageSink = (chunk: Buffer) => void | Promise<void>;

const OPUS_RATES = [8000, 12000, 16000, 24000, 48000] as const;
type OpusRate = (typeof OPUS_RATES)[number];
/** Same rate as the recorder's own Opus: transcription-grade wideband speech at 4 KB/s. */
export const OPUS_BITRATE = 32_000;
/**
 * libopus look-ahead in its VOIP/AUDIO modes is 6.5 ms (2.5 ms MDCT overlap + 4 ms delay compensation): 312 samples at
 * 48 kHz. It is the pre-skip RFC 7845 asks for; measured with opusscript (decoded output lags input by 104 samples
 * at 16 kHz) in test/sync/audio/encode.test.ts.
 */
export const OPUS_ENCODER_PRE_SKIP = 312;
/** MP3 bit rate for 16 kHz mono speech (MPEG-2 Layer III). */
export const MP3_KBPS = 48;

export async function encodeWavToOggOpus(
  wavPath: string,
  write: PageSink,
  opts: EncodeOptions = {},
): Promise<EncodeResult> {
  const { info, chunks } = await openMonoPcm(wavPath, opts.signal);
  const rate = info.sampleRate as OpusRate;
  if (!OPUS_RATES.includes(rate)) {
    throw new AudioFormatError(
      'WAV_UNSUPPORTED',
      `The WAV file's sample rate ${info.sampleRate} Hz cannot be encoded to Opus without resampling (8, 12, 16, 24 or 48 kHz).`,
      wavPath,
    );
  }
  const frame = rate / 50; // 20 ms
  const scale = 48_000 / rate;
  const enc = new OpusScript(rate, 1, OpusScript.Application.VOIP);
  const writer = new OggOpusWriter({
    channels: 1,
    inputSampleRate: rate,
    preSkip: OPUS_ENCODER_PRE_SKIP,
    serial: opts.serial,
  });
  let bytes = 0;
  const emit = async (pages: Buffer[]): Promise<void> => {
    for (const p of pages) {
      bytes += p.length;
      await write(p);
    }
  };
  try {
    enc.setBitrate(OPUS_BITRATE);
    const pending = new Int16Array(frame);
    let fill = 0;
    let samples = 0;
    const encodeFrame = (): readonly Buffer[] => {
      // opusscript copies the bytes of a Buffer into its heap as 16-bit PCM.
      const pkt = enc.encode(Buffer.from(pending.buffer, pending.byteOffset, pending.byteLength), frame);
      fill = 0;
      return writer.packet(pkt, frame * scale);
    };
    for await (const mono of chunks) {
      samples += mono.length;
      const pages: Buffer[] = [];
      let i = 0;
      while (i < mono.length) {
        const n = Math.min(frame - fill, mono.length - i);
        pending.set(mono.subarray(i, i + n), fill);
        fill += n;
        i += n;
        if (fill === frame) pages.push(...encodeFrame());
      }
      await emit(pages);
    }
    // Pad with silence until the packets cover the input plus the encoder's look-ahead, then trim the padding off
    // with the final granule position so the decoded length equals the input length exactly.
    const needed = samples + OPUS_ENCODER_PRE_SKIP / scale;
    const tail: Buffer[] = [];
    while (writer.packets * frame < needed) {
      pending.fill(0, fill);
      fill = frame;
      tail.push(...encodeFrame());
    }
    tail.push(...writer.end(BigInt(OPUS_ENCODER_PRE_SKIP + samples * scale)));
    await emit(tail);
    return { durationMs: Math.round((samples * 1000) / rate), bytes };
  } catch (e) {
    if (e instanceof AudioFormatError || (e instanceof Error && e.name === 'AbortError')) throw e;
    throw new AudioFormatError('ENCODE_FAILED', `Opus encoding failed: ${(e as Error).message}`, wavPath);
  } finally {
    enc.delete();
  }
}

export async function encodeWavToMp3(
  wavPath: string,
  write: PageSink,
  opts: EncodeOptions = {},
): Promise<EncodeResult> {
  const { info, chunks } = await openMonoPcm(wavPath, opts.signal);
  let enc: Mp3Encoder;
  try {
    enc = new Mp3Encoder(1, info.sampleRate, MP3_KBPS);
  } catch (e) {
    throw new AudioFormatError(
      'WAV_UNSUPPORTED',
      `The WAV file's sample rate ${info.sampleRate} Hz cannot be encoded to MP3: ${(e as Error).message}`,
      wavPath,
    );
  }
  // The Info frame (exact length for players and ffmpeg) must come first but needs the frame count: it is known in
  // advance from the number of input samples (lamejsFrameCount) and checked against what was written at the end.
  // Only at the recorder's 16 kHz: there a 48 kbit/s frame (216 bytes, no padding slots) has room for the 169-byte tag
  // and the count formula was measured. Other rates get no Info frame and decode ~100 ms longer (delay/padding stay).
  const tagged = info.sampleRate === 16_000;
  const totalSamples = info.dataBytes / (info.channels * 2);
  let bytes = 0;
  let samples = 0;
  let audioBytes = 0;
  let frameBytes = 0;
  const out = async (u8: Uint8Array): Promise<void> => {
    if (!u8.length) return;
    // lamejs reuses its output buffer between calls: copy before handing it on.
    const b = Buffer.from(u8);
    if (tagged && audioBytes === 0) {
      frameBytes = mpeg2L3FrameBytes(b);
      const infoFrame = buildMp3InfoFrame(b, lamejsFrameCount(totalSamples), totalSamples, MP3_KBPS);
      bytes += infoFrame.length;
      await write(infoFrame);
    }
    audioBytes += b.length;
    bytes += b.length;
    await write(b);
  };
  try {
    for await (const mono of chunks) {
      samples += mono.length;
      await out(enc.encodeBuffer(mono));
    }
    await out(enc.flush());
  } catch (e) {
    if (e instanceof AudioFormatError || (e instanceof Error && e.name === 'AbortError')) throw e;
    throw new AudioFormatError('ENCODE_FAILED', `MP3 encoding failed: ${(e as Error).message}`, wavPath);
  }
  // CBR at 16 kHz and 48 kbit/s has no padding slots, so frames = bytes / frame size; a mismatch means the Info frame
  // announced the wrong length, and the file must not be used.
  if (
    tagged &&
    frameBytes &&
    (audioBytes % frameBytes !== 0 || audioBytes / frameBytes !== lamejsFrameCount(samples) || samples !== totalSamples)
  ) {
    throw new AudioFormatError(
      'ENCODE_FAILED',
      `MP3 encoding produced ${audioBytes} bytes for ${samples} samples, not the ${lamejsFrameCount(samples)} frames announced.`,
      wavPath,
    );
  }
  return { durationMs: Math.round((samples * 1000) / info.sampleRate), bytes };
}
