// The ledger's record type and its schema. One record per recording on a recorder, identified by
// the device serial plus the recording's identity on the device (relative path, size, start time).
import { z } from 'zod';
import { SN_TYPES, UPLOAD_FORMATS } from '../types.js';

export const RECORD_STATES = [
  'discovered', // seen on the recorder, nothing copied yet
  'pulling', // being copied into the library
  'pulled', // verified copy in the library + upload-ready file; waiting for an upload slot
  'uploading', // multipart session open; finished parts are recorded one by one
  'completing', // complete-upload sent; the answer decides synced or failed
  'synced', // the cloud confirmed it (terminal)
  'failed', // last attempt failed; see failure.nextTryAt
  'skipped', // deliberately not synced (reason says why)
] as const;
export type RecordState = (typeof RECORD_STATES)[number];

const sourceFile = z.object({ relPath: z.string(), size: z.number().int().nonnegative(), mtimeMs: z.number() });

export const pulledInfoSchema = z.object({
  /** Verified library copies of the device files (one per source file). */
  files: z.array(z.object({ relPath: z.string(), libraryPath: z.string(), size: z.number().int().nonnegative(), md5: z.string().regex(/^[0-9a-f]{32}$/) })),
  /** The file that will be uploaded (may be one of the library copies, or a converted file). */
  upload: z.object({
    path: z.string(),
    size: z.number().int().nonnegative(),
    md5: z.string().regex(/^[0-9a-f]{32}$/),
    filetype: z.enum(UPLOAD_FORMATS),
    durationMs: z.number().nonnegative(),
  }),
  pulledAt: z.number(),
});
export type PulledInfo = z.infer<typeof pulledInfoSchema>;

export const partSchema = z.object({ partNumber: z.number().int().min(1).max(10_000), etag: z.string().min(1) });
export type UploadedPart = z.infer<typeof partSchema>;

export const uploadInfoSchema = z.object({
  fileId: z.string().min(1),
  uploadId: z.string().min(1),
  partSize: z.number().int().positive(),
  partCount: z.number().int().positive().optional(),
  /** Finished parts, sorted by partNumber, one entry per part. */
  parts: z.array(partSchema),
  startedAt: z.number(),
  /** The session's presigned part URLs, so a resume after a restart reuses the session until they expire. */
  urls: z.array(z.object({ partNumber: z.number().int().min(1), url: z.string().min(1) })).optional(),
  urlsExpireAt: z.number().optional(),
  /** An earlier, abandoned session of this recording may have become a cloud file (uploader policy). */
  possibleDuplicate: z.boolean().optional(),
});
export type UploadInfo = z.infer<typeof uploadInfoSchema>;

export const recordSchema = z.object({
  id: z.string().min(1),
  sn: z.string().min(1),
  sn_type: z.enum(SN_TYPES),
  deviceId: z.string(),
  kind: z.enum(['note', 'call']),
  relBase: z.string().min(1),
  startMs: z.number(),
  durationMs: z.number().nonnegative(),
  endMs: z.number(),
  /** Identity size: the sum of the source files' sizes on the device. */
  size: z.number().int().nonnegative(),
  source: z.object({
    wav: sourceFile.optional(),
    asr: sourceFile.extend({ format: z.enum(['raw-opus', 'ogg-opus']) }).optional(),
  }),
  state: z.enum(RECORD_STATES),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** When the record last entered each state. */
  stateAt: z.partialRecord(z.enum(RECORD_STATES), z.number()),
  /** Failures so far (not reset by a retry; the engine's backoff reads it). */
  attempts: z.number().int().nonnegative(),
  pulled: pulledInfoSchema.optional(),
  upload: uploadInfoSchema.optional(),
  synced: z.object({ cloudFileId: z.string().min(1), syncedAt: z.number(), possibleDuplicate: z.boolean() }).optional(),
  failure: z
    .object({
      reason: z.string(),
      code: z.string().optional(),
      /** State the record was in when it failed: a retry usually goes back near there. */
      fromState: z.enum(RECORD_STATES),
      attempts: z.number().int().nonnegative(),
      nextTryAt: z.number().nullable(),
      at: z.number(),
    })
    .optional(),
  skipped: z.object({ reason: z.string(), at: z.number() }).optional(),
  /** Remove-after-sync marker: 'pending' is written before the device file is touched, 'done' after. */
  deviceDelete: z.object({ state: z.enum(['pending', 'done']), requestedAt: z.number(), doneAt: z.number().optional() }).optional(),
});

type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** A ledger record. Records handed out are frozen: change them only through the ledger. */
export type LedgerRecord = DeepReadonly<z.infer<typeof recordSchema>>;
/** The mutable shape, used inside the ledger while building a new version of a record. */
export type MutableRecord = z.infer<typeof recordSchema>;

/** What `transition()` may carry, by target state. Unrelated fields are ignored. */
export interface TransitionPatch {
  /** Required when entering 'pulled'. */
  pulled?: Omit<PulledInfo, 'pulledAt'> & { pulledAt?: number };
  /** Required when entering 'uploading' from 'pulled'; optional when resuming from 'failed' (keeps the session). */
  upload?: { fileId: string; uploadId: string; partSize: number; partCount?: number; urls?: { partNumber: number; url: string }[]; urlsExpireAt?: number; possibleDuplicate?: boolean };
  /** Required when entering 'synced'. */
  cloudFileId?: string;
  possibleDuplicate?: boolean;
  /** Required when entering 'failed' or 'skipped'. */
  reason?: string;
  code?: string;
  /** Epoch ms of the next automatic try when entering 'failed'; null = needs the user. */
  nextTryAt?: number | null;
  /** Corrected duration (e.g. measured while pulling). */
  durationMs?: number;
}

export type StateCounts = Record<RecordState, number>;
