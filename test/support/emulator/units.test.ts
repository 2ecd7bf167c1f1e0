// The emulator's own building blocks: SigV4 verification against AWS's published example and content sniffing
// against files written by real encoders.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeHead, sniffAudio } from './content.js';
import { verifyPresigned } from './sigv4.js';

describe('verifyPresigned', () => {
  // The example presigned GET from the S3 API reference ("Authenticating Requests: Using Query Parameters").
  const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
  const url =
    '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
    '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
    '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const host = { host: 'examplebucket.s3.amazonaws.com' };
  const during = Date.UTC(2013, 4, 24, 1);

  it("accepts AWS's documented example within its lifetime", () => {
    expect(verifyPresigned({ method: 'GET', url, headers: host }, creds, during)).toEqual({ ok: true });
  });

  it('refuses it after its lifetime as expired', () => {
    const r = verifyPresigned({ method: 'GET', url, headers: host }, creds, Date.UTC(2013, 4, 25, 0, 0, 1));
    expect(r).toMatchObject({ ok: false, status: 403, code: 'AccessDenied', message: 'Request has expired' });
  });

  it.each([
    ['another method', { method: 'PUT', url, headers: host }],
    ['another host', { method: 'GET', url, headers: { host: 'other.example' } }],
    ['another key', { method: 'GET', url: url.replace('/test.txt', '/test2.txt'), headers: host }],
    ['an added parameter', { method: 'GET', url: url + '&partNumber=1', headers: host }],
  ])('refuses %s as SignatureDoesNotMatch', (_n, req) => {
    expect(verifyPresigned(req, creds, during)).toMatchObject({
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
  });

  it('refuses an unknown key id and missing parameters', () => {
    expect(
      verifyPresigned({ method: 'GET', url, headers: host }, { ...creds, accessKeyId: 'OTHER' }, during),
    ).toMatchObject({
      code: 'InvalidAccessKeyId',
    });
    expect(verifyPresigned({ method: 'GET', url: '/test.txt', headers: host }, creds, during)).toMatchObject({
      status: 403,
      code: 'AccessDenied',
    });
  });
});

describe('sniffAudio', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'emu-sniff-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let ffmpeg = true;
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  } catch {
    ffmpeg = false;
    console.warn('ffmpeg is not installed: skipping sniffing of real encoder output');
  }
  const encode = (name: string, args: string[]) => {
    const out = path.join(dir, name);
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=16000:duration=0.5',
      ...args,
      out,
    ]);
    return readFileSync(out);
  };

  it.skipIf(!ffmpeg)('recognises Ogg Opus, MP3 with and without ID3, and refuses WAV and Ogg Vorbis', () => {
    expect(sniffAudio(encode('a.opus', ['-c:a', 'libopus', '-b:a', '32k']))).toBe('opus');
    expect(sniffAudio(encode('a.mp3', ['-c:a', 'libmp3lame']))).toBe('mp3');
    const bare = encode('b.mp3', ['-c:a', 'libmp3lame', '-id3v2_version', '0', '-write_xing', '0']);
    expect(bare[0]).toBe(0xff);
    expect(sniffAudio(bare)).toBe('mp3');
    const wav = encode('a.wav', []);
    expect(sniffAudio(wav)).toBeNull();
    expect(describeHead(wav)).toBe('a RIFF/WAV file');
    const vorbis = encode('a.ogg', ['-c:a', 'libvorbis']);
    expect(sniffAudio(vorbis)).toBeNull();
    expect(describeHead(vorbis)).toBe('Ogg without an OpusHead packet');
  });

  it('refuses the raw Opus packets the recorder writes (.ASR has no container)', () => {
    const asr = Buffer.alloc(160, 0x11);
    asr[0] = 0xb8;
    asr[80] = 0xb8;
    expect(sniffAudio(asr)).toBeNull();
    expect(describeHead(Buffer.alloc(0))).toBe('an empty file');
  });
});
