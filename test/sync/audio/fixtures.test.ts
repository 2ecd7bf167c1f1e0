// The realistic fixtures other tests build on: check they have the recorder's shape and carry real speech.
import OpusScript from 'opusscript';
import { describe, expect, it } from 'vitest';
import { parseWavHeader } from '../../../main/sync/audio/wav.js';
import { makeDeviceAsr, makeDeviceRecording, makeSpeechPcm } from '../../support/fixtures/audio.js';

function rms(samples: Int16Array): number {
  let s = 0;
  for (const v of samples) s += v * v;
  return Math.sqrt(s / Math.max(1, samples.length));
}

describe('audio fixtures', () => {
  it('speech is exactly the asked length and not silence', async () => {
    const pcm = await makeSpeechPcm(1.5);
    expect(pcm.length).toBe(1.5 * 16_000 * 2);
    expect(rms(new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2))).toBeGreaterThan(500);
  });

  it('device ASR: 50 packets a second, 80 bytes each, TOC 0xB8, decodable to speech', async () => {
    const asr = await makeDeviceAsr(2);
    expect(asr.length).toBe(2 * 50 * 80);
    const dec = new OpusScript(16_000, 1, OpusScript.Application.VOIP);
    let total = 0;
    let energy = 0;
    try {
      for (let off = 0; off < asr.length; off += 80) {
        expect(asr[off]).toBe(0xb8);
        const pcm = dec.decode(asr.subarray(off, off + 80));
        const s = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
        total += s.length;
        energy += rms(s);
      }
    } finally {
      dec.delete();
    }
    expect(total).toBe(2 * 16_000);
    expect(energy / 100).toBeGreaterThan(300);
  });

  it('device WAV: recorder header with the serial, stereo speech of the same length', async () => {
    const { wav, asr } = await makeDeviceRecording(2, '882000000000000042');
    const info = parseWavHeader(wav, wav.length);
    expect(info).toMatchObject({
      sampleRate: 16_000,
      channels: 2,
      bitsPerSample: 16,
      dataOffset: 0x200,
      durationMs: 2000,
      padSerial: '882000000000000042',
      truncated: false,
    });
    expect(wav.length).toBe(512 + 2 * 64_000);
    expect(asr.length / 4000).toBe(info.durationMs / 1000);
  });
});
