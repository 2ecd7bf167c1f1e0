// The sync engine: a thin composition of the pull side (device-pulls.ts, running the one pull loop of
// pull-coordinator.ts), the upload queue (upload-queue.ts) and the problem catalogue (problems.ts), around one ledger
// that records each step before and after it happens, so any step resumes after a crash.
//
//   recorder attached -> scan -> recording model (which take is this?) -> pull (verified library copy) -> pulled
//   pulled -> upload queue (oldest first, global concurrency) -> uploading -> completing -> synced
//   synced + remove-after-sync -> delete on the recorder (marked pending before, done after)
//
// Its public API (SyncEngineApi, used by IPC and the CLI) is all that other parts call.
// Over 400 lines only by the snapshot it builds for the window and the intents it forwards; the work is in the parts.
import { EventEmitter } from 'node:events';
import {
  openLedger,
  ledgerDir,
  RECORD_STATES,
  LedgerLockedError,
  type Ledger,
  type LedgerRecord,
} from '../ledger/index.js';
import { acquireLock, type LockHandle } from '../ledger/lock.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { nullLogger, type Logger } from '../log.js';
import type { SecretStore, Settings } from '../settings.js';
import type { DeviceInfo } from '../types.js';
import { scanVolume } from '../devices/scan.js';
import { LIBRARY_LOCK, libraryNeedsMigration, migrateLibraryLayout } from '../library/migrate-layout.js';
import { followLibraryLayout, ledgerNeedsFollow } from './library-layout.js';
import type { ConnectionTestResult, EngineEvent, SyncEngineApi } from './api.js';
import { DEFAULT_RETRY, type RetryPolicy } from './backoff.js';
import type { createCloudPort } from './cloud-port.js';
import type { EngineContext } from './context.js';
import { PullSide, displayName } from './device-pulls.js';
import { raiseChanged } from './take-planner.js';
import type { DeviceWatcherPort } from './ports.js';
import { ProblemBoard } from './problems.js';
import { retryFailed } from './retry.js';
import type { DeviceView, EngineState, HistoryEntry, HistoryQuery } from './state.js';
import { throttleLatest, type Throttled } from './throttle.js';
import { UploadQueue } from './upload-queue.js';
import { PullSpeeds, phaseTotals, queryHistory, queueItem, type Activity } from './views.js';

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

/** Everything not yet synced or skipped. */
const PENDING_STATES = RECORD_STATES.filter((st) => st !== 'synced' && st !== 'skipped');

export class SyncEngine implements SyncEngineApi, EngineContext {
  ledger!: Ledger;
  settings: Settings;
  readonly log: Logger;
  readonly problems: ProblemBoard;
  readonly activity = new Map<string, Activity>();
  stopping = false;
  private readonly emitter = new EventEmitter();
  private readonly statePush: Throttled<void>;
  private readonly pulls: PullSide;
  private readonly queue: UploadQueue;
  private seq = 0;
  /** Copy speed per plugged-in recorder, sampled by each snapshot (see snapshot()). */
  private readonly pullSpeeds = new PullSpeeds(5_000, () => this.now());
  private started = false;
  private lastSyncAt: number | null = null;
  private syncedSinceSummary = new Map<string, number>();
  private libraryLock: { dir: string; handle: LockHandle } | undefined;
  private failedSinceSummary = 0;

  constructor(private readonly opts: EngineOptions) {
    this.settings = opts.settings;
    this.log = opts.logger ?? nullLogger;
    this.emitter.setMaxListeners(50);
    this.problems = new ProblemBoard(
      (problem) => this.emit({ type: 'problem', problem }),
      (problemId) => this.emit({ type: 'problem-cleared', problemId }),
      () => this.now(),
    );
    this.queue = new UploadQueue(this, {
      retry: opts.retry ?? DEFAULT_RETRY,
      ...(opts.cloudFactory ? { cloudFactory: opts.cloudFactory } : {}),
      onSynced: (r) => {
        this.lastSyncAt = this.now();
        this.syncedSinceSummary.set(r.deviceId, (this.syncedSinceSummary.get(r.deviceId) ?? 0) + 1);
        this.pulls.afterSynced(r);
      },
      onFailed: () => this.failedSinceSummary++,
      onSettled: () => this.maybeSummarise(),
    });
    this.pulls = new PullSide(this, opts.stateDir, {
      isUploading: (id) => this.queue.isUploading(id),
      pulled: () => this.queue.pump(),
      settled: () => this.maybeSummarise(),
      failedOne: () => this.failedSinceSummary++,
    });
    // The snapshot is built when it is delivered, not on every change: a pull reports every chunk.
    this.statePush = throttleLatest(
      () => this.emitter.emit('state', this.snapshot()),
      opts.stateIntervalMs ?? 100,
      () => this.now(),
    );
  }

