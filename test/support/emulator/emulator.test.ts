// The emulator against plain fetch: the whole upload path on real s3rver multipart, auth, every validation refusal,
// idempotent completion, device binding and an outage.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import {
  complete,
  completeBody,
  exchangeToken,
  md5Hex,
  mp3Bytes,
  oggOpusBytes,
  partBytes,
  postJson,
  presign,
  putAllParts,
  putPart,
} from './fixtures.js';

const MiB = 1024 * 1024;
const PRESIGN = '/api/files/upload-s3/generate-presigned-urls';
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ clientId: 'test-client', clientSecret: 'test-secret' });
});
afterAll(async () => {
  await emu?.stop();
});

/** A small one-part opus upload with its parts PUT, ready to complete. */
async function smallUpload(size = 4000, bytes = oggOpusBytes(size)) {
  const p = await presign(emu.baseUrl, emu.token, bytes.length);
  const list = await putAllParts(bytes, p);
  return { data: bytes, p, list };
}

async function expectRefused(res: Response, status: number, pattern: RegExp) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const j = JSON.parse(text) as { message: string; error: string; detail: unknown };
  expect(j.message).toMatch(pattern);
  expect(typeof j.error).toBe('string');
  return j;
}

describe('happy path', () => {
  it('uploads a 2-part 6 MiB opus file through real S3 multipart and stores it byte-identical', async () => {
    const data = oggOpusBytes(6 * MiB + 123);
    const res = await postJson(emu.baseUrl, PRESIGN, emu.token, { filesize: data.length, filetype: 'opus' });
    expect(res.status).toBe(200);
    const raw = (await res.json()) as {
      FileId: string;
      UploadId: string;
      ChunkSize: number;
      Parts: { PartNumber: number; PresignedUrl: string }[];
    };
    expect(Object.keys(raw).sort()).toEqual(['ChunkSize', 'FileId', 'Parts', 'UploadId']);
    expect(raw.ChunkSize).toBe(5 * MiB);
    expect(raw.Parts.map((p) => p.PartNumber)).toEqual([1, 2]);
    for (const part of raw.Parts) {
      const u = new URL(part.PresignedUrl);
      expect(u.origin).toBe(emu.partsEndpoint);
      expect(u.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
      expect(u.searchParams.get('uploadId')).toBe(raw.UploadId);
      expect(u.searchParams.get('partNumber')).toBe(String(part.PartNumber));
    }
    const p = {
      fileId: raw.FileId,
      uploadId: raw.UploadId,
      chunkSize: raw.ChunkSize,
      parts: raw.Parts.map((x) => ({ partNumber: x.PartNumber, url: x.PresignedUrl })),
    };
    const list = await putAllParts(data, p);
    // A part's ETag is the MD5 of its bytes, quoted.
    expect(list[0]!.ETag).toBe(`"${md5Hex(partBytes(data, p, 1))}"`);
    expect(list[1]!.ETag).toBe(`"${md5Hex(partBytes(data, p, 2))}"`);

    const before = emu.files().length;
    const done = await complete(emu.baseUrl, emu.token, completeBody(data, p, list, { owner_id: 'owner-1' }));
    const model = (await done.json()) as Record<string, unknown>;
    expect(done.status, JSON.stringify(model)).toBe(200);
    expect(model).toMatchObject({
      id: p.fileId,
      client_id: 'test-client',
      owner_id: 'owner-1',
      name: '2026-11-25 09.00.00.opus',
      device_id: '880000000000000001',
      duration: 61000,
      timezone: 5,
      zonemins: 30,
    });
    expect(model.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    expect(emu.files()).toHaveLength(before + 1);
    const stored = emu.files().at(-1)!;
    expect(stored).toMatchObject({
      id: p.fileId,
      fileId: p.fileId,
      uploadId: p.uploadId,
      size: data.length,
      md5: md5Hex(data),
    });
    expect(stored.body.sn_type).toBe('note');
    expect((await emu.getObject(p.fileId)).equals(data)).toBe(true);

    // The File Model's presigned_url downloads the same bytes.
    const dl = await fetch(model.presigned_url as string);
    expect(dl.status).toBe(200);
    expect(Buffer.from(await dl.arrayBuffer()).equals(data)).toBe(true);

    const listing = (await (await fetch(`${emu.baseUrl}/__emulator/files`)).json()) as { fileId: string }[];
    expect(listing.map((f) => f.fileId)).toContain(p.fileId);
    expect(emu.pendingUploads()).not.toContain(p.uploadId);
  });

  it('accepts an mp3 (ID3) upload of an exact multiple of the part size', async () => {
    const data = mp3Bytes(5 * MiB);
    const p = await presign(emu.baseUrl, emu.token, data.length, 'mp3');
    expect(p.parts).toHaveLength(1);
    const list = await putAllParts(data, p);
    const res = await complete(
      emu.baseUrl,
      emu.token,
      completeBody(data, p, list, { filetype: 'mp3', filename: 'x.mp3' }),
    );
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { presigned_url_opus: unknown }).presigned_url_opus).toBeNull();
  });

  it('logs every API call and part PUT with its status', async () => {
    const { data, p, list } = await smallUpload();
    await complete(emu.baseUrl, emu.token, completeBody(data, p, list));
    const log = emu
      .requests()
      .filter((r) => r.uploadId === p.uploadId || r.kind === 'api')
      .slice(-3);
    expect(log).toEqual([
      { method: 'POST', path: PRESIGN, status: 200, kind: 'api' },
      expect.objectContaining({ method: 'PUT', status: 200, kind: 's3', partNumber: 1, uploadId: p.uploadId }),
      { method: 'POST', path: '/api/files/upload-s3/complete-upload', status: 200, kind: 'api' },
    ]);
  });
});

