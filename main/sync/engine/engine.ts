// The orchestrator: decides what happens to every recording and records each step in the ledger
// before and after it happens, so any step resumes after a crash.
//
//   recorder attached -> scan -> ledger.discover -> pull (verified library copy) -> pulled
//   pulled -> upload queue (oldest first, global concurrency) -> uploading -> completing -> synced
//   synced + remove-after-sync -> delete on the recorder (marked pending before, done after)
//
// Failures: a network failure takes the whole queue offline (no attempt is counted) and a probe with
// growing delays brings it back; a refused token stops the queue until the settings change; any other
// failure is counted on the recording and retried with capped backoff, its next try persisted.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { openLedger, ledgerDir, RECORD_STATES, type Ledger, type LedgerRecord } from '../ledger/index.js';
import { PULL_CONCURRENCY, pullRecording } from '../library/pull.js';
import { ReadTurns } from '../library/read-turns.js';
import { LibraryError, isFatalPullError } from '../library/errors.js';
import { scanVolume } from '../devices/scan.js';
import { UploadError, type UploadState } from '../upload/index.js';
import { isCloudError, type Credentials } from '../cloud/index.js';
import { nullLogger, type Logger } from '../log.js';
import type { SecretStore, Settings } from '../settings.js';
import type { DeviceInfo, Recording } from '../types.js';
import { traitFor } from '../devices/traits.js';
import type { ConnectionTestResult, EngineEvent, SyncEngineApi } from './api.js';
import { DEFAULT_RETRY, probeDelayMs, retryDelayMs, type RetryPolicy } from './backoff.js';
import { createCloudPort, type CloudPort } from './cloud-port.js';
import { KnownDevices } from './known-devices.js';
import type { DeviceWatcherPort } from './ports.js';
import { ProblemBoard } from './problems.js';
import { requeue, retryFailed } from './retry.js';
import { libraryCopyVerified, removeSourcesFromDevice } from './remove-from-device.js';
import type { DeviceView, EngineState, HistoryEntry, HistoryQuery } from './state.js';
import { throttleLatest, type Throttled } from './throttle.js';
import { SpeedMeter, isUploadSideFailure, queryHistory, queueItem, type Activity } from './views.js';

export interface EngineOptions {
  stateDir: string;
  settings: Settings;
  secrets: SecretStore;
  logger?: Logger;
  /** Device events; the CLI's one-shot pass and the daemon pass the real monitor. None: no devices. */
  watcher?: DeviceWatcherPort;
  retry?: RetryPolicy;
  /** Minimum interval between state snapshots to listeners (default 100 ms: 10 per second). */
  stateIntervalMs?: number;
  /** Build the cloud side for a set of credentials (tests may wrap it). */
  cloudFactory?: typeof createCloudPort;
  now?: () => number;
}

interface DeviceRuntime {
  info: DeviceInfo;
  recordingsOnDevice: number;
  newRecordings: number;
  pull: DeviceView['pull'];
  abort?: AbortController;
  running?: Promise<void>;
  warnings: string[];
}

interface ActiveUpload {
  abort: AbortController;
  cancelled: boolean;
  meter: SpeedMeter;
  /** The account connection this upload started with; settings may replace it while the upload runs. */
  cloud: CloudPort;
}

/** States an upload slot can pick from (failed ones only when due, see eligible()). */
const UPLOAD_CANDIDATE_STATES = ['pulled', 'uploading', 'completing', 'failed'] as const;
/** Everything not yet synced or skipped. */
const PENDING_STATES = RECORD_STATES.filter((st) => st !== 'synced' && st !== 'skipped');

const PULL_ERROR_PROBLEM: Partial<Record<string, 'library-full' | 'library-unwritable' | 'device-read-error'>> = {
  DISK_FULL: 'library-full',
  LIBRARY_UNWRITABLE: 'library-unwritable',
  DEVICE_GONE: 'device-read-error',
};

export class SyncEngine implements SyncEngineApi {
  private ledger!: Ledger;
  private settings: Settings;
  private cloud: CloudPort | null = null;
  private readonly log: Logger;
  private readonly retryPolicy: RetryPolicy;
  private readonly now: () => number;
  private readonly devices = new Map<string, DeviceRuntime>();
  private readonly known: KnownDevices;
  private readonly activity = new Map<string, Activity>();
  private readonly uploads = new Map<string, ActiveUpload>();
  /** Pulls under way, including those of a recorder that has just gone away (they still write the ledger). */
  private readonly pulls = new Set<Promise<void>>();
  private readonly problems: ProblemBoard;
  private readonly emitter = new EventEmitter();
  private readonly statePush: Throttled<void>;
  private seq = 0;
  private paused = false;
  private online = true;
  private account: EngineState['account'] = 'missing';
  private lastSyncAt: number | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private probeFailures = 0;
  private stopping = false;
  private started = false;
  private syncedSinceSummary = new Map<string, number>();
  private failedSinceSummary = 0;

