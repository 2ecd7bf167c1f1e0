// The ledger's record type and its schema. One record per take of a recording on a recorder, identified by the
// device serial, the recording's path on the device and its take number (see main/sync/recording/identity.ts).
import { z } from 'zod';
import { SN_TYPES, UPLOAD_FORMATS, type UploadedPart } from '../types.js';
import { fingerprintSchema } from '../recording/fingerprint.js';

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
  files: z.array(
    z.object({
      relPath: z.string(),
      libraryPath: z.string(),
      size: z.number().int().nonnegative(),
      md5: z.string().regex(/^[0-9a-f]{32}$/),
    }),
  ),
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

export type { UploadedPart };
export const partSchema = z.object({
  partNumber: z.number().int().min(1).max(10_000),
  etag: z.string().min(1),
}) satisfies z.ZodType<UploadedPart>;

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
  /** 1 for the first recording under this name; 2, 3, ... for different recordings that reused it (clock reset). */
  take: z.number().int().min(1),
  startMs: z.number(),
  durationMs: z.number().nonnegative(),
  endMs: z.number(),
  /** The sum of the source files' sizes on the device, as last seen (not identity). */
  size: z.number().int().nonnegative(),
  /** Sizes and first-bytes MD5s of the files this take was pulled from: tells this take from another one. */
  fingerprint: fingerprintSchema.optional(),
  /** When the recorder was last seen without this take's files (deleted there, by us or by the user). */
  offDevice: z.number().optional(),
  /**
   * The recorder holds a changed version of this take (a file grew, shrank or went away) after its upload began. Not
   * uploaded by itself: the user chooses (engine.uploadNewerVersion). Sizes as seen, to recognise the same change.
   */
  changedOnDevice: z
    .object({ at: z.number(), wavSize: z.number().optional(), asrSize: z.number().optional() })
    .optional(),
  /** The take whose newer version this one is (uploadNewerVersion). */
  supersedes: z.string().optional(),
  /** Other cloud files of this same take (a format-1 ledger could upload a recording twice: kept, not hidden). */
  alsoUploaded: z.array(z.object({ cloudFileId: z.string().min(1), syncedAt: z.number() })).optional(),
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
  deviceDelete: z
    .object({ state: z.enum(['pending', 'done']), requestedAt: z.number(), doneAt: z.number().optional() })
    .optional(),
});

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A ledger record. Records handed out are frozen: change them only through the ledger. */
export type LedgerRecord = DeepReadonly<z.infer<typeof recordSchema>>;
/** The mutable shape, used inside the ledger while building a new version of a record. */
export type MutableRecord = z.infer<typeof recordSchema>;

/** What `transition()` may carry, by target state. Unrelated fields are ignored. */
export interface TransitionPatch {
  /** Required when entering 'pulled'. */
  pulled?: Omit<PulledInfo, 'pulledAt'> & { pulledAt?: number };
  /** Required when entering 'uploading' from 'pulled'; optional when resuming from 'failed' (keeps the session). */
  upload?: {
    fileId: string;
    uploadId: string;
    partSize: number;
    partCount?: number;
    urls?: { partNumber: number; url: string }[];
    urlsExpireAt?: number;
    possibleDuplicate?: boolean;
  };
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

/** Fields that change without a state change (ledger.amend): what the recorder shows now, the take's fingerprint. */
export interface AmendPatch {
  source?: MutableRecord['source'];
  size?: number;
  durationMs?: number;
  fingerprint?: MutableRecord['fingerprint'];
  /** null clears. */
  offDevice?: number | null;
  /** null clears. */
  changedOnDevice?: MutableRecord['changedOnDevice'] | null;
  /** Library copies of the source files (a partner file joined a take whose upload already began). */
  pulledFiles?: PulledInfo['files'];
  /** Where the upload-ready file is now (the library moved it: readable names, library/migrate-layout.ts). */
  pulledUploadPath?: string;
  /** The upload-ready file was made again from the library's originals (it had been deleted or moved away). */
  pulledUpload?: { path: string; size: number; md5: string; durationMs: number };
}

export type StateCounts = Record<RecordState, number>;
