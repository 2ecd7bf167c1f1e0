// Recordings leave the machine only over TLS: an https API that hands out a plain-http part URL gets no byte of the
// recording, and the refusal names the problem. Plain http is allowed only when the API itself is plain-http loopback.
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkApiBase, isLoopbackHost, partUrlProblem } from '../../../main/sync/cloud/api-base.js';
import { PlaudCloudClient } from '../../../main/sync/cloud/client.js';
import { CloudError } from '../../../main/sync/cloud/errors.js';
import { MultipartUploader, UploadError, type UploadState } from '../../../main/sync/upload/uploader.js';
import { runCli } from '../../support/cli.js';
import { makeOpusLike, tempDir } from '../upload/helpers.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
if (!hasFfmpeg) console.warn('TLS rule push test skipped: ffmpeg is not installed (Debian package ffmpeg)');

describe('loopback and part-URL rules', () => {
  it.each(['localhost', 'LOCALHOST', '127.0.0.1', '127.200.3.4', '[::1]', '::1'])('%s is loopback', (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });

  it.each([
    'evil.localhost',
    'localhost.evil.example',
    'evil-localhost.com',
    'sub.evil.localhost',
    '128.0.0.1',
    '10.0.0.1',
    'api.plaud.ai',
  ])('%s is not loopback and plain http to it is refused', (h) => {
    expect(isLoopbackHost(h)).toBe(false);
    expect(() => checkApiBase(`http://${h}:8080`)).toThrow(
      /Refusing to send recordings and credentials over plain http/,
    );
  });

  it('allows https part URLs to any host, plain http only to loopback from a plain-http loopback API', () => {
    expect(
      partUrlProblem('https://bucket.s3.amazonaws.com/k?X-Amz-Signature=a', 'https://api.plaud.ai'),
    ).toBeUndefined();
    expect(partUrlProblem('https://10.1.2.3/k', 'http://127.0.0.1:9')).toBeUndefined();
    expect(partUrlProblem('http://127.0.0.2:9/k', 'http://127.0.0.1:8')).toBeUndefined();
    expect(partUrlProblem('http://127.0.0.2:9/k', 'https://api.plaud.ai')).toMatch(
      /over http:\/\/ to 127\.0\.0\.2:9.*only sent over https/,
    );
    expect(partUrlProblem('http://evil.localhost/k', 'http://127.0.0.1:8')).toMatch(/over http:\/\//);
    expect(partUrlProblem('http://10.0.0.1/k', 'http://localhost:8')).toMatch(/over http:\/\//);
    expect(partUrlProblem('ftp://127.0.0.1/k', 'http://127.0.0.1:8')).toMatch(/over ftp:\/\//);
  });
});

// A plain-http "storage" that counts every connection: it must stay at zero.
let sink: http.Server;
let sinkConnections = 0;
let sinkUrl: string;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = await tempDir('plaud-tls-');
  file = await makeOpusLike(dir, 'rec.opus', 200 * 1024);
  sink = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { ETag: '"0123456789abcdef0123456789abcdef"' }).end();
  });
  sink.on('connection', () => sinkConnections++);
  await new Promise<void>((r) => sink.listen(0, '127.0.0.2', r));
  sinkUrl = `http://127.0.0.2:${(sink.address() as AddressInfo).port}`;
});
afterAll(async () => {
  sink.closeAllConnections();
  await new Promise((r) => sink.close(r));
  await fs.rm(dir, { recursive: true, force: true });
});

function presignAnswer(partUrl: string) {
  return JSON.stringify({
    FileId: 'f1',
    UploadId: 'u1',
    ChunkSize: 5 * 1024 * 1024,
    Parts: [{ PartNumber: 1, PresignedUrl: partUrl }],
  });
}

describe('an https API answering a plain-http part URL', () => {
  let api: https.Server;
  let apiBase: string;
  let caFile: string;
  const calls: string[] = [];

  beforeAll(async () => {
    const key = path.join(dir, 'key.pem');
    caFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        caFile,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    api = https.createServer({ key: await fs.readFile(key), cert: await fs.readFile(caFile) }, (req, res) => {
      calls.push(req.url ?? '');
      req.resume();
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(presignAnswer(`${sinkUrl}/bucket/key?partNumber=1&X-Amz-Signature=abc`));
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    apiBase = `https://127.0.0.1:${(api.address() as AddressInfo).port}`;
  }, 30_000);
  afterAll(async () => {
    api.closeAllConnections();
    await new Promise((r) => api.close(r));
  });

  it.skipIf(!hasFfmpeg)(
    'push refuses before a byte is sent, naming the problem, and does not retry',
    async () => {
      sinkConnections = 0;
      const real = path.join(dir, 'real.opus');
      execFileSync('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=300:duration=1',
        '-c:a',
        'libopus',
        real,
      ]);
      const r = await runCli(['push', real, '--api-base', apiBase, '--sn', '880000000000000001', '--json'], {
        env: {
          NODE_EXTRA_CA_CERTS: caFile,
          PLAUD_API_TOKEN: 'tls-test-token',
          PLAUD_SYNC_STATE: path.join(dir, 'state'),
        },
      });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /upload link over http:\/\/ to 127\.0\.0\.2:\d+; recordings are only sent over https, so nothing was uploaded/,
      );
      expect(JSON.parse(r.stdout.trim().split('\n')[0]!)).toMatchObject({ reason: 'insecure' });
      expect(sinkConnections).toBe(0);
      expect(calls.filter((c) => c.includes('generate-presigned-urls'))).toHaveLength(1);
    },
    60_000,
  );
});

describe('a plain-http loopback API', () => {
  let api: http.Server;
  let apiBase: string;
  let partUrl = '';

  beforeAll(async () => {
    api = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(presignAnswer(partUrl));
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    api.closeAllConnections();
    await new Promise((r) => api.close(r));
  });

  it('may send parts over http to loopback only: a remote plain-http part URL is refused as "insecure"', async () => {
    partUrl = 'http://192.0.2.7/bucket/key?partNumber=1';
    const client = new PlaudCloudClient({ apiBase, credentials: { kind: 'token', token: 'x' } });
    const err = await client.generatePresignedUrls({ filesize: 10, filetype: 'opus' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect(err).toMatchObject({ kind: 'insecure', retryable: false });
    expect((err as Error).message).toMatch(/over http:\/\/ to 192\.0\.2\.7/);
  });

  it('a resumed state whose stored links break the rule is not used: nothing goes to them', async () => {
    sinkConnections = 0;
    const { fileMd5 } = await import('../../../main/sync/upload/md5.js');
    const resume: UploadState = {
      fileId: 'f0',
      uploadId: 'u0',
      partSize: 5 * 1024 * 1024,
      fileSize: (await fs.stat(file)).size,
      md5: await fileMd5(file),
      parts: [],
      urls: [{ partNumber: 1, url: `${sinkUrl}/old?partNumber=1` }],
      completing: false,
      possibleDuplicate: false,
    };
    // An https API that is not there: the stored plain-http links must not be used, and no fresh ones come.
    const client = new PlaudCloudClient({ apiBase: 'https://127.0.0.1:1', credentials: { kind: 'token', token: 'x' } });
    const up = new MultipartUploader(client, { maxApiTries: 1 });
    const err = await up
      .upload({ path: file, filetype: 'opus', snType: 'note', sn: '1', startTime: 1, durationMs: 1000, resume })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect(err).toMatchObject({ reason: 'start-failed' });
    expect(sinkConnections).toBe(0);
  });
});
