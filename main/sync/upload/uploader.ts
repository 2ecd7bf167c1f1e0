// Resumable multipart upload of one local recording to the Plaud cloud:
// generate-presigned-urls -> PUT every part (bounded concurrency, retries) -> complete-upload.
//
// ── Duplicate / loss policy ─────────────────────────────────────────────────────────────────────
// A lost recording is worse than a duplicate, and a duplicate is still a defect. So:
//  1. Before complete-upload is sent, `onCompleting` fires with `completing: true` in the state, and
//     the caller persists it. From then on the outcome is UNKNOWN until an answer arrives.
//  2. If the answer is lost (timeout, reset, 5xx, garbled body), complete-upload is retried for the
//     SAME file id and upload id, with the same body. The server answers a repeated completion with
//     the same File Model, so this cannot create a second cloud file. A new session is never started
//     because an answer was lost.
//  3. If retries run out, the upload fails with `completing: true` still in the state; the next run
//     (from the ledger) resumes by retrying the same completion, not by uploading again.
//  4. If the server answers 404 for the completion (it no longer knows that upload: expired, aborted
//     server-side), the only way not to lose the recording is a fresh upload. If any earlier
//     completion for the old upload had an unknown outcome, the old one may have become a cloud file
//     after all, so the result carries `possibleDuplicate: true` for the ledger/UI to tell the user.
//     A 404 with no earlier unknown outcome is a clean restart (no flag).
//  5. A definite rejection (4xx validation, auth) is reported as is; if an earlier try's outcome was
//     unknown the message says the recording may already be in the cloud, and `completing` stays set.
// A 403 / NoSuchUpload on a PART means the presigned URLs expired or the session is gone: the session is
// abandoned (nothing was completed, so no duplicate is possible) and a fresh one is started.
// Over 400 lines: the session, part and completion steps share the policy above and one upload's state; split, the
// policy would be spread over files.
// ─────────────────────────────────────────────────────────────────────────────────────────────────
import { mapPool } from '../worker-pool.js';
import { BufferPool } from '../buffer-pool.js';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { PlaudCloudClient } from '../cloud/client.js';
import { partUrlProblem } from '../cloud/api-base.js';
import { CloudError, isCloudError } from '../cloud/errors.js';
import type { CompleteUploadBody, FileModel, PresignedUpload } from '../cloud/schemas.js';
import { nullLogger, redactString, type Logger } from '../log.js';
import type { SnType, UploadedPart, UploadFormat } from '../types.js';
import { backoffDelay, sleep, type BackoffOptions } from './backoff.js';
import { fileMd5 } from './md5.js';
import { md5Hex, putPart } from './put-part.js';
import { zoneOffsetAt } from './timezone.js';

/** Everything needed to continue an upload later. Plain JSON: the ledger stores it as is. */
export interface UploadState {
  fileId: string;
  uploadId: string;
  partSize: number;
  fileSize: number;
  /**
   * MD5 of the file this session is for; a resume with a different (or unknown) MD5 starts over.
   * Undefined until the whole-file hash finishes when no MD5 was given (it runs alongside the first parts);
   * always set once `completing` is.
   */
  md5?: string;
  /** Finished parts, sorted by partNumber. */
  parts: UploadedPart[];
  /** This session's presigned URLs (reusable until urlsExpireAt). */
  urls?: { partNumber: number; url: string }[];
  /** Epoch ms the URLs stop working, read from their signature (X-Amz-Date + X-Amz-Expires), if known. */
  urlsExpireAt?: number;
  /** complete-upload was sent for this upload id and its outcome is not known yet. */
  completing: boolean;
  /** An earlier, abandoned upload of this file may have become a cloud file (see policy above). */
  possibleDuplicate: boolean;
}

export type UploadStateChange = 'session-started' | 'part-done' | 'completing' | 'completed' | 'complete-rejected';

export interface UploadProgress {
  bytesSent: number;
  totalBytes: number;
  partsDone: number;
  partsTotal: number;
}

export interface RetryInfo {
  what: string;
  attempt: number;
  delayMs: number;
  error: CloudError;
}

/** Hooks are awaited in order: the state a hook receives is persisted before the upload goes on. */
export interface UploadHooks {
  onSessionStarted?(state: UploadState): void | Promise<void>;
  onPartDone?(state: UploadState, part: UploadedPart): void | Promise<void>;
  onCompleting?(state: UploadState): void | Promise<void>;
  /** Every change, including the ones above. */
  onState?(state: UploadState, change: UploadStateChange): void | Promise<void>;
  onProgress?(p: UploadProgress): void;
  onRetry?(info: RetryInfo): void;
}