  constructor(private readonly opts: EngineOptions) {
    this.settings = opts.settings;
    this.log = opts.logger ?? nullLogger;
    this.retryPolicy = opts.retry ?? DEFAULT_RETRY;
    this.now = opts.now ?? Date.now;
    this.emitter.setMaxListeners(50);
    this.problems = new ProblemBoard(
      (problem) => this.emit({ type: 'problem', problem }),
      (problemId) => this.emit({ type: 'problem-cleared', problemId }),
      this.now,
    );
    this.known = new KnownDevices(opts.stateDir, (msg) => this.log.warn(msg));
    // The snapshot is built when it is delivered, not on every change: a pull reports every chunk.
    this.statePush = throttleLatest(() => this.emitter.emit('state', this.snapshot()), opts.stateIntervalMs ?? 100, this.now);
  }

  // ---------- life cycle ----------

  /** Open the ledger, resume unfinished work, start watching for recorders. */
  async start(): Promise<void> {
    // Group durability: journal fsyncs run in the background, shared; the points that need a change on disk
    // before acting (complete-upload, deleting from the recorder, "pull finished") await ledger.flushed().
    this.ledger = await openLedger(ledgerDir(this.opts.stateDir), { logger: this.log, durability: 'group' });
    this.started = true;
    for (const r of this.ledger.all()) {
      if (r.synced && (this.lastSyncAt === null || r.synced.syncedAt > this.lastSyncAt)) this.lastSyncAt = r.synced.syncedAt;
      // A pull cut short by a crash restarts from the recorder; the library drops the temp files.
      if (r.state === 'pulling') this.ledger.transition(r.id, 'discovered');
    }
    await this.configureCloud();
    const w = this.opts.watcher;
    if (w) {
      w.onAttached((d) => this.onAttached(d));
      w.onDetached((d) => this.onDetached(d.id));
      await w.start();
    }
    this.log.info('engine started', { records: this.ledger.size, apiBase: this.settings.apiBase, account: this.account });
    this.pump();
    this.changed();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    await this.opts.watcher?.stop().catch(() => {});
    // In-flight uploads stop where they are: their sessions and finished parts are in the ledger.
    for (const u of this.uploads.values()) u.abort.abort();
    for (const d of this.devices.values()) d.abort?.abort();
    await Promise.allSettled([...this.pulls]);
    await this.idleUploads();
    this.statePush.flush();
    if (this.started) this.ledger.close();
    this.log.info('engine stopped');
  }

  isPulling(): boolean {
    return this.pulls.size > 0;
  }

  // ---------- public intents ----------

  getState(): EngineState {
    return this.snapshot();
  }

  onState(listener: (s: EngineState) => void): () => void {
    this.emitter.on('state', listener);
    return () => this.emitter.off('state', listener);
  }

