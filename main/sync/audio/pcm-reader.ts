// Streams a WAV's audio as mono 16-bit PCM, a chunk at a time.

import { createReadStream } from 'node:fs';
import { AudioFormatError } from './errors.js';
import { inspectWav, type WavInfo } from './wav.js';

const READ_CHUNK = 256 * 1024;

/**
 * Mono samples from a 16-bit PCM WAV, in chunks of whole frames, taken from the bytes actually present (a truncated
 * recording yields what it holds). Multichannel audio is averaged to mono: the recorder's two channels are two
 * microphones picking up the same speech, and the cloud transcribes speech, so mono halves the upload and loses
 * nothing that matters for it.
 */
export async function openMonoPcm(
  wavPath: string,
  signal?: AbortSignal,
): Promise<{ info: WavInfo; chunks: AsyncGenerator<Int16Array> }> {
  const info = await inspectWav(wavPath);
  if (info.bitsPerSample !== 16) {
    throw new AudioFormatError(
      'WAV_UNSUPPORTED',
      `The WAV file has ${info.bitsPerSample}-bit samples; only 16-bit PCM can be encoded.`,
      wavPath,
    );
  }
  if (info.dataBytes === 0)
    throw new AudioFormatError('NO_SOURCE', 'The WAV file holds no audio (header only).', wavPath);
  return { info, chunks: readMono(wavPath, info, signal) };
}

async function* readMono(wavPath: string, info: WavInfo, signal?: AbortSignal): AsyncGenerator<Int16Array> {
  const ch = info.channels;
  const frameBytes = ch * 2;
  const stream = createReadStream(wavPath, {
    start: info.dataOffset,
    end: info.dataOffset + info.dataBytes - 1,
    highWaterMark: READ_CHUNK,
  });
  let carry: Buffer = Buffer.alloc(0);
  let read = 0;
  try {
    for await (const raw of stream as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      read += raw.length;
      const buf = carry.length ? Buffer.concat([carry, raw]) : raw;
      const frames = Math.floor(buf.length / frameBytes);
      // An aligned copy lets us read samples through a typed array (WAV and every platform we run on are
      // little-endian).
      const pcm = new Int16Array(frames * ch);
      new Uint8Array(pcm.buffer).set(buf.subarray(0, frames * frameBytes));
      let out: Int16Array;
      if (ch === 1) out = pcm;
      else if (ch === 2) {
        out = new Int16Array(frames);
        for (let i = 0; i < frames; i++) out[i] = (pcm[2 * i]! + pcm[2 * i + 1]!) >> 1;
      } else {
        out = new Int16Array(frames);
        for (let i = 0; i < frames; i++) {
          let sum = 0;
          for (let c = 0; c < ch; c++) sum += pcm[i * ch + c]!;
          out[i] = Math.round(sum / ch);
        }
      }
      carry = Buffer.from(buf.subarray(frames * frameBytes));
      if (frames) yield out;
    }
  } finally {
    stream.destroy();
  }
  // The file shrank between inspection and reading: treat it as damaged rather than encode a short file quietly.
  if (read < info.dataBytes) {
    throw new AudioFormatError(
      'WAV_BAD_CHUNK',
      `The WAV file changed while it was read: expected ${info.dataBytes} bytes of audio, got ${read}.`,
      wavPath,
    );
  }
}