describe('multipart at scale and interruption', () => {
  it('assembles a 61 MiB, 13-part upload sent 4 parts at a time', async () => {
    const data = oggOpusBytes(61 * MiB);
    const p = await presign(emu.baseUrl, emu.token, data.length);
    expect(p.parts).toHaveLength(13);
    const list: { PartNumber: number; ETag: string }[] = [];
    const queue = [...p.parts];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let part = queue.shift(); part; part = queue.shift()) {
          const res = await putPart(part.url, partBytes(data, p, part.partNumber));
          expect(res.status).toBe(200);
          list.push({ PartNumber: part.partNumber, ETag: res.headers.get('etag')! });
        }
      }),
    );
    list.sort((a, b) => a.PartNumber - b.PartNumber);
    const res = await complete(emu.baseUrl, emu.token, completeBody(data, p, list));
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await emu.getObject(p.fileId)).equals(data)).toBe(true);
  });

  it('keeps the previous copy of a part when its re-upload is cut off midway (as S3 does)', async () => {
    const data = oggOpusBytes(3000);
    const p = await presign(emu.baseUrl, emu.token, data.length);
    const list = await putAllParts(data, p);
    // Start sending a different body for part 1, then cut the connection halfway.
    const other = oggOpusBytes(3000);
    await new Promise<void>((resolve) => {
      const req = http.request(p.parts[0]!.url, { method: 'PUT', headers: { 'Content-Length': String(other.length) } });
      req.on('error', () => resolve());
      req.write(other.subarray(0, 1500), () => setTimeout(() => req.destroy(), 100));
    });
    // Let the proxy and s3rver notice the cut.
    await new Promise((r) => setTimeout(r, 200));
    const res = await complete(emu.baseUrl, emu.token, completeBody(data, p, list));
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await emu.getObject(p.fileId)).equals(data)).toBe(true);
  });
});