export interface UploadJob {
  /** The local library copy (never the device). */
  path: string;
  filetype: UploadFormat;
  snType: SnType;
  /** One of sn / ownerId is required. */
  sn?: string;
  ownerId?: string;
  /** Name shown in the cloud; default the file's base name. */
  filename?: string;
  /** Recording start, epoch ms. */
  startTime: number;
  durationMs: number;
  /** Default startTime + durationMs. */
  endTime?: number;
  /** IANA zone for timezone/zonemins; default this machine's zone (at startTime, DST included). */
  timeZone?: string;
  /** Known MD5 hex of the file (the library computed it); skips a hashing pass. */
  md5?: string;
  /** State from an earlier run: only the missing parts are uploaded. */
  resume?: UploadState;
}

export interface UploadResult {
  file: FileModel;
  fileId: string;
  uploadId: string;
  md5: string;
  bytes: number;
  /** Sessions started in this call (0 when a resumed completion finished it). */
  sessionsStarted: number;
  possibleDuplicate: boolean;
}

export type UploadFailureReason =
  | 'empty-file'
  | 'bad-input'
  | 'file-changed'
  | 'read-failed'
  | 'aborted'
  | 'auth'
  | 'start-failed'
  | 'part-failed'
  | 'sessions-exhausted'
  | 'complete-rejected'
  | 'complete-unknown'
  | 'insecure';

export class UploadError extends Error {
  override readonly name = 'UploadError';
  constructor(
    readonly reason: UploadFailureReason,
    message: string,
    /** Whether trying again later may help (network, server, unknown completion). */
    readonly retryable: boolean,
    /** The state to persist for a later resume, when there is one. */
    readonly state?: UploadState,
    options?: { cause?: unknown },
  ) {
    // Upload errors become ledger failure reasons, problems and CLI output: no secret may ride along.
    super(redactString(message), options);
  }
}

export interface UploaderOptions {
  /** Parts in flight at once. Default 4. Memory is about concurrency x part size. */
  concurrency?: number;
  /** Tries per part before giving up. Default 6. */
  maxPartTries?: number;
  /** Tries of generate-presigned-urls / complete-upload. Default 6. */
  maxApiTries?: number;
  /** Fresh sessions per upload() call (expired URLs, lost uploads). Default 3. */
  maxSessions?: number;
  backoff?: BackoffOptions;
  /** Idle timeout of one part PUT. Default 60 s. */
  partIdleTimeoutMs?: number;
  logger?: Logger;
}

class SessionLost extends Error {}

const MIN_URL_LIFETIME_MS = 60_000;

/** When the presigned URLs stop working, from X-Amz-Date + X-Amz-Expires; undefined if not SigV4-style. */
export function presignedExpiry(url: string): number | undefined {
  try {
    const q = new URL(url).searchParams;
    const date = q.get('X-Amz-Date');
    const expires = Number(q.get('X-Amz-Expires'));
    const m = date && /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (!m || !Number.isFinite(expires)) return undefined;
    return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + expires * 1000;
  } catch {
    return undefined;
  }
}

export class MultipartUploader {
  private readonly concurrency: number;
  private readonly maxPartTries: number;
  private readonly maxApiTries: number;
  private readonly maxSessions: number;
  private readonly log: Logger;
  /** Part buffers shared by this uploader's uploads, one per part in flight. */
  private readonly buffers: BufferPool;

  constructor(
    private readonly client: PlaudCloudClient,
    private readonly opts: UploaderOptions = {},
  ) {
    this.concurrency = Math.max(1, Math.min(16, opts.concurrency ?? 4));
    this.buffers = new BufferPool(this.concurrency);
    this.maxPartTries = Math.max(1, opts.maxPartTries ?? 6);
    this.maxApiTries = Math.max(1, opts.maxApiTries ?? 6);
    this.maxSessions = Math.max(1, opts.maxSessions ?? 3);
    this.log = opts.logger ?? nullLogger;
  }

  async upload(job: UploadJob, hooks: UploadHooks = {}, signal?: AbortSignal): Promise<UploadResult> {
    try {
      return await this.run(job, hooks, signal);
    } catch (err) {
      if (signal?.aborted) {
        throw new UploadError('aborted', `Upload of ${path.basename(job.path)} was cancelled.`, true, undefined, {
          cause: err,
        });
      }
      throw err;
    }
  }

