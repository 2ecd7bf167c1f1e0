// Each fault switch of the emulator: it bites as configured, says so the way S3 or the API would, and heals.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import {
  complete,
  completeBody,
  exchangeToken,
  md5Hex,
  oggOpusBytes,
  partBytes,
  postJson,
  presign,
  putAllParts,
  putPart,
} from './fixtures.js';

const MiB = 1024 * 1024;
const PRESIGN = '/api/files/upload-s3/generate-presigned-urls';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ clientId: 'fault-client', clientSecret: 'fault-secret' });
});
afterAll(async () => {
  await emu?.stop();
});
afterEach(() => {
  emu.faults.clear();
});

async function smallUpload() {
  const data = oggOpusBytes(3000);
  const p = await presign(emu.baseUrl, emu.token, data.length);
  return { data, p };
}

describe('part faults', () => {
  it('fails part N with 500 the given number of times, then heals; other parts are untouched', async () => {
    const data = oggOpusBytes(6 * MiB);
    const p = await presign(emu.baseUrl, emu.token, data.length);
    emu.faults.failPart(2, { times: 2 });
    expect((await putPart(p.parts[0]!.url, partBytes(data, p, 1))).status).toBe(200);
    const first = await putPart(p.parts[1]!.url, partBytes(data, p, 2));
    expect(first.status).toBe(500);
    expect(await first.text()).toContain('<Code>InternalError</Code>');
    expect((await putPart(p.parts[1]!.url, partBytes(data, p, 2))).status).toBe(500);
    const healed = await putPart(p.parts[1]!.url, partBytes(data, p, 2));
    expect(healed.status).toBe(200);
    expect(healed.headers.get('etag')).toBe(`"${md5Hex(partBytes(data, p, 2))}"`);
    const statuses = emu
      .requests()
      .filter((r) => r.uploadId === p.uploadId && r.partNumber === 2)
      .map((r) => r.status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('fails with another status when asked (503)', async () => {
    const { data, p } = await smallUpload();
    emu.faults.failPart(1, { status: 503 });
    expect((await putPart(p.parts[0]!.url, data)).status).toBe(503);
    expect((await putPart(p.parts[0]!.url, data)).status).toBe(200);
  });

  it('resets the connection before storing a part', async () => {
    const { data, p } = await smallUpload();
    emu.faults.resetPart(1);
    await expect(putPart(p.parts[0]!.url, data)).rejects.toThrow();
    expect(
      emu
        .requests()
        .filter((r) => r.uploadId === p.uploadId)
        .map((r) => r.status),
    ).toEqual([0]);
    // Nothing was stored: completing with the right ETag is refused.
    const list = [{ PartNumber: 1, ETag: `"${md5Hex(data)}"` }];
    expect((await complete(emu.baseUrl, emu.token, completeBody(data, p, list))).status).toBe(400);
    expect((await putPart(p.parts[0]!.url, data)).status).toBe(200);
    expect((await complete(emu.baseUrl, emu.token, completeBody(data, p, list))).status).toBe(200);
  });

  it('resets the connection after storing a part (the client never hears the ETag)', async () => {
    const { data, p } = await smallUpload();
    emu.faults.resetPart(1, { when: 'after' });
    await expect(putPart(p.parts[0]!.url, data)).rejects.toThrow();
    // The part is there: the ETag the client can compute itself completes the upload.
    const list = [{ PartNumber: 1, ETag: `"${md5Hex(data)}"` }];
    expect((await complete(emu.baseUrl, emu.token, completeBody(data, p, list))).status).toBe(200);
  });

  it('answers 429 with Retry-After on parts only', async () => {
    const { data, p } = await smallUpload();
    emu.faults.rateLimit({ target: 'parts', retryAfterSeconds: 7, times: 1 });
    // API calls are not affected by a parts-only limit.
    expect((await postJson(emu.baseUrl, PRESIGN, emu.token, { filesize: 10, filetype: 'opus' })).status).toBe(200);
    const limited = await putPart(p.parts[0]!.url, data);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await putPart(p.parts[0]!.url, data)).status).toBe(200);
  });

  it('answers 503 SlowDown when asked', async () => {
    const { data, p } = await smallUpload();
    emu.faults.rateLimit({ target: 'parts', status: 503 });
    const res = await putPart(p.parts[0]!.url, data);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('<Code>SlowDown</Code>');
  });

  it('slows part answers by the given delay', async () => {
    const { data, p } = await smallUpload();
    emu.faults.slow({ target: 'parts', delayMs: 400, times: 1 });
    let t = Date.now();
    expect((await putPart(p.parts[0]!.url, data)).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(390);
    t = Date.now();
    expect((await putPart(p.parts[0]!.url, data)).status).toBe(200);
    expect(Date.now() - t).toBeLessThan(390);
  });
});

describe('presigned URL expiry', () => {
  it('issues URLs that expire after T seconds and then answers 403 like S3', async () => {
    emu.faults.expireUrlsAfter(1);
    const { data, p } = await smallUpload();
    expect(new URL(p.parts[0]!.url).searchParams.get('X-Amz-Expires')).toBe('1');
    // X-Amz-Date has whole seconds: after 2.1 s the URL is past its second for sure.
    await sleep(2100);
    const res = await putPart(p.parts[0]!.url, data);
    expect(res.status).toBe(403);
    const xml = await res.text();
    expect(xml).toContain('<Code>AccessDenied</Code>');
    expect(xml).toContain('Request has expired');
    emu.faults.expireUrlsAfter(null);
    const fresh = await smallUpload();
    expect(new URL(fresh.p.parts[0]!.url).searchParams.get('X-Amz-Expires')).toBe('3600');
  });

  it('expires every URL issued so far at once; new uploads work', async () => {
    const { data, p } = await smallUpload();
    emu.faults.expireIssuedUrls();
    const res = await putPart(p.parts[0]!.url, data);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Request has expired');
    const fresh = await smallUpload();
    expect((await putPart(fresh.p.parts[0]!.url, fresh.data)).status).toBe(200);
  });
});

describe('API faults', () => {
  it('answers 429 with Retry-After on one endpoint', async () => {
    emu.faults.rateLimit({ target: 'presign', retryAfterSeconds: 3 });
    const res = await postJson(emu.baseUrl, PRESIGN, emu.token, { filesize: 10, filetype: 'opus' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(((await res.json()) as { error: string }).error).toBe('rate_limited');
    expect((await postJson(emu.baseUrl, PRESIGN, emu.token, { filesize: 10, filetype: 'opus' })).status).toBe(200);
  });

  it("rate-limits all API calls with target 'api' but not parts", async () => {
    const { data, p } = await smallUpload();
    emu.faults.rateLimit({ target: 'api', times: 2 });
    expect((await exchangeToken(emu.baseUrl, 'fault-client', 'fault-secret')).status).toBe(429);
    expect((await putPart(p.parts[0]!.url, data)).status).toBe(200);
    expect((await postJson(emu.baseUrl, '/api/devices/bind', emu.token, {})).status).toBe(429);
    expect((await exchangeToken(emu.baseUrl, 'fault-client', 'fault-secret')).status).toBe(200);
  });

  it('slows API answers until cleared', async () => {
    emu.faults.slow({ target: 'api', delayMs: 300 });
    for (let i = 0; i < 2; i++) {
      const t = Date.now();
      await postJson(emu.baseUrl, PRESIGN, emu.token, { filesize: 10, filetype: 'opus' });
      expect(Date.now() - t).toBeGreaterThanOrEqual(290);
    }
    emu.faults.clear();
    const t = Date.now();
    await postJson(emu.baseUrl, PRESIGN, emu.token, { filesize: 10, filetype: 'opus' });
    expect(Date.now() - t).toBeLessThan(290);
  });

  it('revokes exchanged tokens: they 401, a fresh exchange works, the static token stays', async () => {
    const issued = (
      (await (await exchangeToken(emu.baseUrl, 'fault-client', 'fault-secret')).json()) as { api_token: string }
    ).api_token;
    emu.faults.revokeTokens();
    const refused = await postJson(emu.baseUrl, PRESIGN, issued, { filesize: 10, filetype: 'opus' });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { message: string }).message).toMatch(/revoked/);
    expect((await postJson(emu.baseUrl, PRESIGN, emu.token, { filesize: 10, filetype: 'opus' })).status).toBe(200);
    const fresh = (
      (await (await exchangeToken(emu.baseUrl, 'fault-client', 'fault-secret')).json()) as { api_token: string }
    ).api_token;
    expect(fresh).not.toBe(issued);
    expect((await postJson(emu.baseUrl, PRESIGN, fresh, { filesize: 10, filetype: 'opus' })).status).toBe(200);
  });

  it('revokes the static token too when asked', async () => {
    const own = emu.token;
    emu.faults.revokeTokens({ includeStatic: true });
    expect((await postJson(emu.baseUrl, PRESIGN, own, { filesize: 10, filetype: 'opus' })).status).toBe(401);
    // Later tests use emu.token; give the emulator a valid one again.
    emu.token = emu.issueToken();
    expect((await postJson(emu.baseUrl, PRESIGN, emu.token, { filesize: 10, filetype: 'opus' })).status).toBe(200);
  });

  describe('malformed answers', () => {
    it('truncated JSON from presign (the upload was still created)', async () => {
      emu.faults.malformedJson('presign');
      const pending = emu.pendingUploads().length;
      const res = await postJson(emu.baseUrl, PRESIGN, emu.token, { filesize: 10, filetype: 'opus' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      await expect(res.json()).rejects.toThrow();
      expect(emu.pendingUploads().length).toBe(pending + 1);
    });

    it('valid JSON of the wrong shape, and an HTML page', async () => {
      emu.faults.malformedJson('token', { kind: 'wrong-shape' });
      const shaped = (await (await exchangeToken(emu.baseUrl, 'fault-client', 'fault-secret')).json()) as Record<
        string,
        unknown
      >;
      expect(shaped).not.toHaveProperty('api_token');
      emu.faults.malformedJson('presign', { kind: 'html' });
      const html = await postJson(emu.baseUrl, PRESIGN, emu.token, { filesize: 10, filetype: 'opus' });
      expect(html.headers.get('content-type')).toBe('text/html');
      expect(await html.text()).toContain('<html>');
    });

    it('garbage from complete-upload that took effect, or did not', async () => {
      const a = await smallUpload();
      const aList = await putAllParts(a.data, a.p);
      const before = emu.files().length;
      emu.faults.malformedJson('complete', { tookEffect: false });
      const r1 = await complete(emu.baseUrl, emu.token, completeBody(a.data, a.p, aList));
      await expect(r1.json()).rejects.toThrow();
      expect(emu.files()).toHaveLength(before);
      emu.faults.malformedJson('complete');
      const r2 = await complete(emu.baseUrl, emu.token, completeBody(a.data, a.p, aList));
      await expect(r2.json()).rejects.toThrow();
      expect(emu.files()).toHaveLength(before + 1);
    });
  });
});

describe('complete-upload failures', () => {
  it('fails once BEFORE taking effect: 500, nothing stored, a retry stores it', async () => {
    const { data, p } = await smallUpload();
    const list = await putAllParts(data, p);
    const before = emu.files().length;
    emu.faults.failCompleteBefore();
    const res = await complete(emu.baseUrl, emu.token, completeBody(data, p, list));
    expect(res.status).toBe(500);
    expect(emu.files()).toHaveLength(before);
    expect(emu.pendingUploads()).toContain(p.uploadId);
    expect((await complete(emu.baseUrl, emu.token, completeBody(data, p, list))).status).toBe(200);
    expect(emu.files()).toHaveLength(before + 1);
  });

  it('fails AFTER taking effect by dropping the connection; the retry answers the same File Model, one file', async () => {
    const { data, p } = await smallUpload();
    const list = await putAllParts(data, p);
    const before = emu.files().length;
    emu.faults.failCompleteAfter();
    await expect(complete(emu.baseUrl, emu.token, completeBody(data, p, list))).rejects.toThrow();
    expect(emu.files()).toHaveLength(before + 1);
    const retry = await complete(emu.baseUrl, emu.token, completeBody(data, p, list));
    expect(retry.status).toBe(200);
    const model = (await retry.json()) as { id: string };
    expect(model.id).toBe(p.fileId);
    expect(emu.files()).toHaveLength(before + 1);
  });

  it('fails AFTER taking effect with a 500', async () => {
    const { data, p } = await smallUpload();
    const list = await putAllParts(data, p);
    const before = emu.files().length;
    emu.faults.failCompleteAfter({ mode: 500 });
    expect((await complete(emu.baseUrl, emu.token, completeBody(data, p, list))).status).toBe(500);
    expect(emu.files()).toHaveLength(before + 1);
    expect((await complete(emu.baseUrl, emu.token, completeBody(data, p, list))).status).toBe(200);
    expect(emu.files()).toHaveLength(before + 1);
  });

  it('an after-fault waits for a completion that succeeds (a refused one does not use it up)', async () => {
    const { data, p } = await smallUpload();
    const list = await putAllParts(data, p);
    emu.faults.failCompleteAfter({ mode: 500 });
    expect((await complete(emu.baseUrl, emu.token, completeBody(data, p, list, { duration: 1 }))).status).toBe(422);
    expect((await complete(emu.baseUrl, emu.token, completeBody(data, p, list))).status).toBe(500);
  });
});

describe('fault bookkeeping', () => {
  it('refuses nonsense settings', () => {
    expect(() => emu.faults.failPart(1, { times: 0 })).toThrow(/times/);
    expect(() => emu.faults.expireUrlsAfter(0)).toThrow(/seconds/);
  });

  it('clear() heals every switch', async () => {
    const { data, p } = await smallUpload();
    emu.faults.failPart(1, { times: Infinity });
    emu.faults.rateLimit({ target: 'all', times: Infinity });
    emu.faults.failCompleteBefore({ times: Infinity });
    emu.faults.clear();
    const list = await putAllParts(data, p);
    expect((await complete(emu.baseUrl, emu.token, completeBody(data, p, list))).status).toBe(200);
  });
});
