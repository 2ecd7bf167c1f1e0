// The API client: base URL rules, answer validation in both casings, auth/refresh, error classes, no secrets leaked.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkApiBase } from '../../../main/sync/cloud/api-base.js';
import { PlaudCloudClient } from '../../../main/sync/cloud/client.js';
import { CloudError, parseRetryAfter } from '../../../main/sync/cloud/errors.js';
import { parsePresigned } from '../../../main/sync/cloud/schemas.js';
import { redactString, type Logger } from '../../../main/sync/log.js';
import { startEmulator, type Emulator } from '../../support/emulator/index.js';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;
let handler: Handler = (_q, _b, res) => res.end();
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
const url = (n: number) => `http://127.0.0.1:9/b/k?partNumber=${n}&X-Amz-Signature=abc`;
const PART = 5 * 1024 * 1024;

async function failure(p: Promise<unknown>): Promise<CloudError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CloudError);
  return e as CloudError;
}

describe('API base URL', () => {
  it('allows https anywhere and plain http only for loopback', () => {
    expect(checkApiBase('https://api.plaud.ai/')).toBe('https://api.plaud.ai');
    expect(checkApiBase('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(checkApiBase('http://127.5.6.7:1')).toBe('http://127.5.6.7:1');
    expect(checkApiBase('http://localhost:3000/base/')).toBe('http://localhost:3000/base');
    expect(checkApiBase('http://[::1]:3000')).toBe('http://[::1]:3000');
  });

  it.each([
    'http://api.plaud.ai',
    'http://10.0.0.5:8080',
    'http://127.0.0.1.evil.example',
    'http://[::2]:80',
    'http://128.0.0.1',
    'http://localhost.evil.example',
    'http://evil-localhost.com',
    'http://evil.localhost',
    'http://localhost.:8080', // a fully qualified DNS name: resolvers look it up, they do not answer loopback
  ])('refuses plain http to %s', (u) => {
    const make = () => new PlaudCloudClient({ apiBase: u, credentials: { kind: 'token', token: 't' } });
    expect(make).toThrow(CloudError);
    expect(make).toThrow(/Refusing to send recordings and credentials over plain http.*use https:\/\//);
  });

  it('refuses garbage, other schemes and embedded credentials', () => {
    expect(() => checkApiBase('not a url')).toThrow(/not a valid URL/);
    expect(() => checkApiBase('ftp://api.plaud.ai')).toThrow(/must start with https/);
    expect(() => checkApiBase('https://user:pw@api.plaud.ai')).toThrow(/must not contain a user name or password/);
  });
});

describe('generate-presigned-urls answer', () => {
  const pascal = {
    FileId: 'f1',
    UploadId: 'u1',
    ChunkSize: PART,
    Parts: [
      { PartNumber: 2, PresignedUrl: url(2) },
      { PartNumber: 1, PresignedUrl: url(1) },
    ],
  };
  const snake = {
    file_id: 'f1',
    upload_id: 'u1',
    chunk_size: PART,
    parts: [
      { part_number: 1, presigned_url: url(1) },
      { part_number: 2, presigned_url: url(2) },
    ],
  };

  it('normalises PascalCase and snake_case to the same shape, parts sorted', () => {
    const a = parsePresigned(pascal);
    const b = parsePresigned(snake);
    expect(a).toEqual(b);
    expect(a.ok && a.value).toEqual({
      fileId: 'f1',
      uploadId: 'u1',
      partSize: PART,
      parts: [
        { partNumber: 1, url: url(1) },
        { partNumber: 2, url: url(2) },
      ],
    });
  });

  it.each([
    [{ ...pascal, file_id: 'x' }, /mixes PascalCase/],
    [{ FileId: 'f', UploadId: 'u', ChunkSize: PART }, /Parts/],
    [{ ...snake, chunk_size: '5mb' }, /chunk_size/],
    [
      { ...snake, parts: [{ part_number: 1, presigned_url: 'file:///etc/passwd' }] },
      /parts\.0\.presigned_url: must be an http\(s\) URL/,
    ],
    [
      {
        ...snake,
        parts: [
          { part_number: 1, presigned_url: url(1) },
          { part_number: 3, presigned_url: url(3) },
        ],
      },
      /without gaps/,
    ],
    [{ fileId: 'f' }, /got fields: fileId/],
    [[1, 2], /not a JSON object/],
  ])('rejects %j naming what was wrong', (body, problem) => {
    const r = parsePresigned(body);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem).toMatch(problem);
  });

  it('rejects an answer whose part count does not fit the file size', async () => {
    handler = (_q, _b, res) => json(res, 200, pascal);
    const c = new PlaudCloudClient({ apiBase: base, credentials: { kind: 'token', token: 'tok' } });
    const e = await failure(c.generatePresignedUrls({ filesize: 3 * PART, filetype: 'opus' }));
    expect(e.kind).toBe('bad-response');
    expect(e.message).toMatch(/2 parts, but a 15728640-byte file needs 3/);
    await expect(c.generatePresignedUrls({ filesize: 2 * PART, filetype: 'opus' })).resolves.toMatchObject({
      uploadId: 'u1',
    });
  });

  it('the signatures of the links it hands out become secrets: a storage server echoing one gets it redacted', async () => {
    const signed = (n: number) => url(n).replace('X-Amz-Signature=abc', `X-Amz-Signature=sig${n}0123456789abcdef`);
    handler = (_q, _b, res) =>
      json(res, 200, { ...pascal, Parts: [1, 2].map((n) => ({ PartNumber: n, PresignedUrl: signed(n) })) });
    const c = new PlaudCloudClient({ apiBase: base, credentials: { kind: 'token', token: 'tok' } });
    expect(redactString('<Code>sig10123456789abcdef</Code>')).toContain('sig1');
    await c.generatePresignedUrls({ filesize: 2 * PART, filetype: 'opus' });
    expect(redactString('<Code>sig10123456789abcdef</Code>')).toBe('<Code>[redacted]</Code>');
  });
});

describe('auth', () => {
  afterEach(() => {
    handler = (_q, _b, res) => res.end();
  });

  it('exchanges client id + secret (Bearer base64(id:secret)), refreshes once on 401, shares one refresh between calls', async () => {
    let issued = 0;
    const seen: string[] = [];
    handler = (req, _b, res) => {
      if (req.url === '/apis/oauth/api-token') {
        seen.push(req.headers.authorization!);
        issued++;
        return json(res, 200, { api_token: `tok${issued}` });
      }
      if (req.headers.authorization !== `Bearer tok${issued}` || issued < 2)
        return json(res, 401, { message: 'expired' });
      return json(res, 200, { ok: true });
    };
    const c = new PlaudCloudClient({
      apiBase: base,
      credentials: { kind: 'client', clientId: 'cid', clientSecret: 'sekret' },
    });
    const body = { owner_id: 'o', sn: 's', sn_type: 'note' as const };
    const [a, b] = await Promise.all([c.bindDevice(body), c.bindDevice(body)]);
    expect(a).toEqual({ ok: true });
    expect(b).toEqual({ ok: true });
    expect(issued).toBe(2);
    expect(seen[0]).toBe(`Bearer ${Buffer.from('cid:sekret').toString('base64')}`);
  });

  it('does not loop when a fresh token is refused too, and says so plainly', async () => {
    let tokenCalls = 0;
    handler = (req, _b, res) => {
      if (req.url === '/apis/oauth/api-token') {
        tokenCalls++;
        return json(res, 200, { api_token: `t${tokenCalls}` });
      }
      json(res, 401, {});
    };
    const c = new PlaudCloudClient({
      apiBase: base,
      credentials: { kind: 'client', clientId: 'cid', clientSecret: 'sekret' },
    });
    const e = await failure(c.unbindDevice({ owner_id: 'o', sn: 's', sn_type: 'notepin' }));
    expect(e.kind).toBe('auth');
    expect(e.retryable).toBe(false);
    expect(tokenCalls).toBe(2);
    expect(e.message).toMatch(/refused a freshly issued token/);
  });

  it('reports refused client credentials without the secret, in messages or logs', async () => {
    handler = (_q, _b, res) => json(res, 401, { message: 'bad secret sekret-value-123' });
    const lines: string[] = [];
    const logger: Logger = {
      debug: (m, f) => lines.push(m + JSON.stringify(f)),
      info: (m, f) => lines.push(m + JSON.stringify(f)),
      warn: () => {},
      error: () => {},
    };
    const c = new PlaudCloudClient({
      apiBase: base,
      credentials: { kind: 'client', clientId: 'cid', clientSecret: 'sekret-value-123' },
      logger,
    });
    const e = await failure(c.getToken());
    expect(e.message).toBe('The client ID or client secret was refused: check them in Settings.');
    expect(JSON.stringify([e.message, e.stack, lines])).not.toContain('sekret-value-123');
  });

  it('scrubs our token from a server error message that echoes it', async () => {
    handler = (_q, _b, res) => json(res, 400, { message: 'token super-secret-token-9 is not allowed to do this' });
    const c = new PlaudCloudClient({ apiBase: base, credentials: { kind: 'token', token: 'super-secret-token-9' } });
    const e = await failure(c.bindDevice({ owner_id: 'o', sn: 's', sn_type: 'note' }));
    expect(e.kind).toBe('validation');
    expect(e.message).toContain('[redacted]');
    expect(e.message).not.toContain('super-secret-token-9');
  });

  it('refuses to start without credentials', () => {
    expect(() => new PlaudCloudClient({ apiBase: base, credentials: { kind: 'token', token: ' ' } })).toThrow(
      /No API token is set/,
    );
    expect(
      () => new PlaudCloudClient({ apiBase: base, credentials: { kind: 'client', clientId: 'x', clientSecret: '' } }),
    ).toThrow(/client secret/);
  });
});

describe('error classes', () => {
  const c = () => new PlaudCloudClient({ apiBase: base, credentials: { kind: 'token', token: 'tok' }, timeoutMs: 300 });
  const call = () => c().generatePresignedUrls({ filesize: 10, filetype: 'mp3' });

  it.each([
    [429, { 'Retry-After': '7' }, 'rate-limited', true, 7000],
    [503, { 'Retry-After': '2' }, 'rate-limited', true, 2000],
    [503, {}, 'server', true, undefined],
    [500, {}, 'server', true, undefined],
    [404, {}, 'not-found', false, undefined],
    [422, {}, 'validation', false, undefined],
    [403, {}, 'auth', false, undefined],
  ] as const)('HTTP %i -> %s', async (status, headers, kind, retryable, retryAfterMs) => {
    handler = (_q, _b, res) => json(res, status, { message: 'nope' }, headers);
    const e = await failure(call());
    expect([e.kind, e.retryable, e.retryAfterMs, e.status]).toEqual([kind, retryable, retryAfterMs, status]);
  });

  it('classifies a silent server as a timeout and a closed port as network', async () => {
    handler = () => undefined; // never answers
    const e = await failure(call());
    expect(e.kind).toBe('timeout');
    expect(e.retryable).toBe(true);
    const closed = new PlaudCloudClient({
      apiBase: 'http://127.0.0.1:9',
      credentials: { kind: 'token', token: 'tok' },
    });
    const n = await failure(closed.generatePresignedUrls({ filesize: 10, filetype: 'mp3' }));
    expect(n.kind).toBe('network');
    expect(n.message).toMatch(/refused the connection/);
  });

  it('names what is wrong with a malformed File Model or non-JSON body', async () => {
    const body = {
      file_id: 'f',
      upload_id: 'u',
      part_list: [{ PartNumber: 1, ETag: '"e"' }],
      filetype: 'mp3' as const,
      sn_type: 'note' as const,
      sn: 's',
      filename: 'a.mp3',
      file_md5: 'a'.repeat(32),
      start_time: 1,
      end_time: 2,
      duration: 1,
      timezone: 0,
      zonemins: 0,
    };
    handler = (_q, _b, res) => json(res, 200, { id: 5, name: 'x' });
    let e = await failure(c().completeUpload(body));
    expect(e.kind).toBe('bad-response');
    expect(e.message).toMatch(/id: /);
    handler = (_q, _b, res) => json(res, 200, '{"id": "abc"');
    e = await failure(c().completeUpload(body));
    expect(e.message).toMatch(/not valid JSON \(HTTP 200, 12 bytes/);
    handler = (_q, _b, res) => json(res, 200, { id: 'abc', extra_field: 1 });
    await expect(c().completeUpload(body)).resolves.toMatchObject({ id: 'abc', extra_field: 1 });
  });

  it('checks a completion body before sending it', async () => {
    let calls = 0;
    handler = (_q, _b, res) => {
      calls++;
      json(res, 200, { id: 'x' });
    };
    const e = await failure(
      c().completeUpload({
        file_id: 'f',
        upload_id: 'u',
        part_list: [],
        filetype: 'opus',
        sn_type: 'note',
        filename: 'a',
        file_md5: 'zz',
        start_time: 5,
        end_time: 1,
        duration: 1,
        timezone: 0,
        zonemins: 0,
      }),
    );
    expect(e.kind).toBe('validation');
    expect(e.message).toMatch(/part_list/);
    expect(e.message).toMatch(/file_md5/);
    expect(calls).toBe(0);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('against the emulator', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(async () => emu?.stop());

  it('binds and unbinds a device', async () => {
    const c = new PlaudCloudClient({ apiBase: emu.baseUrl, credentials: { kind: 'token', token: emu.token } });
    const dev = { owner_id: 'owner-7', sn: '880000000000000001', sn_type: 'note' as const };
    await c.bindDevice(dev);
    expect(emu.bindings()).toEqual([expect.objectContaining({ ...dev, bound: true })]);
    await c.unbindDevice(dev);
    expect(emu.bindings()).toEqual([expect.objectContaining({ ...dev, bound: false })]);
    const e = await failure(c.unbindDevice(dev));
    expect(e.kind).toBe('not-found');
  });

  it('verifies credentials: a good token, a refused token, client credentials', async () => {
    const good = new PlaudCloudClient({ apiBase: emu.baseUrl, credentials: { kind: 'token', token: emu.token } });
    await expect(good.verifyCredentials()).resolves.toBeUndefined();
    const bad = new PlaudCloudClient({ apiBase: emu.baseUrl, credentials: { kind: 'token', token: 'nope-nope' } });
    const e = await failure(bad.verifyCredentials());
    expect(e.kind).toBe('auth');
    expect(emu.files()).toHaveLength(0);
    const cc = new PlaudCloudClient({
      apiBase: emu.baseUrl,
      credentials: { kind: 'client', clientId: emu.clientId, clientSecret: 'wrong' },
    });
    expect((await failure(cc.verifyCredentials())).message).toMatch(/client ID or client secret was refused/);
  });

  it('reports a truncated token answer as a bad response', async () => {
    emu.faults.malformedJson('token', { times: 1 });
    const c = new PlaudCloudClient({
      apiBase: emu.baseUrl,
      credentials: { kind: 'client', clientId: emu.clientId, clientSecret: emu.clientSecret },
    });
    const e = await failure(c.getToken());
    expect(e.kind).toBe('bad-response');
    expect(e.message).toMatch(/Getting an API token: .*not valid JSON/);
    await expect(c.getToken()).resolves.toMatch(/./);
  });
});
