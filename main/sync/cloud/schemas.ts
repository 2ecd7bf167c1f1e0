// Schemas for every answer the Plaud API gives us. Nothing from the network is used unvalidated.
// The generate-presigned-urls answer's field casing is not documented for this path, so both the
// PascalCase form of the sibling API and a snake_case form are accepted and normalised to one shape.
import { z } from 'zod';
import { SN_TYPES, UPLOAD_FORMATS } from '../types.js';

const nonEmpty = z.string().min(1);
const partNumber = z.number().int().min(1).max(10_000);
const httpUrl = z.string().regex(/^https?:\/\//i, 'must be an http(s) URL');

const PascalPresigned = z.object({
  FileId: nonEmpty,
  UploadId: nonEmpty,
  ChunkSize: z.number().int().positive(),
  Parts: z.array(z.object({ PartNumber: partNumber, PresignedUrl: httpUrl })).min(1),
});
const SnakePresigned = z.object({
  file_id: nonEmpty,
  upload_id: nonEmpty,
  chunk_size: z.number().int().positive(),
  parts: z.array(z.object({ part_number: partNumber, presigned_url: httpUrl })).min(1),
});

/** One upload session as the rest of the code sees it, whatever casing the server used. */
export interface PresignedUpload {
  fileId: string;
  uploadId: string;
  partSize: number;
  /** Sorted by partNumber, numbered 1..n without gaps. */
  parts: { partNumber: number; url: string }[];
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Name the first few things that were wrong, by field path, in plain words. */
export function describeIssues(err: z.ZodError, max = 4): string {
  const parts = err.issues
    .slice(0, max)
    .map((i) => `${i.path.length ? i.path.join('.') : '(whole answer)'}: ${i.message}`);
  if (err.issues.length > max) parts.push(`and ${err.issues.length - max} more`);
  return parts.join('; ');
}

export function parsePresigned(body: unknown): ParseResult<PresignedUpload> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, problem: 'the answer is not a JSON object' };
  }
  const looksPascal = 'FileId' in body || 'UploadId' in body || 'Parts' in body;
  const looksSnake = 'file_id' in body || 'upload_id' in body || 'parts' in body;
  let value: PresignedUpload;
  if (looksPascal && !looksSnake) {
    const r = PascalPresigned.safeParse(body);
    if (!r.success) return { ok: false, problem: describeIssues(r.error) };
    value = {
      fileId: r.data.FileId,
      uploadId: r.data.UploadId,
      partSize: r.data.ChunkSize,
      parts: r.data.Parts.map((p) => ({ partNumber: p.PartNumber, url: p.PresignedUrl })),
    };
  } else if (looksSnake && !looksPascal) {
    const r = SnakePresigned.safeParse(body);
    if (!r.success) return { ok: false, problem: describeIssues(r.error) };
    value = {
      fileId: r.data.file_id,
      uploadId: r.data.upload_id,
      partSize: r.data.chunk_size,
      parts: r.data.parts.map((p) => ({ partNumber: p.part_number, url: p.presigned_url })),
    };
  } else if (looksPascal && looksSnake) {
    return { ok: false, problem: 'the answer mixes PascalCase (FileId, Parts) and snake_case (file_id, parts) fields' };
  } else {
    const keys = Object.keys(body).slice(0, 6).join(', ') || 'none';
    return {
      ok: false,
      problem: `expected FileId/UploadId/ChunkSize/Parts (or file_id/upload_id/chunk_size/parts); got fields: ${keys}`,
    };
  }
  value.parts.sort((a, b) => a.partNumber - b.partNumber);
  for (let i = 0; i < value.parts.length; i++) {
    if (value.parts[i]!.partNumber !== i + 1)
      return { ok: false, problem: `part numbers must run 1..${value.parts.length} without gaps or repeats` };
  }
  return { ok: true, value };
}

/** Check a session against the file it is for: S3 rules and the part count the size implies. */
export function checkSessionFits(s: PresignedUpload, filesize: number): string | undefined {
  const expected = Math.max(1, Math.ceil(filesize / s.partSize));
  if (s.parts.length !== expected) {
    return `the server chose a part size of ${s.partSize} bytes and ${s.parts.length} parts, but a ${filesize}-byte file needs ${expected}`;
  }
  if (s.parts.length > 1 && s.partSize < 5 * 1024 * 1024)
    return `part size ${s.partSize} is below the S3 minimum of 5 MiB`;
  return undefined;
}

const nullableStr = z.string().nullable().optional();
const nullableInt = z.number().nullable().optional();

/** The contract's File Model. Only `id` is required by us (it is the cloud file id); the rest is kept as sent. */
export const FileModelSchema = z.looseObject({
  id: nonEmpty,
  client_id: nullableStr,
  owner_id: nullableStr,
  name: nullableStr,
  bot_id: nullableStr,
  device_id: nullableStr,
  start_time: nullableInt,
  end_time: nullableInt,
  duration: nullableInt,
  timezone: nullableInt,
  zonemins: nullableInt,
  group_id: nullableStr,
  children_ids: z.array(z.unknown()).nullable().optional(),
  parent_id: nullableStr,
  parent_clips: z.array(z.unknown()).nullable().optional(),
  data: z.unknown().optional(),
  presigned_url: nullableStr,
  presigned_url_opus: nullableStr,
  created_at: nullableStr,
});
export type FileModel = z.infer<typeof FileModelSchema>;

export const TokenAnswerSchema = z.looseObject({ api_token: nonEmpty });

/** Whatever bind/unbind answer, it must be a JSON object (its fields are not documented). */
export const DeviceAnswerSchema = z.record(z.string(), z.unknown());

/** The complete-upload request body of the contract. */
export const CompleteUploadBodySchema = z
  .object({
    file_id: nonEmpty,
    upload_id: nonEmpty,
    part_list: z.array(z.object({ PartNumber: partNumber, ETag: nonEmpty })).min(1),
    filetype: z.enum(UPLOAD_FORMATS),
    sn_type: z.enum(SN_TYPES),
    sn: z.string().min(1).optional(),
    owner_id: z.string().min(1).optional(),
    filename: z.string().min(1),
    file_md5: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits'),
    start_time: z.number().int().nonnegative(),
    end_time: z.number().int().nonnegative(),
    duration: z.number().int().nonnegative(),
    timezone: z.number().int().min(-14).max(14),
    zonemins: z.number().int().min(-59).max(59),
  })
  .refine((b) => b.sn !== undefined || b.owner_id !== undefined, { message: 'set sn or owner_id', path: ['sn'] })
  .refine((b) => b.end_time >= b.start_time, { message: 'end_time is before start_time', path: ['end_time'] });
export type CompleteUploadBody = z.infer<typeof CompleteUploadBodySchema>;

export const DeviceBodySchema = z.object({ owner_id: nonEmpty, sn: nonEmpty, sn_type: z.enum(SN_TYPES) });
export type DeviceBody = z.infer<typeof DeviceBodySchema>;
