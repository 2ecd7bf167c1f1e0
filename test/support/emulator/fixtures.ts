// Helpers for tests that talk to the emulator with plain fetch: audio-looking payloads, the token exchange, and a
// straightforward (non-resilient) upload, so each test can break one step on purpose.
import { createHash, randomBytes } from 'node:crypto';

/**
 * An Ogg page carrying an OpusHead packet, then `size` bytes in total of filler. Passes the emulator's opus sniffing.
 */
export function oggOpusBytes(size: number): Buffer {
  const head = Buffer.alloc(27 + 1 + 19);
  head.write('OggS', 0, 'latin1');
  head[4] = 0; // version
  head[5] = 0x02; // beginning of stream
  head.writeUInt32LE(0x1234, 14); // serial
  head[26] = 1; // one segment
  head[27] = 19; // of 19 bytes: the OpusHead packet
  head.write('OpusHead', 28, 'latin1');
  head[36] = 1; // version
  head[37] = 1; // mono
  head.writeUInt16LE(312, 38); // pre-skip
  head.writeUInt32LE(16000, 40); // input rate
  if (size < head.length) throw new Error(`an Ogg Opus fixture needs at least ${head.length} bytes`);
  return Buffer.concat([head, randomBytes(size - head.length)]);
}

/** An ID3v2 tag start, then filler. */
export function mp3Bytes(size: number): Buffer {
  const head = Buffer.from('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000', 'latin1');
  return Buffer.concat([head, randomBytes(Math.max(0, size - head.length))]);
}

export const md5Hex = (b: Buffer) => createHash('md5').update(b).digest('hex');

export async function exchangeToken(baseUrl: string, clientId: string, secret: string): Promise<Response> {
  return fetch(`${baseUrl}/apis/oauth/api-token`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
  });
}

export function postJson(baseUrl: string, path: string, token: string | null, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  return fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

export interface Presigned {
  fileId: string;
  uploadId: string;
  chunkSize: number;
  parts: { partNumber: number; url: string }[];
}

/** Normalises either casing of the presigned-urls answer (no validation: tests assert on the raw form separately). */
export function normalisePresigned(j: Record<string, unknown>): Presigned {
  if ('FileId' in j) {
    const parts = j.Parts as { PartNumber: number; PresignedUrl: string }[];
    return {
      fileId: j.FileId as string,
      uploadId: j.UploadId as string,
      chunkSize: j.ChunkSize as number,
      parts: parts.map((p) => ({ partNumber: p.PartNumber, url: p.PresignedUrl })),
    };
  }
  const parts = j.parts as { part_number: number; presigned_url: string }[];
  return {
    fileId: j.file_id as string,
    uploadId: j.upload_id as string,
    chunkSize: j.chunk_size as number,
    parts: parts.map((p) => ({ partNumber: p.part_number, url: p.presigned_url })),
  };
}

export async function presign(
  baseUrl: string,
  token: string,
  filesize: number,
  filetype: 'opus' | 'mp3' = 'opus',
): Promise<Presigned> {
  const res = await postJson(baseUrl, '/api/files/upload-s3/generate-presigned-urls', token, { filesize, filetype });
  if (res.status !== 200) throw new Error(`presign answered ${res.status}: ${await res.text()}`);
  return normalisePresigned((await res.json()) as Record<string, unknown>);
}

export function partBytes(data: Buffer, p: Presigned, partNumber: number): Buffer {
  return data.subarray((partNumber - 1) * p.chunkSize, Math.min(data.length, partNumber * p.chunkSize));
}

export async function putPart(url: string, bytes: Buffer): Promise<Response> {
  return fetch(url, { method: 'PUT', body: bytes });
}

/** PUTs every part in order; returns the part list with the ETags S3 answered. */
export async function putAllParts(data: Buffer, p: Presigned): Promise<{ PartNumber: number; ETag: string }[]> {
  const list: { PartNumber: number; ETag: string }[] = [];
  for (const part of p.parts) {
    const res = await putPart(part.url, partBytes(data, p, part.partNumber));
    if (res.status !== 200) throw new Error(`part ${part.partNumber} answered ${res.status}: ${await res.text()}`);
    list.push({ PartNumber: part.partNumber, ETag: res.headers.get('etag') ?? '' });
  }
  return list;
}

/** A complete-upload body that passes every check for `data`. */
export function completeBody(
  data: Buffer,
  p: Presigned,
  partList: { PartNumber: number; ETag: string }[],
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  const start = Date.UTC(2026, 10, 25, 9, 0, 0);
  const duration = 61_000;
  return {
    file_id: p.fileId,
    upload_id: p.uploadId,
    part_list: partList,
    filetype: 'opus',
    sn_type: 'note',
    sn: '880000000000000001',
    owner_id: null,
    filename: '2026-11-25 09.00.00.opus',
    file_md5: md5Hex(data),
    start_time: start,
    end_time: start + duration,
    duration,
    timezone: 5,
    zonemins: 30,
    ...over,
  };
}

export function complete(baseUrl: string, token: string, body: unknown): Promise<Response> {
  return postJson(baseUrl, '/api/files/upload-s3/complete-upload', token, body);
}
