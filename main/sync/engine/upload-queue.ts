// The upload queue: which pulled recordings upload when, and what a failure means for them.
//
//   pulled -> (a free slot, oldest first) -> uploading -> completing -> synced
//
// A network failure takes the whole queue offline (no attempt is counted) and probes bring it back (5, 10, 20, 40 s,
// then every minute). A refused account stops the queue until the settings change. Any other failure is counted on
// the recording and retried with capped backoff; a server that says how long to wait (Retry-After) is believed, and
// the next try is kept in the ledger so a restart neither forgets it nor tries early.
// Over 400 lines: scheduling, one upload's ledger hooks, the failure policy and offline probing share the queue's
// state (slots, account, online); each is a section below.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { LedgerRecord } from '../ledger/index.js';
import type { Credentials } from '../cloud/credentials.js';
import { isCloudError } from '../cloud/errors.js';
import { UploadError, type UploadState } from '../upload/uploader.js';
import { fileMd5 } from '../upload/md5.js';
import { ProgramFilesMissingError } from '../program-files.js';
import type { SecretStore } from '../settings.js';
import { probeDelayMs, retryDelayMs, type RetryPolicy } from './backoff.js';
import { createCloudPort, type CloudPort } from './cloud-port.js';
import type { EngineContext } from './context.js';
import { requeue } from './retry.js';
import type { EngineState } from './state.js';
import { SpeedMeter, isUploadSideFailure } from './views.js';
import { updateManifest } from '../library/manifest.js';
import { remakeUploadFile } from '../library/pull.js';
import { libraryBaseOf } from '../recording/identity.js';
import type { ConnectionTestResult } from './api.js';

/** States an upload slot can pick from (failed ones only when due, see eligible()). */
const CANDIDATE_STATES = ['pulled', 'uploading', 'completing', 'failed'] as const;

/** A Retry-After longer than this is shown to the user in minutes. */
const LONG_WAIT_MS = 60_000;

interface ActiveUpload {
  abort: AbortController;
  cancelled: boolean;
  meter: SpeedMeter;
  /** The account connection this upload started with; settings may replace it while the upload runs. */
  cloud: CloudPort;
}

export interface UploadQueueOptions {
  retry: RetryPolicy;
  cloudFactory?: typeof createCloudPort;
  /** A recording reached the cloud (the engine counts it for the summary and may remove it from the recorder). */
  onSynced(r: LedgerRecord): void;
  /** A recording's upload failed for now (counted for the summary). */
  onFailed(r: LedgerRecord): void;
  /** The queue ran something to its end (the engine may summarise). */
  onSettled(): void;
}

export class UploadQueue {
  private cloud: CloudPort | null = null;
  private readonly uploads = new Map<string, ActiveUpload>();
  private retryTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private probeFailures = 0;
  paused = false;
  online = true;
  account: EngineState['account'] = 'missing';

  constructor(
    private readonly ctx: EngineContext,
    private readonly opts: UploadQueueOptions,
  ) {}

  get active(): number {
    return this.uploads.size;
  }

  isUploading(id: string): boolean {
    return this.uploads.has(id);
  }

  // ---------- account ----------

  async configure(secrets: SecretStore): Promise<void> {
    const { settings, problems, log } = this.ctx;
    const c = settings.credentials;
    let creds: Credentials | null = null;
    if (c.kind === 'token') {
      const token = await secrets.get('apiToken');
      if (token) creds = { kind: 'token', token };
    } else if (c.kind === 'client') {
      const secret = await secrets.get('clientSecret');
      if (secret) creds = { kind: 'client', clientId: c.clientId, clientSecret: secret };
    }
    this.cloud = null;
    if (!creds) {
      this.account = 'missing';
      problems.clear({ code: 'auth-refused' });
      problems.raise({
        code: 'no-account',
        message: 'No Plaud account is set: recordings are copied to the library and wait to be uploaded.',
      });
      return;
    }
    try {
      this.cloud = (this.opts.cloudFactory ?? createCloudPort)({
        apiBase: settings.apiBase,
        credentials: creds,
        concurrency: 4,
        logger: log,
      });
      this.account = 'configured';
      problems.clear({ code: 'no-account' });
      problems.clear({ code: 'auth-refused' });
    } catch (err) {
      this.account = 'missing';
      problems.raise({
        code: 'other',
        message: (err as Error).message,
        action: 'Check the API address in Settings.',
        actionLabel: 'Open Settings',
      });
    }
  }