  now(): number {
    return (this.opts.now ?? Date.now)();
  }

  // ---------- life cycle ----------

  /** Open the ledger, resume unfinished work, start watching for recorders. */
  async start(): Promise<void> {
    // Group durability: journal fsyncs run in the background, shared; the points that need a change on disk
    // before acting (complete-upload, deleting from the recorder, "pull finished") await ledger.flushed().
    this.ledger = await openLedger(ledgerDir(this.opts.stateDir), { logger: this.log, durability: 'group' });
    this.started = true;
    for (const r of this.ledger.all()) {
      if (r.synced && (this.lastSyncAt === null || r.synced.syncedAt > this.lastSyncAt))
        this.lastSyncAt = r.synced.syncedAt;
      // A pull cut short by a crash restarts from the recorder; the library drops the temp files.
      if (r.state === 'pulling') this.ledger.transition(r.id, 'discovered');
      if (r.changedOnDevice) raiseChanged(this.problems, r);
    }
    // A library from before readable names moves into today's layout before anything is uploaded from it.
    if (await libraryNeedsMigration(this.settings.libraryDir).catch(() => false)) await this.lockLibrary();
    else await this.followLibrary(path.resolve(this.settings.libraryDir));
    await this.queue.configure(this.opts.secrets);
    const w = this.opts.watcher;
    if (w) {
      w.onAttached((d) => this.onAttached(d));
      w.onDetached((d) => this.pulls.detached(d.id));
      await w.start();
    }
    this.log.info('engine started', {
      records: this.ledger.size,
      apiBase: this.settings.apiBase,
      account: this.queue.account,
    });
    this.queue.pump();
    this.changed();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.queue.abortAll();
    await this.opts.watcher?.stop().catch(() => {});
    // In-flight uploads stop where they are: their sessions and finished parts are in the ledger.
    this.pulls.stopAll();
    await Promise.allSettled([...this.pulls.pulls]);
    await this.queue.idle();
    this.statePush.flush();
    this.libraryLock?.handle.release();
    this.libraryLock = undefined;
    if (this.started) this.ledger.close();
    this.log.info('engine stopped');
  }

  isPulling(): boolean {
    return this.pulls.pulls.size > 0;
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
    this.queue.retryWaitingNow();
    await this.pulls.pullAllDevices();
    this.queue.pump();
  }

  pause(): void {
    if (this.queue.paused) return;
    this.queue.pause();
    this.log.info('queue paused');
    this.changed();
  }

  resume(): void {
    if (!this.queue.paused) return;
    this.queue.resume();
    this.log.info('queue resumed');
    this.changed();
  }

  async retry(id?: string): Promise<void> {
    const ids = retryFailed(this.ledger, id);
    for (const rid of ids) this.problems.clear({ recordingId: rid });
    this.problems.clear({ code: 'upload-failed' });
    this.problems.clear({ code: 'server-error' });
    for (const d of this.pulls.devices.values()) void this.pulls.pullDevice(d);
    this.queue.pump();
    this.changed();
  }

  async cancel(id: string): Promise<void> {
    const r = this.ledger.get(id);
    if (!r) throw new Error(`No recording with id ${id}.`);
    if (this.queue.cancel(r)) this.changed();
  }

  /**
   * The recorder holds a newer version of a recording that was already uploaded (it grew, or changed). Upload what it
   * holds now, once, as a take of its own beside the first (neither library copy is overwritten).
   */
  async uploadNewerVersion(id: string): Promise<string> {
    const r = this.ledger.get(id);
    if (!r) throw new Error(`No recording with id ${id}. "plaud-sync status --json" lists the ids.`);
    if (!r.changedOnDevice)
      throw new Error(`The recorder holds no newer version of ${id}: there is nothing to upload again.`);
    const rt = [...this.pulls.devices.values()].find((d) => d.info.sn === r.sn);
    if (!rt) throw new Error(`Plug in the recorder with serial ${r.sn}: the newer version of this recording is on it.`);
    const scan = await scanVolume(rt.info.mountPath, rt.info.sn);
    const rec = scan.recordings.find((x) => x.relBase === r.relBase);
    if (!rec)
      throw new Error(
        `The recorder no longer holds ${r.relBase}, or it is still being written; try again in a moment.`,
      );
    const takes = this.ledger.takesOf(r.sn, r.relBase);
    const next = this.ledger.discover(
      rec,
      { sn_type: rt.info.sn_type, deviceId: rt.info.id },
      { take: Math.max(...takes.map((t) => t.take)) + 1, supersedes: r.id },
    );
    this.ledger.amend(r.id, { changedOnDevice: null, offDevice: this.now() });
    this.problems.clear({ code: 'recording-changed', recordingId: r.id });
    this.log.info('uploading the newer version of a changed recording', { id: r.id, as: next.id });
    await this.pulls.pullDevice(rt);
    this.queue.pump();
    this.changed();
    return next.id;
  }