describe('auth', () => {
  it('exchanges client id and secret for a token that works', async () => {
    const res = await exchangeToken(emu.baseUrl, 'test-client', 'test-secret');
    expect(res.status).toBe(200);
    const { api_token } = (await res.json()) as { api_token: string };
    expect(api_token).toMatch(/^emu_/);
    const p = await presign(emu.baseUrl, api_token, 100);
    expect(p.parts).toHaveLength(1);
  });

  it('refuses wrong credentials with 401 JSON', async () => {
    await expectRefused(await exchangeToken(emu.baseUrl, 'test-client', 'wrong'), 401, /client id or secret/);
    await expectRefused(
      await fetch(`${emu.baseUrl}/apis/oauth/api-token`, { method: 'POST' }),
      401,
      /missing Authorization/,
    );
  });

  it('refuses API calls without or with an unknown token', async () => {
    await expectRefused(
      await postJson(emu.baseUrl, PRESIGN, null, { filesize: 1, filetype: 'opus' }),
      401,
      /missing Authorization/,
    );
    await expectRefused(
      await postJson(emu.baseUrl, PRESIGN, 'emu_nope', { filesize: 1, filetype: 'opus' }),
      401,
      /invalid or has been revoked/,
    );
    await expectRefused(await postJson(emu.baseUrl, '/api/devices/bind', 'emu_nope', {}), 401, /invalid/);
  });

  it('answers 404 JSON for an unknown endpoint', async () => {
    await expectRefused(await postJson(emu.baseUrl, '/api/nothing', emu.token, {}), 404, /no such endpoint/);
  });
});

describe('generate-presigned-urls validation', () => {
  it.each([
    [{ filesize: 0, filetype: 'opus' }, /filesize/],
    [{ filesize: -5, filetype: 'opus' }, /filesize/],
    [{ filesize: 1.5, filetype: 'opus' }, /filesize/],
    [{ filesize: '100', filetype: 'opus' }, /filesize/],
    [{ filesize: 100, filetype: 'wav' }, /filetype/],
    [{ filesize: 100 }, /filetype/],
  ])('refuses %j with 422', async (body, pattern) => {
    const j = await expectRefused(await postJson(emu.baseUrl, PRESIGN, emu.token, body), 422, pattern);
    expect(Array.isArray(j.detail)).toBe(true);
  });

  it('refuses a body that is not JSON', async () => {
    const res = await fetch(`${emu.baseUrl}${PRESIGN}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${emu.token}` },
      body: '{nope',
    });
    await expectRefused(res, 400, /not valid JSON/);
  });

  it('refuses a file needing more than 10,000 parts, and sizes part counts by ceil(filesize / part size)', async () => {
    await expectRefused(
      await postJson(emu.baseUrl, PRESIGN, emu.token, { filesize: 10_000 * 5 * MiB + 1, filetype: 'opus' }),
      400,
      /10001 parts/,
    );
    expect((await presign(emu.baseUrl, emu.token, 10 * MiB)).parts).toHaveLength(2);
    expect((await presign(emu.baseUrl, emu.token, 10 * MiB + 1)).parts).toHaveLength(3);
  });
});