  async testConnection(): Promise<ConnectionTestResult> {
    if (!this.cloud)
      return { ok: false, message: 'No account is set: enter an API token, or a client ID and secret, in Settings.' };
    const result = await this.cloud.testConnection();
    if (result.ok) {
      if (this.account === 'refused') this.account = 'configured';
      this.ctx.problems.clear({ code: 'auth-refused' });
      this.pump();
    }
    this.ctx.changed();
    return result;
  }

  // ---------- control ----------

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    for (const u of this.uploads.values()) u.abort.abort();
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Cancel one recording's upload (or its place in the queue). Returns false when there was nothing to cancel. */
  cancel(r: LedgerRecord): boolean {
    const active = this.uploads.get(r.id);
    if (active) {
      active.cancelled = true;
      active.abort.abort();
      return true;
    }
    // A failed upload waiting for its next try can be cancelled too: it then waits for the user's Retry, not the clock.
    const waitingRetry =
      r.state === 'failed' && r.failure?.nextTryAt != null && r.failure.code !== 'cancelled' && isUploadSideFailure(r);
    if (r.state === 'pulled' || r.state === 'uploading' || r.state === 'completing' || waitingRetry) {
      this.ctx.ledger.transition(r.id, 'failed', {
        reason: 'Cancelled by you. Choose Retry to upload it.',
        code: 'cancelled',
        nextTryAt: null,
      });
      return true;
    }
    return false;
  }

  /** Stop everything in flight where it is: sessions and finished parts are in the ledger. */
  abortAll(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    for (const u of this.uploads.values()) u.abort.abort();
  }

  async idle(): Promise<void> {
    while (this.uploads.size > 0) await new Promise((r) => setTimeout(r, 20));
  }

  /** Manual sync: what waits for its next try goes now, and an offline queue probes at once. */
  retryWaitingNow(): void {
    for (const r of this.ctx.ledger.inState('failed')) {
      if (r.failure?.nextTryAt != null && isUploadSideFailure(r)) requeue(this.ctx.ledger, r);
    }
    if (!this.online) this.probeNow();
  }

  // ---------- scheduling ----------

  private ready(): boolean {
    return !this.ctx.stopping && !this.paused && this.online && !!this.cloud && this.account !== 'refused';
  }

  private eligible(r: LedgerRecord, now: number): boolean {
    if (this.uploads.has(r.id)) return false;
    if (r.state === 'pulled' || r.state === 'uploading' || r.state === 'completing') return true;
    return r.state === 'failed' && isUploadSideFailure(r) && r.failure?.nextTryAt != null && r.failure.nextTryAt <= now;
  }

  hasRunnableWork(): boolean {
    if (this.uploads.size > 0) return true;
    if (!this.ready()) return false;
    const now = this.ctx.now();
    return this.ctx.ledger.inState(...CANDIDATE_STATES).some((r) => this.eligible(r, now));
  }

  pump(): void {
    if (!this.ready()) return;
    const now = this.ctx.now();
    const slots = this.ctx.settings.concurrency - this.uploads.size;
    if (slots > 0) {
      const next = this.ctx.ledger
        .inState(...CANDIDATE_STATES)
        .filter((r) => this.eligible(r, now))
        .sort((a, b) => a.startMs - b.startMs)
        .slice(0, slots);
      for (const r of next) void this.uploadOne(r);
    }
    this.scheduleRetryTimer(now);
  }

  private scheduleRetryTimer(now: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    let soonest = Infinity;
    for (const r of this.ctx.ledger.inState('failed')) {
      const t = r.failure?.nextTryAt;
      if (t != null && t > now && isUploadSideFailure(r)) soonest = Math.min(soonest, t);
    }
    if (soonest === Infinity) return;
    this.retryTimer = setTimeout(() => this.pump(), Math.min(soonest - now, 2 ** 31 - 1));
    this.retryTimer.unref?.();
  }

  // ---------- one upload ----------

  private resumeState(r: LedgerRecord): UploadState | undefined {
    if (!r.upload || !r.pulled) return undefined;
    return {
      fileId: r.upload.fileId,
      uploadId: r.upload.uploadId,
      partSize: r.upload.partSize,
      fileSize: r.pulled.upload.size,
      md5: r.pulled.upload.md5,
      parts: r.upload.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
      ...(r.upload.urls ? { urls: r.upload.urls.map((u) => ({ ...u })) } : {}),
      ...(r.upload.urlsExpireAt !== undefined ? { urlsExpireAt: r.upload.urlsExpireAt } : {}),
      completing: r.state === 'completing',
      possibleDuplicate: r.upload.possibleDuplicate ?? false,
    };
  }