  onEvent(listener: (e: EngineEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  async syncNow(): Promise<void> {
    await this.opts.watcher?.rescan();
    // Manual sync also retries what is waiting, now rather than at its scheduled time.
    for (const r of this.ledger.inState('failed')) {
      if (r.failure?.nextTryAt != null && isUploadSideFailure(r)) requeue(this.ledger, r);
    }
    if (!this.online) this.probeNow();
    await Promise.all([...this.devices.values()].map((d) => this.pullDevice(d)));
    this.pump();
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    for (const u of this.uploads.values()) u.abort.abort();
    this.log.info('queue paused');
    this.changed();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.log.info('queue resumed');
    this.pump();
    this.changed();
  }

  async retry(id?: string): Promise<void> {
    const ids = retryFailed(this.ledger, id);
    for (const rid of ids) this.problems.clear({ recordingId: rid });
    this.problems.clear({ code: 'upload-failed' });
    for (const d of this.devices.values()) void this.pullDevice(d);
    this.pump();
    this.changed();
  }

  async cancel(id: string): Promise<void> {
    const r = this.ledger.get(id);
    if (!r) throw new Error(`No recording with id ${id}.`);
    const active = this.uploads.get(id);
    if (active) {
      active.cancelled = true;
      active.abort.abort();
      return;
    }
    if (r.state === 'pulled' || r.state === 'uploading' || r.state === 'completing') {
      this.ledger.transition(id, 'failed', { reason: 'Cancelled by you. Choose Retry to upload it.', code: 'cancelled', nextTryAt: null });
      this.changed();
    }
  }

  async getHistory(q: HistoryQuery): Promise<{ total: number; entries: HistoryEntry[] }> {
    return queryHistory(this.ledger.all(), q);
  }

  async testConnection(): Promise<ConnectionTestResult> {
    if (!this.cloud) return { ok: false, message: 'No account is set: enter an API token, or a client ID and secret, in Settings.' };
    const result = await this.cloud.testConnection();
    if (result.ok) {
      if (this.account === 'refused') this.account = 'configured';
      this.problems.clear({ code: 'auth-refused' });
      this.pump();
    }
    this.changed();
    return result;
  }

  async applySettings(s: Settings): Promise<void> {
    this.settings = s;
    await this.configureCloud();
    this.pump();
    this.changed();
  }

  /** Resolves when nothing is running and nothing is ready to run (used by the one-shot CLI pass). */
  async whenIdle(): Promise<void> {
    for (;;) {
      await Promise.allSettled([...this.pulls]);
      await this.idleUploads();
      if (!this.hasRunnableWork() && this.pulls.size === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Recordings not yet synced or skipped (what makes `sync` exit non-zero). */
  pendingRecords(): LedgerRecord[] {
    return this.ledger.inState(...PENDING_STATES);
  }

  records(): LedgerRecord[] {
    return this.ledger.all();
  }

  // ---------- devices and pulls ----------

  private onAttached(info: DeviceInfo): void {
    if (this.stopping) return;
    const prev = this.devices.get(info.id);
    const rt: DeviceRuntime = prev ?? {
      info,
      recordingsOnDevice: 0,
      newRecordings: 0,
      pull: { state: 'idle', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 },
      warnings: [],
    };
    rt.info = info;
    rt.warnings = [...info.warnings];
    this.devices.set(info.id, rt);
    this.known.remember(info, this.now());
    this.problems.clear({ code: 'device-read-error', deviceId: info.id });
    if (info.warnings.length) {
      this.problems.raise({ code: 'device-mismatch', severity: 'warning', deviceId: info.id, message: info.warnings.join(' '), action: 'Check that this is the recorder you expect; its recordings are filed under the serial in MODEL.txt.' });
    }
    this.log.info('recorder attached', { id: info.id, sn_type: info.sn_type, model: info.model, firmware: info.firmware, mountPath: info.mountPath });
    this.emit({ type: 'device-attached', deviceId: info.id, sn: info.sn, sn_type: info.sn_type, model: info.model, mountPath: info.mountPath });
    if (this.settings.autoSync) void this.pullDevice(rt);
    else void this.countOnly(rt);
    this.changed();
  }

  private onDetached(id: string): void {
    const rt = this.devices.get(id);
    if (!rt) return;
    rt.abort?.abort();
    this.devices.delete(id);
    this.log.info('recorder detached', { id });
    this.emit({ type: 'device-detached', deviceId: id });
    this.changed();
  }

  private displayName(info: { sn_type: DeviceInfo['sn_type']; model: string }): string {
    return traitFor(info.sn_type)?.displayName ?? info.model;
  }

  /** Scan without pulling (auto-sync off): the window still shows what is new. */
  private async countOnly(rt: DeviceRuntime): Promise<void> {
    try {
      const scan = await scanVolume(rt.info.mountPath, rt.info.sn);
      rt.recordingsOnDevice = scan.recordings.length;
      rt.newRecordings = scan.recordings.filter((rec) => this.needsPull(this.ledger.discover(rec, { sn_type: rt.info.sn_type, deviceId: rt.info.id }))).length;
    } catch (err) {
      this.log.warn('scan failed', { id: rt.info.id, err });
    }
    this.changed();
  }

  private needsPull(r: LedgerRecord): boolean {
    return r.state === 'discovered' || r.state === 'pulling' || (r.state === 'failed' && !isUploadSideFailure(r) && r.failure?.code !== 'CONFLICT');
  }

  private pullDevice(rt: DeviceRuntime): Promise<void> {
    if (rt.running) return rt.running;
    const running = this.runPull(rt).finally(() => {
      rt.running = undefined;
      rt.abort = undefined;
      this.pulls.delete(running);
      if (!this.stopping) this.maybeSummarise();
      this.changed();
    });
    rt.running = running;
    this.pulls.add(running);
    return running;
  }

  private async runPull(rt: DeviceRuntime): Promise<void> {
    const { info } = rt;
    const abort = new AbortController();
    rt.abort = abort;
    rt.pull = { state: 'pulling', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 };
    this.changed();
    let scan;
    try {
      scan = await scanVolume(info.mountPath, info.sn);
    } catch (err) {
      rt.pull = { ...rt.pull, state: 'error', error: `Could not read the recorder's folders: ${(err as Error).message}` };
      this.problems.raise({ code: 'device-read-error', deviceId: info.id, message: rt.pull.error!, action: 'Unplug the recorder and plug it in again.' });
      return;
    }
    if (scan.skipped.length) {
      this.log.warn('recorder entries skipped', { id: info.id, skipped: scan.skipped });
      const first = scan.skipped[0]!;
      this.problems.raise({
        code: 'recording-skipped',
        severity: 'warning',
        deviceId: info.id,
        message: `${scan.skipped.length} file(s) on the ${this.displayName(info)} were not copied. For example ${first.relPath}: ${first.reason}`,
        action: 'These files are left on the recorder untouched. The log lists each one with its reason.',
      });
    }
    rt.recordingsOnDevice = scan.recordings.length;
    const todo: { rec: Recording; id: string }[] = [];
    for (const rec of [...scan.recordings].sort((a, b) => a.startMs - b.startMs)) {
      const r = this.ledger.discover(rec, { sn_type: info.sn_type, deviceId: info.id });
      if (this.needsPull(r)) todo.push({ rec, id: r.id });
    }
    rt.newRecordings = todo.length;
    rt.pull = {
      state: 'pulling',
      filesDone: 0,
      filesTotal: todo.length,
      bytesDone: 0,
      bytesTotal: todo.reduce((n, t) => n + (t.rec.wav?.size ?? 0) + (t.rec.asr?.size ?? 0), 0),
    };
    this.changed();
    let pulled = 0;
    let failed = 0;
    let stopped = null as LibraryError | null;
    // Several recordings at a time, their reads from the recorder taking turns (ReadTurns): one's fsyncs,
    // verification, packaging and ledger writes overlap the next one's read. Each starts in oldest-first order.
    const readTurns = new ReadTurns();
    let next = 0;
    const halt = () => stopped !== null || abort.signal.aborted || this.stopping;
    const worker = async () => {
      while (!halt() && next < todo.length) {
        const { rec, id } = todo[next++]!;
        await pullOne(rec, id);
      }
    };
    const pullOne = async (rec: Recording, id: string) => {
      const r = this.ledger.get(id)!;
      if (r.state !== 'pulling') this.ledger.transition(id, 'pulling');
      let copied = 0;
      this.activity.set(id, { kind: 'pull', bytesDone: 0, bytesTotal: (rec.wav?.size ?? 0) + (rec.asr?.size ?? 0), speedBps: 0 });
      try {
        const result = await pullRecording(info, rec, {
          libraryDir: this.settings.libraryDir,
          format: this.settings.uploadFormat,
          signal: abort.signal,
          logger: this.log,
          readTurns,
          onBytes: (n) => {
            copied += n;
            rt.pull.bytesDone += n;
            const a = this.activity.get(id);
            if (a) a.bytesDone = copied;
            this.changed();
          },
        });
        if (!result.upload) throw new LibraryError('BAD_RECORDING', `No upload file could be made for ${rec.relBase}.`);
        this.ledger.transition(id, 'pulled', {
          pulled: {
            files: result.files
              .filter((f) => f.role !== 'upload')
              .map((f) => ({ relPath: (f.role === 'wav' ? rec.wav : rec.asr)!.relPath, libraryPath: f.path, size: f.size, md5: f.md5 })),
            upload: { path: result.upload.path, size: result.upload.size, md5: result.upload.md5, filetype: result.upload.filetype, durationMs: result.upload.durationMs },
          },
        });
        pulled++;
        this.pump();
      } catch (err) {
        const e = err instanceof LibraryError ? err : new LibraryError('IO', (err as Error).message, { cause: err });
        if (e.code === 'ABORTED' || e.code === 'DEVICE_GONE' || abort.signal.aborted) {
          // Nothing verified was lost: the recording goes back to "on the recorder" and resumes on the next attach.
          this.ledger.transition(id, 'discovered');
          const unplugged = !this.stopping && this.devices.get(info.id) !== rt;
          if (!stopped && (e.code === 'DEVICE_GONE' || unplugged)) {
            stopped =
              e.code === 'DEVICE_GONE'
                ? e
                : new LibraryError('DEVICE_GONE', `The ${this.displayName(info)} was unplugged while ${rec.relBase} was being copied. Nothing incomplete was kept; plug it in again and the copy resumes.`);
          }
          abort.abort(); // the other recording in flight stops too
          return;
        }
        failed++;
        this.ledger.transition(id, 'failed', { reason: e.message, code: e.code, nextTryAt: null });
        this.failedSinceSummary++;
        this.log.warn('pull failed', { id, code: e.code, err: e.message });
        if (isFatalPullError(e)) {
          stopped ??= e;
          return;
        }
        this.problems.raise({ code: 'device-read-error', deviceId: info.id, message: e.message, action: 'Choose Retry on the recording, or plug the recorder in again.' });
      } finally {
        this.activity.delete(id);
        rt.pull.filesDone++;
      }
    };
    await Promise.all(Array.from({ length: PULL_CONCURRENCY }, worker));
    if (stopped) {
      const code = PULL_ERROR_PROBLEM[stopped.code] ?? 'device-read-error';
      rt.pull = { ...rt.pull, state: 'error', error: stopped.message };
      this.problems.raise({
        code,
        deviceId: code === 'device-read-error' ? info.id : undefined,
        message: stopped.message,
        action: code === 'library-full' ? 'Free some space on the library disk or choose another library folder in Settings, then choose Sync now.' : code === 'library-unwritable' ? 'Choose a library folder you can write to in Settings.' : 'Plug the recorder in again; the copy resumes where it stopped.',
      });
      return;
    }
    if (abort.signal.aborted) {
      rt.pull = { ...rt.pull, state: 'idle' };
      return;
    }
    this.problems.clear({ code: 'library-full' });
    this.problems.clear({ code: 'library-unwritable' });
    rt.newRecordings = 0;
    rt.pull = { ...rt.pull, state: 'done' };
    this.log.info('pull finished', { id: info.id, pulled, failed });
    // "Safe to unplug" only once the ledger holds every pulled recording on disk.
    await this.flushLedger();
    this.emit({ type: 'pull-finished', deviceId: info.id, displayName: this.displayName(info), pulled, failed });
    await this.removeSynced(rt);
  }

  /** Wait for the ledger's pending changes to be on disk; a failure is already reported by the ledger's own error. */
  private async flushLedger(): Promise<void> {
    try {
      await this.ledger.flushed();
    } catch (err) {
      this.log.error('ledger flush failed', { err });
      this.problems.raise({ code: 'other', message: (err as Error).message, action: 'Check the disk that holds Plaud Sync\'s data, then restart Plaud Sync. Nothing in the library is lost.' });
    }
  }

  // ---------- remove after sync ----------

  private async removeSynced(rt: DeviceRuntime): Promise<void> {
    if (!this.settings.removeAfterSync || this.stopping) return;
    for (const r of this.ledger.bySn(rt.info.sn)) {
      if (r.state !== 'synced' || r.deviceDelete?.state === 'done' || !this.devices.has(rt.info.id)) continue;
      if (!(await libraryCopyVerified(r))) {
        this.problems.raise({ code: 'other', severity: 'warning', recordingId: r.id, message: `${r.relBase} was not removed from the recorder: its copy in the library does not verify.`, action: 'It stays on the recorder. Check the library disk.' });
        continue;
      }
      try {
        this.ledger.markDeviceDelete(r.id, 'pending');
        // The synced state and the pending mark are on disk before anything on the recorder is deleted.
        await this.ledger.flushed();
        await removeSourcesFromDevice(rt.info.mountPath, r);
        this.ledger.markDeviceDelete(r.id, 'done');
        this.log.info('removed from recorder after sync', { id: r.id });
      } catch (err) {
        this.log.warn('remove from recorder failed', { id: r.id, err });
        break; // unplugged or refused: the pending mark makes the next attach finish it
      }
    }
  }

  // ---------- upload queue ----------

  private async configureCloud(): Promise<void> {
    const c = this.settings.credentials;
    let creds: Credentials | null = null;
    if (c.kind === 'token') {
      const token = await this.opts.secrets.get('apiToken');
      if (token) creds = { kind: 'token', token };
    } else if (c.kind === 'client') {
      const secret = await this.opts.secrets.get('clientSecret');
      if (secret) creds = { kind: 'client', clientId: c.clientId, clientSecret: secret };
    }
    this.cloud = null;
    if (!creds) {
      this.account = 'missing';
      this.problems.clear({ code: 'auth-refused' });
      this.problems.raise({ code: 'no-account', severity: 'warning', message: 'No Plaud account is set: recordings are copied to the library and wait to be uploaded.', action: 'Enter an API token, or a client ID and secret, in Settings.' });
      return;
    }
    try {
      this.cloud = (this.opts.cloudFactory ?? createCloudPort)({ apiBase: this.settings.apiBase, credentials: creds, concurrency: 4, logger: this.log });
      this.account = 'configured';
      this.problems.clear({ code: 'no-account' });
      this.problems.clear({ code: 'auth-refused' });
    } catch (err) {
      this.account = 'missing';
      this.problems.raise({ code: 'other', message: (err as Error).message, action: 'Check the API address in Settings.' });
    }
  }

  private eligible(r: LedgerRecord, now: number): boolean {
    if (this.uploads.has(r.id)) return false;
    if (r.state === 'pulled' || r.state === 'uploading' || r.state === 'completing') return true;
    return r.state === 'failed' && isUploadSideFailure(r) && r.failure?.nextTryAt != null && r.failure.nextTryAt <= now;
  }

  private hasRunnableWork(): boolean {
    if (this.uploads.size > 0) return true;
    if (this.paused || !this.online || !this.cloud || this.account === 'refused' || this.stopping) return false;
    const now = this.now();
    return this.ledger.inState(...UPLOAD_CANDIDATE_STATES).some((r) => this.eligible(r, now));
  }

  private pump(): void {
    if (!this.started || this.stopping || this.paused || !this.online || !this.cloud || this.account === 'refused') return;
    const now = this.now();
    const slots = this.settings.concurrency - this.uploads.size;
    if (slots > 0) {
      const next = this.ledger
        .inState(...UPLOAD_CANDIDATE_STATES)
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
    for (const r of this.ledger.inState('failed')) {
      const t = r.failure?.nextTryAt;
      if (t != null && t > now && isUploadSideFailure(r)) soonest = Math.min(soonest, t);
    }
    if (soonest === Infinity) return;
    this.retryTimer = setTimeout(() => this.pump(), Math.min(soonest - now, 2 ** 31 - 1));
    this.retryTimer.unref?.();
  }

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
    const cloud = this.cloud!;
    const active: ActiveUpload = { abort: new AbortController(), cancelled: false, meter: new SpeedMeter(5_000, this.now), cloud };
    this.uploads.set(initial.id, active);
    const id = initial.id;
    let r = initial.state === 'failed' ? requeue(this.ledger, initial) : initial;
    const pulledInfo = r.pulled!;
    this.activity.set(id, { kind: 'upload', bytesDone: 0, bytesTotal: pulledInfo.upload.size, speedBps: 0 });
    this.changed();
    const ownerId = this.settings.identity === 'owner_id' ? this.settings.ownerId : undefined;
    try {
      const result = await cloud.upload(
        {
          path: pulledInfo.upload.path,
          filetype: pulledInfo.upload.filetype,
          snType: r.sn_type,
          ...(ownerId ? { ownerId } : { sn: r.sn }),
          filename: `${path.basename(r.relBase)}.${pulledInfo.upload.filetype}`,
          startTime: r.startMs,
          durationMs: pulledInfo.upload.durationMs || r.durationMs,
          endTime: r.startMs + (pulledInfo.upload.durationMs || r.durationMs),
          md5: pulledInfo.upload.md5,
          resume: this.resumeState(r),
        },
        {
          onSessionStarted: (s) => {
            // A new session replaces any older one (expired links, a lost upload): the old parts are void.
            if (r.state !== 'pulled') r = this.ledger.transition(id, 'pulled');
            r = this.ledger.transition(id, 'uploading', {
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
            r = this.ledger.recordPart(id, part.partNumber, part.etag);
          },
          onCompleting: async () => {
            if (r.state !== 'completing') r = this.ledger.transition(id, 'completing');
            this.changed();
            // On disk before the cloud is asked to complete: after a crash, a 'completing' record retries the same
            // upload id instead of starting a second upload of the recording.
            await this.ledger.flushed();
          },
          onProgress: (p) => {
            active.meter.add(p.bytesSent);
            this.activity.set(id, { kind: 'upload', bytesDone: p.bytesSent, bytesTotal: p.totalBytes, speedBps: active.meter.bps() });
            this.changed();
          },
          onRetry: (info) => this.log.info('upload retry', { id, what: info.what, attempt: info.attempt, delayMs: info.delayMs, err: info.error.message }),
        },
        active.abort.signal,
      );
      if (r.state === 'uploading') r = this.ledger.transition(id, 'completing');
      r = this.ledger.transition(id, 'synced', { cloudFileId: result.file.id ?? result.fileId, possibleDuplicate: result.possibleDuplicate });
      this.lastSyncAt = this.now();
      this.syncedSinceSummary.set(r.deviceId, (this.syncedSinceSummary.get(r.deviceId) ?? 0) + 1);
      this.problems.clear({ recordingId: id });
      if (result.possibleDuplicate) {
        this.problems.raise({ code: 'other', severity: 'warning', recordingId: id, message: `${r.relBase} was uploaded again because the server lost track of an earlier upload; the cloud may hold it twice.`, action: 'Check your Plaud library for a duplicate of this recording.' });
      }
      this.markOnline();
      this.log.info('synced', { id, cloudFileId: r.synced?.cloudFileId, bytes: result.bytes });
      const dev = this.devices.get(r.deviceId);
      if (dev && this.settings.removeAfterSync && !dev.running) void this.removeSynced(dev);
    } catch (err) {
      this.onUploadError(id, err, active);
    } finally {
      this.uploads.delete(id);
      this.activity.delete(id);
      if (!this.stopping) {
        this.pump();
        this.maybeSummarise();
      }
      this.changed();
    }
  }

  private onUploadError(id: string, err: unknown, active: ActiveUpload): void {
    const r = this.ledger.get(id)!;
    const cause = err instanceof UploadError ? err.cause : err;
    const cloudKind = isCloudError(cause) ? cause.kind : isCloudError(err) ? err.kind : undefined;
    const message = err instanceof Error ? err.message : String(err);
    if (active.cancelled) {
      this.ledger.transition(id, 'failed', { reason: 'Cancelled by you. Choose Retry to upload it.', code: 'cancelled', nextTryAt: null });
      return;
    }
    if (active.abort.signal.aborted) return; // pause or quit: the ledger already holds the session to resume
    if ((err instanceof UploadError && err.reason === 'auth') || cloudKind === 'auth') {
      if (active.cloud !== this.cloud) {
        // Refused under credentials the user has since replaced: that says nothing about the new ones, so the
        // recording simply goes back in the queue (the finally in uploadOne pumps) instead of flagging the account.
        this.log.info('upload refused under replaced credentials; retrying with the current ones', { id });
        return;
      }
      this.account = 'refused';
      this.problems.raise({ code: 'auth-refused', message, action: 'Enter a new API token (or client ID and secret) in Settings.' });
      this.log.warn('credentials refused', { id });
      return;
    }
    if (cloudKind === 'network' || cloudKind === 'timeout') {
      this.log.warn('cloud unreachable', { id, err: message });
      this.goOffline(message);
      return;
    }
    const retryable = err instanceof UploadError ? err.retryable : isCloudError(err) ? err.retryable : true;
    const attempts = r.attempts + 1;
    const nextTryAt = retryable && attempts < this.retryPolicy.maxAttempts ? this.now() + retryDelayMs(attempts, this.retryPolicy) : null;
    const code = err instanceof UploadError ? err.reason : (cloudKind ?? 'error');
    this.ledger.transition(id, 'failed', { reason: message, code, nextTryAt });
    this.failedSinceSummary++;
    this.log.warn('upload failed', { id, code, attempts, nextTryAt, err: message });
    const waiting = this.ledger.inState('failed').filter(isUploadSideFailure).length;
    this.problems.raise({
      code: cloudKind === 'rate-limited' ? 'rate-limited' : cloudKind === 'server' ? 'server-error' : 'upload-failed',
      message: `${waiting} recording(s) could not be uploaded. Last error: ${message}`,
      action: nextTryAt ? 'It is retried automatically; choose Retry to try now.' : 'Choose Retry to try again.',
    });
  }

  // ---------- offline ----------

  private goOffline(reason: string): void {
    if (!this.online) return;
    this.online = false;
    this.probeFailures = 0;
    this.problems.raise({ code: 'offline', message: `The Plaud cloud cannot be reached (${reason}). Uploads wait and resume by themselves.`, action: 'Check the internet connection.' });
    this.scheduleProbe();
    this.changed();
  }

  private markOnline(): void {
    if (this.online) return;
    this.online = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.problems.clear({ code: 'offline' });
    this.log.info('cloud reachable again');
    this.pump();
    this.changed();
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
    if (this.stopping || this.online) return;
    const ok = this.cloud ? await this.cloud.reachable() : false;
    if (ok) this.markOnline();
    else {
      this.probeFailures++;
      this.scheduleProbe();
    }
  }

  // ---------- state ----------

  /** One summary per sync: only when no recorder is still being read and the queue has run dry. */
  private maybeSummarise(): void {
    if (this.pulls.size > 0 || this.uploads.size > 0 || this.hasRunnableWork()) return;
    if (this.syncedSinceSummary.size === 0 && this.failedSinceSummary === 0) return;
    for (const [deviceId, synced] of this.syncedSinceSummary) {
      const d = this.devices.get(deviceId)?.info ?? this.known.get(deviceId);
      this.emit({ type: 'sync-finished', deviceId, ...(d ? { displayName: this.displayName(d) } : {}), synced, failed: 0 });
    }
    if (this.syncedSinceSummary.size === 0) this.emit({ type: 'sync-finished', synced: 0, failed: this.failedSinceSummary });
    this.syncedSinceSummary = new Map();
    this.failedSinceSummary = 0;
  }

  private async idleUploads(): Promise<void> {
    while (this.uploads.size > 0) await new Promise((r) => setTimeout(r, 20));
  }

  private emit(e: EngineEvent): void {
    this.emitter.emit('event', e);
  }

  private changed(): void {
    if (!this.started) return;
    this.seq++;
    this.statePush.push();
  }

  private snapshot(): EngineState {
    const ctx = { paused: this.paused, online: this.online, accountReady: this.account === 'configured', activity: this.activity };
    // Only unfinished records are read: the synced history (possibly 10,000) stays unparsed.
    const pending = this.started ? this.ledger.inState(...PENDING_STATES) : [];
    const queue = pending
      .sort((a, b) => a.startMs - b.startMs)
      .map((r) => queueItem(r, ctx));
    const devices: DeviceView[] = [];
    for (const rt of this.devices.values()) {
      devices.push({
        id: rt.info.id,
        sn: rt.info.sn,
        sn_type: rt.info.sn_type,
        model: rt.info.model,
        firmware: rt.info.firmware,
        connected: true,
        mountPath: rt.info.mountPath,
        freeBytes: rt.info.freeBytes,
        totalBytes: rt.info.totalBytes,
        recordingsOnDevice: rt.recordingsOnDevice,
        newRecordings: rt.newRecordings,
        pull: { ...rt.pull },
        safeToUnplug: rt.pull.state === 'done' && !rt.running,
        lastSeenAt: this.now(),
        warnings: rt.warnings,
      });
    }
    for (const k of this.known.list()) {
      if (this.devices.has(k.id)) continue;
      devices.push({ ...k, connected: false, recordingsOnDevice: 0, newRecordings: 0, pull: { state: 'idle', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 }, safeToUnplug: true, warnings: [] });
    }
    let speed = 0;
    let bytesPending = 0;
    for (const q of queue) {
      speed += q.speedBps;
      bytesPending += Math.max(0, q.bytesTotal - q.bytesDone);
    }
    return {
      seq: this.seq,
      devices,
      queue,
      totals: {
        queued: queue.filter((q) => q.state !== 'failed' && q.state !== 'uploading' && q.state !== 'completing' && q.state !== 'pulling').length,
        active: this.uploads.size + [...this.activity.values()].filter((a) => a.kind === 'pull').length,
        failed: queue.filter((q) => q.state === 'failed').length,
        synced: this.started ? this.ledger.counts().synced : 0,
        bytesPending,
        speedBps: speed,
        etaSec: speed > 0 ? Math.ceil(bytesPending / speed) : null,
      },
      lastSyncAt: this.lastSyncAt,
      paused: this.paused,
      online: this.online,
      account: this.account,
      problems: this.problems.list(),
    };
  }
}

/** Build and start an engine. */
export async function createEngine(opts: EngineOptions): Promise<SyncEngine> {
  const engine = new SyncEngine(opts);
  await engine.start();
  return engine;
}