  async getHistory(q: HistoryQuery): Promise<{ total: number; entries: HistoryEntry[] }> {
    return queryHistory(this.ledger.all(), q);
  }

  async testConnection(): Promise<ConnectionTestResult> {
    return this.queue.testConnection();
  }

  async applySettings(s: Settings): Promise<void> {
    if (this.libraryLock && path.resolve(s.libraryDir) !== this.libraryLock.dir) {
      this.libraryLock.handle.release();
      this.libraryLock = undefined;
    }
    this.settings = s;
    await this.queue.configure(this.opts.secrets);
    this.queue.pump();
    this.changed();
  }

  /** Resolves when nothing is running and nothing is ready to run (used by the one-shot CLI pass). */
  async whenIdle(): Promise<void> {
    for (;;) {
      await Promise.allSettled([...this.pulls.pulls]);
      await this.queue.idle();
      if (!this.queue.hasRunnableWork() && this.pulls.pulls.size === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Recordings the attached recorders are still writing (not yet in the ledger: they are copied once settled). */
  unsettledOnRecorders(): number {
    return this.pulls.unsettledCount();
  }

  /** Recordings not yet synced or skipped (what makes `sync` exit non-zero). */
  pendingRecords(): LedgerRecord[] {
    return this.ledger.inState(...PENDING_STATES);
  }

  records(): LedgerRecord[] {
    return this.ledger.all();
  }

  // ---------- internals ----------

  private onAttached(info: DeviceInfo): void {
    if (this.stopping) return;
    this.pulls.attached(info);
  }

  async lockLibrary(): Promise<boolean> {
    const dir = path.resolve(this.settings.libraryDir);
    if (this.libraryLock?.dir === dir) return true;
    try {
      await fs.mkdir(dir, { recursive: true });
      this.libraryLock = { dir, handle: acquireLock(dir, this.log, LIBRARY_LOCK) };
      this.problems.clear({ code: 'library-in-use' });
      await this.migrateLibrary(dir);
      return true;
    } catch (err) {
      if (!(err instanceof LedgerLockedError)) return true; // the pull itself reports a library it cannot write
      this.problems.raise({
        code: 'library-in-use',
        message: `The library folder is in use by another Plaud Sync (${err.holder}, pid ${err.pid}) with its own state folder; nothing is copied into it meanwhile.`,
        detail: `${dir} (lock file ${err.lockFile})`,
      });
      return false;
    }
  }

  /**
   * Give an old library's playable files their readable names and have the ledger follow (library/migrate-layout.ts).
   * A failure is a problem to show, never a reason to stop: the files stay where they were and are still found.
   */
  private async migrateLibrary(dir: string): Promise<void> {
    try {
      if (await libraryNeedsMigration(dir)) {
        const snTypes = new Map<string, DeviceView['sn_type']>();
        for (const r of this.ledger.all()) snTypes.set(r.sn, r.sn_type);
        for (const k of this.pulls.known.list()) snTypes.set(k.sn, k.sn_type);
        const report = await migrateLibraryLayout(dir, {
          nameTemplate: this.settings.libraryNames,
          snTypeOf: (sn) => snTypes.get(sn),
          logger: this.log,
        });
        for (const why of report.left) this.log.warn('left in the old library layout', { why });
      }
    } catch (err) {
      this.log.error('moving the library to readable names failed', { err });
      this.problems.raise({
        code: 'other',
        message: 'Some recordings in the library could not be given readable names; they stay where they were.',
        detail: err instanceof Error ? err.message : String(err),
      });
    }
    await this.followLibrary(dir);
  }

  private async followLibrary(dir: string): Promise<void> {
    if (!this.started || !ledgerNeedsFollow(this.ledger, dir)) return;
    try {
      const n = await followLibraryLayout(this.ledger, dir);
      if (n) this.log.info('ledger follows the library layout', { records: n });
    } catch (err) {
      this.log.error('the ledger could not follow the library layout', { err });
    }
  }

  /** Wait for the ledger's pending changes to be on disk; a failure is already reported by the ledger's own error. */
  async flushLedger(): Promise<void> {
    try {
      await this.ledger.flushed();
    } catch (err) {
      this.log.error('ledger flush failed', { err });
      this.problems.raise({
        code: 'other',
        message: 'Plaud Sync could not save its progress to disk.',
        detail: (err as Error).message,
        action: "Check the disk that holds Plaud Sync's data, then restart Plaud Sync. Nothing in the library is lost.",
      });
    }
  }

  /** One summary per sync: only when no recorder is still being read and the queue has run dry. */
  private maybeSummarise(): void {
    if (this.pulls.pulls.size > 0 || this.queue.active > 0 || this.queue.hasRunnableWork()) return;
    // A pass that ends with nothing failed clears the upload failures it may have shown on the way.
    this.queue.clearResolvedFailures();
    if (this.syncedSinceSummary.size === 0 && this.failedSinceSummary === 0) return;
    for (const [deviceId, synced] of this.syncedSinceSummary) {
      const d = this.pulls.devices.get(deviceId)?.info ?? this.pulls.known.get(deviceId);
      this.emit({ type: 'sync-finished', deviceId, ...(d ? { displayName: displayName(d) } : {}), synced, failed: 0 });
    }
    if (this.syncedSinceSummary.size === 0)
      this.emit({ type: 'sync-finished', synced: 0, failed: this.failedSinceSummary });
    this.syncedSinceSummary = new Map();
    this.failedSinceSummary = 0;
  }

  emit(e: EngineEvent): void {
    this.emitter.emit('event', e);
  }

  changed(): void {
    if (!this.started) return;
    this.seq++;
    this.statePush.push();
  }

  private snapshot(): EngineState {
    const q = this.queue;
    const connectedSns = new Set([...this.pulls.devices.values()].map((d) => d.info.sn));
    const ctx = {
      paused: q.paused,
      online: q.online,
      accountReady: q.account === 'configured',
      activity: this.activity,
      connectedSns,
    };
    // Only unfinished records are read: the synced history (possibly 10,000) stays unparsed.
    const pending = this.started ? this.ledger.inState(...PENDING_STATES) : [];
    const queue = pending.sort((a, b) => a.startMs - b.startMs).map((r) => queueItem(r, ctx));
    const devices: DeviceView[] = [];
    this.pullSpeeds.keepOnly(new Set(this.pulls.devices.keys()));
    for (const rt of this.pulls.devices.values()) {
      const speed = this.pullSpeeds.sample(rt.info.id, rt.pull);
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
        pull: { ...rt.pull, ...speed },
        safeToUnplug: rt.pull.state === 'done' && !rt.running,
        waitingForRecorder: rt.unsettled,
        lastSeenAt: this.now(),
        warnings: rt.warnings,
      });
      // The pull reports no speed per recording: when one recording is being copied, the recorder's speed is its own.
      const copying = queue.filter((i) => i.state === 'pulling' && i.deviceId === rt.info.id);
      if (copying.length === 1 && copying[0]!.speedBps === 0 && speed.speedBps > 0) {
        const item = copying[0]!;
        item.speedBps = speed.speedBps;
        item.etaSec = Math.ceil(Math.max(0, item.bytesTotal - item.bytesDone) / speed.speedBps);
      }
    }
    for (const k of this.pulls.known.list()) {
      if (this.pulls.devices.has(k.id)) continue;
      // Counted per recorder when the card is built: only recorders not plugged in, each from its own ledger index.
      const synced = this.started ? this.ledger.bySn(k.sn).filter((r) => r.state === 'synced').length : 0;
      devices.push({
        ...k,
        ...(k.lastVisit ? { lastVisit: { ...k.lastVisit, synced } } : {}),
        connected: false,
        recordingsOnDevice: k.lastVisit?.recordingsOnDevice ?? 0,
        newRecordings: 0,
        pull: { state: 'idle', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 },
        safeToUnplug: true,
        warnings: [],
      });
    }
    const phases = phaseTotals(
      devices.filter((d) => d.connected).map((d) => d.pull),
      queue,
    );
    // bytesPending keeps its meaning (every byte still to go, either phase); the speed and time left are the upload
    // phase's own, so the recorder's bytes are never divided by the upload speed.
    let bytesPending = 0;
    for (const item of queue) {
      if (item.state === 'on-recorder' || item.state === 'cancelled') continue;
      bytesPending += Math.max(0, item.bytesTotal - item.bytesDone);
    }
    const speed = phases.upload?.speedBps ?? 0;
    const uploadEta = phases.upload?.etaSec ?? null;
    return {
      seq: this.seq,
      devices,
      queue,
      totals: {
        queued: queue.filter(
          (i) =>
            i.state === 'queued' ||
            i.state === 'waiting-account' ||
            i.state === 'waiting-network' ||
            i.state === 'paused' ||
            i.state === 'waiting-retry',
        ).length,
        // What moves now, counted from the rows (offline uploads wait for the network and are not active).
        active: queue.filter((i) => i.state === 'pulling' || i.state === 'uploading' || i.state === 'completing')
          .length,
        failed: queue.filter((i) => i.state === 'failed').length,
        synced: this.started ? this.ledger.counts().synced : 0,
        bytesPending,
        speedBps: speed,
        etaSec: uploadEta,
        ...phases,
      },
      lastSyncAt: this.lastSyncAt,
      paused: q.paused,
      online: q.online,
      account: q.account,
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