  private async uploadOne(initial: LedgerRecord): Promise<void> {
    const { ledger, settings, activity, log, problems } = this.ctx;
    const cloud = this.cloud!;
    const active: ActiveUpload = {
      abort: new AbortController(),
      cancelled: false,
      meter: new SpeedMeter(5_000, () => this.ctx.now()),
      cloud,
    };
    this.uploads.set(initial.id, active);
    const id = initial.id;
    let r = initial.state === 'failed' ? requeue(ledger, initial) : initial;
    // A completing upload only asks the cloud to finish: its file is not read again, and must not be made anew.
    if (r.state !== 'completing') r = await this.playableAtHand(r);
    const pulledInfo = r.pulled!;
    activity.set(id, { kind: 'upload', bytesDone: 0, bytesTotal: pulledInfo.upload.size, speedBps: 0 });
    this.ctx.changed();
    const ownerId = settings.identity === 'owner_id' ? settings.ownerId : undefined;
    const durationMs = pulledInfo.upload.durationMs || r.durationMs;
    // Manifest writes of one upload happen in order (the open upload, then the cloud file id).
    let noted: Promise<void> = Promise.resolve();
    try {
      const result = await cloud.upload(
        {
          path: pulledInfo.upload.path,
          filetype: pulledInfo.upload.filetype,
          snType: r.sn_type,
          ...(ownerId ? { ownerId } : { sn: r.sn }),
          // The recorder-style name, as before readable names: the cloud's copy keeps the name it always had.
          filename: `${libraryBaseOf(path.posix.basename(r.relBase), r.take)}.${pulledInfo.upload.filetype}`,
          startTime: r.startMs,
          durationMs,
          endTime: r.startMs + durationMs,
          md5: pulledInfo.upload.md5,
          resume: this.resumeState(r),
        },
        {
          onSessionStarted: (s) => {
            noted = noted.then(() =>
              this.mirror(
                r,
                (m) => ({ ...m, uploading: { fileId: s.fileId, uploadId: s.uploadId, startedAt: this.ctx.now() } }),
                false, // a note only: losing it in a crash costs nothing, and its fsyncs would slow the pull's reads
              ),
            );
            // A new session replaces any older one (expired links, a lost upload): the old parts are void.
            if (r.state !== 'pulled') r = ledger.transition(id, 'pulled');
            r = ledger.transition(id, 'uploading', {
              upload: {
                fileId: s.fileId,
                uploadId: s.uploadId,
                partSize: s.partSize,
                partCount: Math.ceil(s.fileSize / s.partSize),
                ...(s.urls ? { urls: s.urls } : {}),
                ...(s.urlsExpireAt !== undefined ? { urlsExpireAt: s.urlsExpireAt } : {}),
                possibleDuplicate: s.possibleDuplicate,
              },
            });
          },
          onPartDone: (_s, part) => {
            r = ledger.recordPart(id, part.partNumber, part.etag);
          },
          onCompleting: async () => {
            if (r.state !== 'completing') r = ledger.transition(id, 'completing');
            this.ctx.changed();
            // On disk before the cloud is asked to complete: after a crash, a 'completing' record retries the same
            // upload id instead of starting a second upload of the recording.
            await ledger.flushed();
          },
          onProgress: (p) => {
            active.meter.add(p.bytesSent);
            activity.set(id, {
              kind: 'upload',
              bytesDone: p.bytesSent,
              bytesTotal: p.totalBytes,
              speedBps: active.meter.bps(),
            });
            this.ctx.changed();
          },
          onRetry: (info) =>
            log.info('upload retry', {
              id,
              what: info.what,
              attempt: info.attempt,
              delayMs: info.delayMs,
              err: info.error.message,
            }),
        },
        active.abort.signal,
      );
      if (r.state === 'uploading') r = ledger.transition(id, 'completing');
      // The library learns the cloud file id before the ledger says synced: a crash in between leaves the record
      // 'completing', which re-asks the cloud for the same upload and writes the manifest again.
      const cloudFileId = result.file.id ?? result.fileId;
      const syncedAt = this.ctx.now();
      await noted;
      await this.mirror(r, ({ uploading: _open, ...m }) => ({
        ...m,
        cloud: { fileId: cloudFileId, syncedAt, filetype: pulledInfo.upload.filetype },
      }));
      r = ledger.transition(id, 'synced', { cloudFileId, possibleDuplicate: result.possibleDuplicate });
      problems.clear({ recordingId: id });
      if (result.possibleDuplicate) {
        problems.raise({
          code: 'possible-duplicate',
          recordingId: id,
          message:
            'A recording was uploaded again because the server lost track of an earlier upload; the cloud may hold it twice.',
          detail: `${r.relBase} (${r.sn})`,
        });
      }
      this.markOnline();
      log.info('synced', { id, cloudFileId: r.synced?.cloudFileId, bytes: result.bytes });
      this.opts.onSynced(r);
    } catch (err) {
      this.onUploadError(id, err, active);
    } finally {
      this.uploads.delete(id);
      activity.delete(id);
      if (!this.ctx.stopping) {
        this.pump();
        this.opts.onSettled();
      }
      this.ctx.changed();
    }
  }

