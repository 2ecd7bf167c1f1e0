// One part PUT against a real HTTP server that answers like S3 (ETag = MD5 of what it stored, or not).
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putPart } from '../../../main/sync/upload/put-part.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('putPart ETag check', () => {
  let server: http.Server;
  let url: string;
  /** What the server claims to have stored: the bytes it got, or these bytes (corruption in transit). */
  let storedInstead: Buffer | undefined;
  let hashedBodies = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const got: Buffer[] = [];
      req.on('data', (c: Buffer) => got.push(c));
      req.on('end', () => {
        res.writeHead(200, { ETag: `"${md5(storedInstead ?? Buffer.concat(got))}"` });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bucket/key?partNumber=1&uploadId=u`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const body = Buffer.from('recorder audio bytes '.repeat(1000));
  const hashBody = () => {
    hashedBodies++;
    return md5(body);
  };

  it('accepts an ETag equal to the MD5 of the bytes sent, and rejects another as changed in transit', async () => {
    storedInstead = undefined;
    expect(await putPart(url, body, 1, { md5: md5(body) })).toBe(`"${md5(body)}"`);
    storedInstead = Buffer.from('something else');
    await expect(putPart(url, body, 1, { md5: md5(body) })).rejects.toMatchObject({
      kind: 'bad-response',
      message: expect.stringContaining('ETag mismatch'),
    });
  });

  it('with an MD5 known beforehand, hashes the bytes only when the ETag differs from it', async () => {
    storedInstead = undefined;
    hashedBodies = 0;
    await putPart(url, body, 1, { md5: md5(body), md5OfBody: hashBody });
    expect(hashedBodies).toBe(0);
    // The file changed since its MD5 was taken: S3 stored exactly what was sent, so the part is fine (the
    // completion's file MD5 check is where that change is caught).
    await putPart(url, body, 1, { md5: '0'.repeat(32), md5OfBody: hashBody });
    expect(hashedBodies).toBe(1);
    // Neither the expectation nor the bytes sent: changed in transit.
    storedInstead = Buffer.from('something else');
    await expect(putPart(url, body, 1, { md5: '0'.repeat(32), md5OfBody: hashBody })).rejects.toMatchObject({
      kind: 'bad-response',
    });
  });
});