describe('complete-upload validation (nothing stored on refusal)', () => {
  const cases: [string, Record<string, unknown>, number, RegExp][] = [
    ['sn_type outside the enum', { sn_type: 'notex' }, 422, /sn_type/],
    ['filetype outside opus|mp3', { filetype: 'wav' }, 422, /filetype/],
    ['neither sn nor owner_id', { sn: null, owner_id: null }, 422, /sn or owner_id/],
    ['start after end', { end_time: Date.UTC(2026, 10, 25, 8, 0, 0), duration: 1000 }, 422, /before end_time/],
    ['duration 0', { duration: 0 }, 422, /duration must be > 0/],
    ['duration inconsistent with the times', { duration: 59_000 }, 422, /differs from end_time - start_time/],
    ['times in seconds', { start_time: 1795597200, end_time: 1795597261 }, 422, /looks like seconds/],
    ['zonemins of the wrong sign', { timezone: -3, zonemins: 30 }, 422, /sign of timezone/],
    ['zonemins not a quarter hour', { zonemins: 20 }, 422, /quarter-hour/],
    ['file_md5 not hex', { file_md5: 'abc' }, 422, /32 hex/],
    ['missing file_md5 (strict)', { file_md5: undefined }, 422, /file_md5 is required/],
    ['empty part_list', { part_list: [] }, 422, /part_list/],
    ['filetype other than the upload was started for', { filetype: 'mp3' }, 400, /differs from the opus/],
    ['a file_id of another upload', { file_id: 'ffffffffffffffffffffffff' }, 400, /does not belong/],
  ];
  it.each(cases)('%s', async (_name, over, status, pattern) => {
    const { data, p, list } = await smallUpload();
    const before = emu.files().length;
    await expectRefused(await complete(emu.baseUrl, emu.token, completeBody(data, p, list, over)), status, pattern);
    expect(emu.files()).toHaveLength(before);
    // The upload is still usable: the same upload completes once the body is right.
    const ok = await complete(emu.baseUrl, emu.token, completeBody(data, p, list));
    expect(ok.status).toBe(200);
    expect(emu.files()).toHaveLength(before + 1);
  });

  it('404s an unknown upload id', async () => {
    const { data, p, list } = await smallUpload();
    await expectRefused(
      await complete(emu.baseUrl, emu.token, completeBody(data, p, list, { upload_id: 'deadbeef' })),
      404,
      /unknown or was aborted/,
    );
  });

  it('404s an aborted upload, and refuses its parts like S3 (NoSuchUpload)', async () => {
    const { data, p, list } = await smallUpload();
    await emu.abortUpload(p.uploadId);
    await expectRefused(
      await complete(emu.baseUrl, emu.token, completeBody(data, p, list)),
      404,
      /unknown or was aborted/,
    );
    const put = await putPart(p.parts[0]!.url, data);
    expect(put.status).toBe(404);
    expect(await put.text()).toContain('<Code>NoSuchUpload</Code>');
  });

  describe('part checks against what S3 holds', () => {
    const data = oggOpusBytes(11 * MiB);
    it('refuses a part list lacking a part, then completes once the list is whole', async () => {
      const p = await presign(emu.baseUrl, emu.token, data.length);
      const list = await putAllParts(data, p);
      await expectRefused(
        await complete(emu.baseUrl, emu.token, completeBody(data, p, list.slice(0, 2))),
        400,
        /lacks part\(s\) 3 of 3/,
      );
      await expectRefused(
        await complete(emu.baseUrl, emu.token, completeBody(data, p, [list[1]!, list[0]!, list[2]!])),
        400,
        /ascending PartNumber/,
      );
      await expectRefused(
        await complete(emu.baseUrl, emu.token, completeBody(data, p, [...list, { PartNumber: 4, ETag: '"x"' }])),
        400,
        /names part\(s\) 4/,
      );
      const wrong = list.map((x, i) => (i === 1 ? { ...x, ETag: `"${md5Hex(Buffer.from('other'))}"` } : x));
      await expectRefused(
        await complete(emu.baseUrl, emu.token, completeBody(data, p, wrong)),
        400,
        /ETag .* for part 2 does not match/,
      );
      // ETags are accepted with or without their quotes, as S3 does.
      const unquoted = list.map((x) => ({ ...x, ETag: x.ETag.replace(/"/g, '') }));
      expect((await complete(emu.baseUrl, emu.token, completeBody(data, p, unquoted))).status).toBe(200);
    });

    it('refuses a part that was never uploaded', async () => {
      const p = await presign(emu.baseUrl, emu.token, data.length);
      const r1 = await putPart(p.parts[0]!.url, partBytes(data, p, 1));
      const r3 = await putPart(p.parts[2]!.url, partBytes(data, p, 3));
      const list = [
        { PartNumber: 1, ETag: r1.headers.get('etag')! },
        { PartNumber: 2, ETag: `"${md5Hex(partBytes(data, p, 2))}"` },
        { PartNumber: 3, ETag: r3.headers.get('etag')! },
      ];
      await expectRefused(
        await complete(emu.baseUrl, emu.token, completeBody(data, p, list)),
        400,
        /part\(s\) 2 were never uploaded/,
      );
    });

    it('refuses a middle part shorter than the part size', async () => {
      const p = await presign(emu.baseUrl, emu.token, data.length);
      const short = partBytes(data, p, 1).subarray(0, 5 * MiB - 1);
      const r1 = await putPart(p.parts[0]!.url, short);
      const rest = (await putAllParts(data, p)).slice(1);
      const list = [{ PartNumber: 1, ETag: r1.headers.get('etag')! }, ...rest];
      // Part 1 was overwritten by putAllParts; re-PUT the short one so S3 holds it.
      await putPart(p.parts[0]!.url, short);
      await expectRefused(
        await complete(emu.baseUrl, emu.token, completeBody(data, p, list)),
        400,
        /part 1 is 5242879 bytes/,
      );
    });
  });

  it('refuses a file_md5 that does not match the assembled object, keeps nothing, and 409s a retry', async () => {
    const { data, p, list } = await smallUpload();
    const before = emu.files().length;
    const other = md5Hex(Buffer.from('something else'));
    await expectRefused(
      await complete(emu.baseUrl, emu.token, completeBody(data, p, list, { file_md5: other })),
      400,
      /does not match the MD5/,
    );
    expect(emu.files()).toHaveLength(before);
    await expectRefused(await complete(emu.baseUrl, emu.token, completeBody(data, p, list)), 409, /already refused/);
  });

  it('refuses content that does not match the filetype', async () => {
    const wav = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1'), Buffer.alloc(2000)]);
    const { data, p, list } = await smallUpload(0, wav);
    await expectRefused(
      await complete(emu.baseUrl, emu.token, completeBody(data, p, list)),
      400,
      /filetype is opus but the uploaded content is a RIFF\/WAV file/,
    );
    const mp3 = mp3Bytes(3000);
    const up = await smallUpload(0, mp3);
    await expectRefused(
      await complete(emu.baseUrl, emu.token, completeBody(up.data, up.p, up.list)),
      400,
      /content is MP3/,
    );
  });
});

describe('idempotent completion', () => {
  it('answers the same File Model when the same upload is completed again, storing one file', async () => {
    const { data, p, list } = await smallUpload();
    const before = emu.files().length;
    const first = await (await complete(emu.baseUrl, emu.token, completeBody(data, p, list))).json();
    const again = await complete(emu.baseUrl, emu.token, completeBody(data, p, list));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(first);
    expect(emu.files()).toHaveLength(before + 1);
  });

  it('refuses to complete a used upload id with a different file (409), and reports real duplicates', async () => {
    const { data, p, list } = await smallUpload();
    expect((await complete(emu.baseUrl, emu.token, completeBody(data, p, list))).status).toBe(200);
    await expectRefused(
      await complete(emu.baseUrl, emu.token, completeBody(data, p, list, { file_md5: md5Hex(Buffer.from('x')) })),
      409,
      /already completed with a file of MD5/,
    );
    expect(
      emu
        .duplicates()
        .flat()
        .map((f) => f.fileId),
    ).not.toContain(p.fileId);
    // The same recording uploaded again under a new upload is a duplicate cloud file.
    const p2 = await presign(emu.baseUrl, emu.token, data.length);
    const list2 = await putAllParts(data, p2);
    expect((await complete(emu.baseUrl, emu.token, completeBody(data, p2, list2))).status).toBe(200);
    const dup = emu.duplicates().find((g) => g.some((f) => f.fileId === p.fileId));
    expect(dup?.map((f) => f.fileId).sort()).toEqual([p.fileId, p2.fileId].sort());
  });

  it('stores one file when two completions of the same upload race', async () => {
    const { data, p, list } = await smallUpload();
    const before = emu.files().length;
    const [a, b] = await Promise.all([
      complete(emu.baseUrl, emu.token, completeBody(data, p, list)),
      complete(emu.baseUrl, emu.token, completeBody(data, p, list)),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await a.json()).toEqual(await b.json());
    expect(emu.files()).toHaveLength(before + 1);
  });
});

describe('presigned URL signatures (checked like S3; s3rver does not)', () => {
  it('refuses a tampered signature, a changed query and a missing Content-Length', async () => {
    const data = oggOpusBytes(1000);
    const p = await presign(emu.baseUrl, emu.token, data.length);
    const url = new URL(p.parts[0]!.url);
    const sig = url.searchParams.get('X-Amz-Signature')!;
    url.searchParams.set('X-Amz-Signature', sig.replace(/^./, sig[0] === '0' ? '1' : '0'));
    const bad = await putPart(url.toString(), data);
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain('<Code>SignatureDoesNotMatch</Code>');

    const other = new URL(p.parts[0]!.url);
    other.searchParams.set('partNumber', '2');
    expect((await putPart(other.toString(), data)).status).toBe(403);

    // Streaming without a length goes out chunked, which S3 refuses for parts.
    const chunked = await fetch(p.parts[0]!.url, {
      method: 'PUT',
      body: new Blob([data]).stream(),
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    expect(chunked.status).toBe(411);

    expect((await putPart(p.parts[0]!.url, data)).status).toBe(200);
  });
});

describe('device binding', () => {
  it('binds and unbinds, and validates the body', async () => {
    const body = { owner_id: 'owner-9', sn: '882000000000000009', sn_type: 'notepin' };
    const bound = await postJson(emu.baseUrl, '/api/devices/bind', emu.token, body);
    expect(bound.status).toBe(200);
    expect(emu.bindings()).toContainEqual({ ...body, bound: true });
    const unbound = await postJson(emu.baseUrl, '/api/devices/unbind', emu.token, body);
    expect(unbound.status).toBe(200);
    expect(emu.bindings()).toContainEqual({ ...body, bound: false });
    await expectRefused(await postJson(emu.baseUrl, '/api/devices/unbind', emu.token, body), 404, /not bound/);
    await expectRefused(
      await postJson(emu.baseUrl, '/api/devices/bind', emu.token, { ...body, sn_type: 'watch' }),
      422,
      /sn_type/,
    );
    await expectRefused(
      await postJson(emu.baseUrl, '/api/devices/bind', emu.token, { sn: 'x', sn_type: 'note' }),
      422,
      /owner_id/,
    );
  });
});

describe('outage', () => {
  it('goes offline and comes back on the same port with tokens and uploads intact', async () => {
    const p = await presign(emu.baseUrl, emu.token, 1000);
    await emu.goOffline();
    await expect(fetch(`${emu.baseUrl}/__emulator/health`)).rejects.toThrow();
    await expect(putPart(p.parts[0]!.url, oggOpusBytes(1000))).rejects.toThrow();
    await emu.goOnline();
    expect((await fetch(`${emu.baseUrl}/__emulator/health`)).status).toBe(200);
    const data = oggOpusBytes(1000);
    const list = await putAllParts(data, p);
    expect((await complete(emu.baseUrl, emu.token, completeBody(data, p, list))).status).toBe(200);
  });

  it('can take only the API down while parts still upload', async () => {
    const p = await presign(emu.baseUrl, emu.token, 1000);
    await emu.goOffline('api');
    try {
      await expect(fetch(`${emu.baseUrl}/__emulator/health`)).rejects.toThrow();
      expect((await putPart(p.parts[0]!.url, oggOpusBytes(1000))).status).toBe(200);
    } finally {
      await emu.goOnline();
    }
  });
});