  private onUploadError(id: string, err: unknown, active: ActiveUpload): void {
    const { ledger, log, problems } = this.ctx;
    const r = ledger.get(id)!;
    const cause = err instanceof UploadError ? err.cause : err;
    const cloudErr = isCloudError(cause) ? cause : isCloudError(err) ? err : undefined;
    const cloudKind = cloudErr?.kind;
    const message = err instanceof Error ? err.message : String(err);
    if (active.cancelled) {
      ledger.transition(id, 'failed', {
        reason: 'Cancelled by you. Choose Retry to upload it.',
        code: 'cancelled',
        nextTryAt: null,
      });
      return;
    }
    if (active.abort.signal.aborted) return; // pause or quit: the ledger already holds the session to resume
    if ((err instanceof UploadError && err.reason === 'auth') || cloudKind === 'auth') {
      if (active.cloud !== this.cloud) {
        // Refused under credentials the user has since replaced: that says nothing about the new ones, so the
        // recording simply goes back in the queue (the finally in uploadOne pumps) instead of flagging the account.
        log.info('upload refused under replaced credentials; retrying with the current ones', { id });
        return;
      }
      this.account = 'refused';
      problems.raise({
        code: 'auth-refused',
        message: 'The Plaud account was refused: uploads are stopped.',
        detail: message,
      });
      log.warn('credentials refused', { id });
      return;
    }
    if (cloudKind === 'network' || cloudKind === 'timeout') {
      log.warn('cloud unreachable', { id, err: message });
      this.goOffline(message);
      return;
    }
    // Program files replaced while we run (an update): no retry can succeed before a restart, so the user is asked
    // to act (the message says restart).
    const needsRestart = err instanceof ProgramFilesMissingError || cause instanceof ProgramFilesMissingError;
    const retryable =
      !needsRestart && (err instanceof UploadError ? err.retryable : cloudErr ? cloudErr.retryable : true);
    const attempts = r.attempts + 1;
    // The server's wait travels on the cloud error, also when an UploadError wraps it.
    const retryAfterMs = cloudErr?.retryAfterMs;
    let nextTryAt: number | null = null;
    if (retryable && attempts < this.opts.retry.maxAttempts) {
      // The server's own wait wins over our backoff when it is longer (a 429 with Retry-After: 3600 means an hour).
      nextTryAt = this.ctx.now() + Math.max(retryDelayMs(attempts, this.opts.retry), retryAfterMs ?? 0);
    }
    const code = err instanceof UploadError ? err.reason : (cloudKind ?? 'error');
    ledger.transition(id, 'failed', { reason: message, code, nextTryAt });
    this.opts.onFailed(r);
    log.warn('upload failed', { id, code, attempts, nextTryAt, retryAfterMs, err: message });
    const waiting = ledger.inState('failed').filter(isUploadSideFailure).length;
    const some = waiting === 1 ? 'A recording' : `${waiting} recordings`;
    if (cloudKind === 'rate-limited') {
      const waitMs = nextTryAt ? nextTryAt - this.ctx.now() : 0;
      problems.raise({
        code: 'rate-limited',
        message:
          waitMs >= LONG_WAIT_MS
            ? `The Plaud server asked us to wait ${Math.ceil(waitMs / 60_000)} min before uploading more.`
            : 'The Plaud server asked us to slow down; uploads continue shortly.',
        detail: message,
      });
      return;
    }
    problems.raise({
      code: cloudKind === 'server' && nextTryAt ? 'server-error' : 'upload-failed',
      level: nextTryAt ? 'retrying' : 'needs-you',
      message: nextTryAt
        ? `${some} could not be uploaded yet; ${waiting === 1 ? 'it is' : 'they are'} retried by itself.`
        : `${some} could not be uploaded.`,
      ...(nextTryAt
        ? {
            action: 'Nothing to do: it is retried by itself. Choose Retry now to try at once.',
            actionLabel: 'Retry now',
          }
        : {}),
      detail: message,
    });
  }