  private async run(job: UploadJob, hooks: UploadHooks, signal?: AbortSignal): Promise<UploadResult> {
    const name = path.basename(job.path);
    if (!job.sn && !job.ownerId)
      throw new UploadError(
        'bad-input',
        `Cannot upload ${name}: a device serial (sn) or an owner id is needed.`,
        false,
      );
    if (!Number.isFinite(job.startTime) || !Number.isFinite(job.durationMs) || job.durationMs < 0) {
      throw new UploadError(
        'bad-input',
        `Cannot upload ${name}: the start time or duration is not a valid number.`,
        false,
      );
    }
    let info;
    try {
      info = await stat(job.path);
    } catch (err) {
      throw new UploadError('read-failed', `Cannot read ${job.path}: ${(err as Error).message}`, false, undefined, {
        cause: err,
      });
    }
    if (!info.isFile()) throw new UploadError('bad-input', `${job.path} is not a regular file.`, false);
    if (info.size === 0)
      throw new UploadError('empty-file', `${name} is empty (0 bytes): there is nothing to upload.`, false);
    const fileSize = info.size;

    // Without a known MD5 the whole-file hash runs while the first parts go up (it is needed only to
    // complete), except when resuming: a stored state is trusted only for the same content.
    let md5 = job.md5?.toLowerCase();
    let hashing: Promise<string> | undefined;
    if (!md5) {
      hashing = this.hash(job.path, signal);
      hashing.catch(() => undefined); // awaited later; do not let an early failure go unhandled
      if (job.resume) md5 = await hashing;
    }
    const md5Now = async (): Promise<string> => (md5 ??= await hashing!);

    let state = this.usableResume(job.resume, fileSize, md5);
    let possibleDuplicate = job.resume?.possibleDuplicate ?? false;
    if (job.resume && !state) this.log.info('stored upload state does not fit the file; starting over', { file: name });
    let sessionsStarted = 0;
    let resumedUnknown = state?.completing ?? false;
    const emit = this.emitter(hooks);
    const fh = await open(job.path, 'r').catch((err: Error) => {
      throw new UploadError('read-failed', `Cannot open ${job.path}: ${err.message}`, false, state, { cause: err });
    });
    try {
      for (;;) {
        if (state && !state.completing && this.urlsStale(state)) {
          // The API cannot re-sign URLs for an existing upload id: the only way on is a fresh session.
          this.log.info('presigned URLs expired; starting a new upload session', { file: name });
          state = undefined;
        }
        if (!state) {
          if (sessionsStarted >= this.maxSessions) {
            throw new UploadError(
              'sessions-exhausted',
              `Upload of ${name} failed: ${sessionsStarted} upload sessions were started and none could be finished (the upload links kept expiring or the server lost the upload).`,
              true,
            );
          }
          const session = await this.callApi(
            'Starting the upload',
            () => this.client.generatePresignedUrls({ filesize: fileSize, filetype: job.filetype }, { signal }),
            hooks,
            signal,
            undefined,
          );
          sessionsStarted++;
          state = this.stateFromSession(session, fileSize, md5, possibleDuplicate);
          await emit(state, 'session-started', hooks.onSessionStarted);
        }

        if (!state.completing) {
          try {
            await this.uploadParts(fh, state, hooks, emit, signal);
          } catch (err) {
            if (err instanceof SessionLost) {
              state = undefined;
              continue;
            }
            throw err;
          }
          const now = await stat(job.path).catch(() => undefined);
          if (!now || now.size !== info.size || now.mtimeMs !== info.mtimeMs) {
            throw new UploadError(
              'file-changed',
              `${name} changed while it was being uploaded; it will be uploaded again from the start.`,
              true,
            );
          }
          state.md5 = await md5Now();
          state.completing = true;
          await emit(state, 'completing', hooks.onCompleting);
        }

        const body = this.completeBodyTemplate(job, name, await md5Now());
        const outcome = await this.complete(state, body, name, hooks, emit, resumedUnknown, signal);
        resumedUnknown = false;
        if (outcome.kind === 'done') {
          await emit(state, 'completed');
          return {
            file: outcome.file,
            fileId: outcome.file.id,
            uploadId: state.uploadId,
            md5: await md5Now(),
            bytes: fileSize,
            sessionsStarted,
            possibleDuplicate: state.possibleDuplicate,
          };
        }
        // 404: the server forgot this upload; start again (policy point 4).
        possibleDuplicate = state.possibleDuplicate || outcome.unknownBefore;
        this.log.warn('server no longer knows the upload; starting a new one', { file: name, possibleDuplicate });
        state = undefined;
      }
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  private async hash(file: string, signal?: AbortSignal): Promise<string> {
    try {
      return await fileMd5(file, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new UploadError(
        'read-failed',
        `Cannot read ${file} to checksum it: ${(err as Error).message}`,
        false,
        undefined,
        { cause: err },
      );
    }
  }

  private completeBodyTemplate(
    job: UploadJob,
    filename: string,
    md5: string,
  ): Omit<CompleteUploadBody, 'file_id' | 'upload_id' | 'part_list'> {
    const start = Math.round(job.startTime);
    const duration = Math.round(job.durationMs);
    const zone = zoneOffsetAt(start, job.timeZone);
    return {
      filetype: job.filetype,
      sn_type: job.snType,
      ...(job.sn ? { sn: job.sn } : { owner_id: job.ownerId! }),
      filename: job.filename ?? filename,
      file_md5: md5,
      start_time: start,
      end_time: Math.round(job.endTime ?? start + duration),
      duration,
      timezone: zone.timezone,
      zonemins: zone.zonemins,
    };
  }

  private usableResume(
    resume: UploadState | undefined,
    fileSize: number,
    md5: string | undefined,
  ): UploadState | undefined {
    if (!resume || !md5) return undefined;
    if (resume.fileSize !== fileSize || resume.md5 !== md5 || !(resume.partSize > 0)) return undefined;
    const count = Math.max(1, Math.ceil(fileSize / resume.partSize));
    if (resume.parts.some((p) => p.partNumber < 1 || p.partNumber > count || !p.etag)) return undefined;
    if (!resume.completing && resume.urls && resume.urls.length !== count) return undefined;
    // Links stored by an older version were never checked against the TLS rule: a fresh session gets checked ones.
    if (!resume.completing && resume.urls?.some((u) => partUrlProblem(u.url, this.client.apiBase))) return undefined;
    if (resume.completing && resume.parts.length !== count) return undefined;
    return structuredClone({ ...resume, parts: [...resume.parts].sort((a, b) => a.partNumber - b.partNumber) });
  }

  private urlsStale(state: UploadState): boolean {
    const count = Math.ceil(state.fileSize / state.partSize);
    if (state.parts.length === count) return false;
    if (!state.urls || state.urls.length !== count) return true;
    return state.urlsExpireAt !== undefined && state.urlsExpireAt < Date.now() + MIN_URL_LIFETIME_MS;
  }

  private stateFromSession(
    s: PresignedUpload,
    fileSize: number,
    md5: string | undefined,
    possibleDuplicate: boolean,
  ): UploadState {
    const expiries = s.parts.map((p) => presignedExpiry(p.url)).filter((e): e is number => e !== undefined);
    return {
      fileId: s.fileId,
      uploadId: s.uploadId,
      partSize: s.partSize,
      fileSize,
      md5,
      parts: [],
      urls: s.parts.map((p) => ({ partNumber: p.partNumber, url: p.url })),
      urlsExpireAt: expiries.length ? Math.min(...expiries) : undefined,
      completing: false,
      possibleDuplicate,
    };
  }

  /** Serialises hook calls so each sees a consistent snapshot and they finish in order. */
  private emitter(hooks: UploadHooks) {
    let chain: Promise<void> = Promise.resolve();
    return (
      state: UploadState,
      change: UploadStateChange,
      specific?: (s: UploadState) => void | Promise<void>,
      part?: UploadedPart,
    ): Promise<void> => {
      const snap = structuredClone(state);
      const run = chain.then(async () => {
        if (change === 'part-done' && part) await hooks.onPartDone?.(snap, part);
        else await specific?.(snap);
        await hooks.onState?.(snap, change);
      });
      chain = run.catch(() => undefined);
      return run;
    };
  }

  private async uploadParts(
    fh: FileHandle,
    state: UploadState,
    hooks: UploadHooks,
    emit: ReturnType<MultipartUploader['emitter']>,
    signal?: AbortSignal,
  ): Promise<void> {
    const count = Math.ceil(state.fileSize / state.partSize);
    const done = new Set(state.parts.map((p) => p.partNumber));
    const todo: number[] = [];
    for (let n = 1; n <= count; n++) if (!done.has(n)) todo.push(n);
    const sizeOf = (n: number) => Math.min(state.partSize, state.fileSize - (n - 1) * state.partSize);
    let confirmed = state.parts.reduce((sum, p) => sum + sizeOf(p.partNumber), 0);
    const inFlight = new Map<number, number>();
    const progress = () => {
      let sending = 0;
      for (const v of inFlight.values()) sending += v;
      hooks.onProgress?.({
        bytesSent: confirmed + sending,
        totalBytes: state.fileSize,
        partsDone: state.parts.length,
        partsTotal: count,
      });
    };
    progress();
    if (todo.length === 0) return;

    const urlOf = new Map(state.urls!.map((u) => [u.partNumber, u.url]));
    // The last gate before bytes leave: whatever produced these links, a recording goes out only over TLS.
    for (const n of todo) {
      const problem = partUrlProblem(urlOf.get(n) ?? '', this.client.apiBase);
      if (problem) throw new UploadError('insecure', `Upload of part ${n} refused: ${problem}.`, false, undefined);
    }
    // One controller for this session: a lost session or a hard failure stops the other workers.
    const session = new AbortController();
    const onOuterAbort = () => session.abort(signal!.reason);
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    let failure: unknown;

    // Parts in flight at once through the shared worker pool; each part borrows a buffer from the pool of part buffers.
    const sendPart = async (n: number) => {
      const size = sizeOf(n);
      const buf = this.buffers.take(size, state.partSize);
      try {
        const body = buf.subarray(0, size);
        await this.readPart(fh, body, (n - 1) * state.partSize, state);
        // A one-part file's part MD5 is the file's, already known from the pull: the ETag is checked against it
        // and the bytes are hashed only if they differ.
        const known = size === state.fileSize ? state.md5 : undefined;
        const md5 = known ?? md5Hex(body);
        const md5OfBody = known ? () => md5Hex(body) : undefined;
        const etag = await this.putWithRetries(
          urlOf.get(n)!,
          body,
          n,
          md5,
          md5OfBody,
          hooks,
          session.signal,
          (b) => {
            inFlight.set(n, (inFlight.get(n) ?? 0) + b);
            progress();
          },
          () => {
            inFlight.delete(n);
            progress();
          },
        );
        inFlight.delete(n);
        confirmed += size;
        const part = { partNumber: n, etag };
        state.parts.push(part);
        state.parts.sort((a, b) => a.partNumber - b.partNumber);
        progress();
        await emit(state, 'part-done', undefined, part);
      } finally {
        // Every attempt on this buffer has ended (answered, failed or destroyed), so it can serve another part.
        this.buffers.give(buf);
      }
    };
    await mapPool(
      todo,
      this.concurrency,
      (n) =>
        sendPart(n).catch((err: unknown) => {
          if (failure === undefined) failure = err;
          session.abort(err);
        }),
      () => session.signal.aborted,
    );
    signal?.removeEventListener('abort', onOuterAbort);
    if (signal?.aborted) throw signal.reason;
    if (failure !== undefined) throw failure;
  }

  private async readPart(fh: FileHandle, into: Buffer, position: number, state: UploadState): Promise<void> {
    let off = 0;
    while (off < into.length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(into, off, into.length - off, position + off));
      } catch (err) {
        throw new UploadError('read-failed', `Reading the local file failed: ${(err as Error).message}`, false, state, {
          cause: err,
        });
      }
      if (bytesRead === 0)
        throw new UploadError(
          'file-changed',
          'The local file got shorter while it was being uploaded; it will be uploaded again from the start.',
          true,
        );
      off += bytesRead;
    }
  }

  private async putWithRetries(
    url: string,
    body: Buffer,
    n: number,
    md5: string,
    md5OfBody: (() => string) | undefined,
    hooks: UploadHooks,
    signal: AbortSignal,
    onBytes: (b: number) => void,
    onAttemptFailed: () => void,
  ): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await putPart(url, body, n, {
          signal,
          md5,
          ...(md5OfBody ? { md5OfBody } : {}),
          onBytes,
          idleTimeoutMs: this.opts.partIdleTimeoutMs,
        });
      } catch (err) {
        onAttemptFailed();
        if (signal.aborted) throw signal.reason;
        if (!isCloudError(err)) throw err;
        const s3Code = (err as CloudError & { s3Code?: string }).s3Code;
        if (err.status === 403 || s3Code === 'NoSuchUpload' || (err.status === 404 && s3Code !== 'NoSuchBucket')) {
          this.log.info('part rejected by storage; session lost', { part: n, status: err.status, code: s3Code });
          throw new SessionLost();
        }
        if (!err.retryable || attempt >= this.maxPartTries) {
          throw new UploadError(
            'part-failed',
            `Uploading part ${n} failed after ${attempt} ${attempt === 1 ? 'try' : 'tries'}: ${err.message}`,
            err.retryable,
            undefined,
            { cause: err },
          );
        }
        await this.waitBeforeRetry(`Uploading part ${n}`, attempt, err, hooks, signal);
      }
    }
  }

  private async waitBeforeRetry(
    what: string,
    attempt: number,
    err: CloudError,
    hooks: UploadHooks,
    signal?: AbortSignal,
  ): Promise<void> {
    const maxRetryAfter = this.opts.backoff?.maxRetryAfterMs ?? 300_000;
    if (err.retryAfterMs !== undefined && err.retryAfterMs > maxRetryAfter) {
      throw new UploadError(
        'part-failed',
        `${what}: the server asked us to wait ${Math.ceil(err.retryAfterMs / 60_000)} min; try again later.`,
        true,
        undefined,
        { cause: err },
      );
    }
    const delayMs = backoffDelay(attempt, this.opts.backoff, err.retryAfterMs);
    hooks.onRetry?.({ what, attempt, delayMs, error: err });
    this.log.info('retrying', { what, attempt, delayMs, kind: err.kind, status: err.status });
    await sleep(delayMs, signal);
  }

  /** generate-presigned-urls with retries; nothing about it can duplicate a recording. */
  private async callApi<T>(
    what: string,
    call: () => Promise<T>,
    hooks: UploadHooks,
    signal: AbortSignal | undefined,
    state: UploadState | undefined,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (signal?.aborted || !isCloudError(err)) throw err;
        const retryable = err.retryable || err.kind === 'bad-response';
        if (!retryable || attempt >= this.maxApiTries) {
          const reason = err.kind === 'auth' ? 'auth' : err.kind === 'insecure' ? 'insecure' : 'start-failed';
          throw new UploadError(reason, err.message, retryable, state, { cause: err });
        }
        await this.waitBeforeRetry(what, attempt, err, hooks, signal);
      }
    }
  }

  /** complete-upload for the state's upload id, retried on unknown outcomes (policy points 2-5). */
  private async complete(
    state: UploadState,
    template: Omit<CompleteUploadBody, 'file_id' | 'upload_id' | 'part_list'>,
    name: string,
    hooks: UploadHooks,
    emit: ReturnType<MultipartUploader['emitter']>,
    /** A resumed `completing` state: an earlier run sent this completion and never learned the outcome. */
    resumedUnknown: boolean,
    signal?: AbortSignal,
  ): Promise<{ kind: 'done'; file: FileModel } | { kind: 'lost'; unknownBefore: boolean }> {
    const body: CompleteUploadBody = {
      file_id: state.fileId,
      upload_id: state.uploadId,
      part_list: state.parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })),
      ...template,
    };
    let unknownBefore = resumedUnknown;
    for (let attempt = 1; ; attempt++) {
      try {
        const file = await this.client.completeUpload(body, { signal });
        return { kind: 'done', file };
      } catch (err) {
        if (signal?.aborted || !isCloudError(err)) throw err;
        if (err.kind === 'not-found') return { kind: 'lost', unknownBefore };
        const unknown = err.retryable || err.kind === 'bad-response';
        if (!unknown) {
          const maybe = unknownBefore
            ? ' An earlier try may have succeeded, so the recording may already be in the cloud.'
            : '';
          if (!unknownBefore) {
            state.completing = false;
            await emit(state, 'complete-rejected');
          }
          throw new UploadError(
            err.kind === 'auth' ? 'auth' : 'complete-rejected',
            `Finishing the upload of ${name} failed: ${err.message}${maybe}`,
            false,
            structuredClone(state),
            { cause: err },
          );
        }
        unknownBefore = true;
        if (attempt >= this.maxApiTries) {
          throw new UploadError(
            'complete-unknown',
            `Finishing the upload of ${name} did not get an answer after ${attempt} tries (${err.message}). A retry finishes this same upload, so no duplicate is created.`,
            true,
            structuredClone(state),
            { cause: err },
          );
        }
        await this.waitBeforeRetry('Finishing the upload', attempt, err, hooks, signal);
      }
    }
  }
}