  /** Mirror an upload step into the library's manifest (the second source of truth); a failure there is only logged. */
  private mirror(r: LedgerRecord, change: Parameters<typeof updateManifest>[2], durable = true): Promise<void> {
    // The manifest sits beside the take's original files (library/layout.ts), wherever the library was then.
    const original = r.pulled?.files[0]?.libraryPath;
    if (!original) return Promise.resolve();
    const dir = path.dirname(original);
    const base = libraryBaseOf(path.posix.basename(r.relBase), r.take);
    return updateManifest(dir, base, change, { durable }).then(
      () => undefined,
      (err) => this.ctx.log.warn('could not note the upload in the library manifest (the ledger has it)', { dir, err }),
    );
  }

  /**
   * The playable file is the user's to move, rename, edit or delete. One gone or changed before its upload is made
   * again from the verified originals (same name, new MD5: a session opened for the old bytes is not reused), so a
   * tidy-up in a file manager never costs a recording. Never throws: without originals the uploader reports the
   * missing file.
   */
  private async playableAtHand(r: LedgerRecord): Promise<LedgerRecord> {
    const up = r.pulled?.upload;
    const original = r.pulled?.files[0]?.libraryPath;
    if (!up || !original) return r;
    const st = await fs.stat(up.path).catch(() => undefined);
    // The MD5 too (a few MB of Opus, read once): an edit that kept the size must not go up as the recording.
    if (st?.isFile() && st.size === up.size && (await fileMd5(up.path).catch(() => '')) === up.md5) return r;
    try {
      const base = libraryBaseOf(path.posix.basename(r.relBase), r.take);
      const made = await remakeUploadFile(path.dirname(original), base, up.filetype, {
        nameTemplate: this.ctx.settings.libraryNames,
        snType: r.sn_type,
      });
      if (!made) return r;
      this.ctx.log.info('the playable file was gone; made again from the originals', { id: r.id, path: made.path });
      // Parts sent for the old bytes belong to another file now: the open session is dropped, a new one starts.
      if (r.upload && r.state !== 'pulled') this.ctx.ledger.transition(r.id, 'pulled');
      return this.ctx.ledger.amend(r.id, {
        pulledUpload: { path: made.path, size: made.size, md5: made.md5, durationMs: made.durationMs },
      });
    } catch (err) {
      this.ctx.log.warn('could not make the playable file again', { id: r.id, err });
      return r;
    }
  }

  /** Upload failures that no longer exist (nothing failed is left) stop being shown. */
  clearResolvedFailures(): void {
    if (this.ctx.ledger.inState('failed').some(isUploadSideFailure)) return;
    for (const code of ['upload-failed', 'server-error', 'rate-limited'] as const) this.ctx.problems.clear({ code });
  }

  // ---------- offline ----------

  private goOffline(reason: string): void {
    if (!this.online) return;
    this.online = false;
    this.probeFailures = 0;
    this.ctx.problems.raise({
      code: 'offline',
      message: 'The Plaud cloud cannot be reached. Uploads wait and resume by themselves.',
      detail: reason,
    });
    this.scheduleProbe();
    this.ctx.changed();
  }

  private markOnline(): void {
    if (this.online) return;
    this.online = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.ctx.problems.clear({ code: 'offline' });
    this.ctx.log.info('cloud reachable again');
    this.pump();
    this.ctx.changed();
  }

  private scheduleProbe(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => void this.probe(), probeDelayMs(this.probeFailures));
    this.probeTimer.unref?.();
  }

  private probeNow(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    void this.probe();
  }

  private async probe(): Promise<void> {
    if (this.ctx.stopping || this.online) return;
    const ok = this.cloud ? await this.cloud.reachable() : false;
    if (ok) this.markOnline();
    else {
      this.probeFailures++;
      this.scheduleProbe();
    }
  }
}
