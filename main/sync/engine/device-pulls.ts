// The pull side of the engine: recorders attached and detached, what to copy from each (the recording model decides,
// recording/reconcile.ts), the one pull loop (pull-coordinator.ts) with the ledger written around each step, a second
// look by itself while the recorder is still writing a recording, and remove-after-sync.
// Over 400 lines because runPull's ledger hooks (start, bytes, pulled, interrupted, failed) share its per-pass state
// (ids, counters, the stop reason); split out, each would need all of it passed in. Planning is in take-planner.ts.
import { scanVolume, type ScanResult } from '../devices/scan.js';
import { deviceDisplayName } from '../devices/traits.js';
import { LibraryError } from '../library/errors.js';
import type { LedgerRecord } from '../ledger/index.js';
import { believedOnRecorder } from '../recording/reconcile.js';
import { sourceBytes } from '../recording/identity.js';
import type { DeviceInfo, Recording } from '../types.js';
import type { EngineContext } from './context.js';
import { KnownDevices } from './known-devices.js';
import { runPulls, type PullJob } from './pull-coordinator.js';
import { removeSyncedTakes } from './remove-from-device.js';
import { TakePlanner } from './take-planner.js';
import type { DeviceView } from './state.js';

export interface DeviceRuntime {
  info: DeviceInfo;
  recordingsOnDevice: number;
  newRecordings: number;
  /** Recordings still being written by the recorder at the last look. */
  unsettled: number;
  pull: DeviceView['pull'];
  abort?: AbortController;
  running?: Promise<void>;
  warnings: string[];
  relookTimer?: NodeJS.Timeout;
  /**
   * Takes whose files on the recorder were copied, or whose first bytes were checked (verifyKnown), during this
   * plug-in: only these may be removed from the recorder (remove-from-device.ts).
   */
  verified: Set<string>;
  /** Known takes to check after this pull (trusted by size and time until then). */
  toVerify: { rec: Recording; id: string }[];
  /** Look again once the current pass ends (a known name turned out to hold another recording). */
  again?: boolean;
}

const PULL_ERROR_PROBLEM: Partial<Record<string, 'library-full' | 'library-unwritable' | 'device-read-error'>> = {
  DISK_FULL: 'library-full',
  LIBRARY_UNWRITABLE: 'library-unwritable',
  DEVICE_GONE: 'device-read-error',
};

/** How soon a recorder that is still writing a recording is looked at again (the scan's busy window is 5 s). */
export const RELOOK_MS = 3_000;

export function displayName(info: { sn_type: DeviceInfo['sn_type']; model: string }): string {
  return deviceDisplayName(info);
}

export { needsPull } from './take-planner.js';

export interface PullSideHooks {
  isUploading(id: string): boolean;
  /** A take is pulled: the upload queue may start it. */
  pulled(): void;
  /** A pass over a recorder ended (the engine may summarise). */
  settled(): void;
  failedOne(): void;
}

export class PullSide {
  readonly devices = new Map<string, DeviceRuntime>();
  /** Pulls under way, including those of a recorder that has just gone away (they still write the ledger). */
  readonly pulls = new Set<Promise<void>>();
  readonly known: KnownDevices;
  private readonly planner: TakePlanner;

  constructor(
    private readonly ctx: EngineContext,
    stateDir: string,
    private readonly hooks: PullSideHooks,
  ) {
    this.known = new KnownDevices(stateDir, (msg) => ctx.log.warn(msg));
    this.planner = new TakePlanner(ctx, {
      isUploading: (id) => hooks.isUploading(id),
      attached: (rt) => this.devices.get(rt.info.id) === rt,
    });
  }

  // ---------- recorders ----------

  attached(info: DeviceInfo): void {
    const { problems, log } = this.ctx;
    const prev = this.devices.get(info.id);
    const rt: DeviceRuntime = prev ?? {
      info,
      recordingsOnDevice: 0,
      newRecordings: 0,
      unsettled: 0,
      pull: { state: 'idle', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 },
      warnings: [],
      verified: new Set(),
      toVerify: [],
    };
    if (prev) prev.verified.clear(); // a new plug-in: the recorder may have changed while it was away
    rt.info = info;
    rt.warnings = [...info.warnings];
    this.devices.set(info.id, rt);
    this.known.remember(info, this.ctx.now());
    problems.clear({ code: 'device-read-error', deviceId: info.id });
    if (info.warnings.length)
      problems.raise({ code: 'device-mismatch', deviceId: info.id, message: info.warnings.join(' ') });
    log.info('recorder attached', {
      id: info.id,
      sn_type: info.sn_type,
      model: info.model,
      firmware: info.firmware,
      mountPath: info.mountPath,
    });
    this.ctx.emit({
      type: 'device-attached',
      deviceId: info.id,
      sn: info.sn,
      sn_type: info.sn_type,
      model: info.model,
      mountPath: info.mountPath,
    });
    if (this.ctx.settings.autoSync) void this.pullDevice(rt);
    else void this.countOnly(rt);
    this.ctx.changed();
  }

  detached(id: string): void {
    const rt = this.devices.get(id);
    if (!rt) return;
    rt.abort?.abort();
    if (rt.relookTimer) clearTimeout(rt.relookTimer);
    this.devices.delete(id);
    this.ctx.log.info('recorder detached', { id });
    this.ctx.emit({ type: 'device-detached', deviceId: id });
    this.ctx.changed();
  }

  stopAll(): void {
    for (const d of this.devices.values()) {
      d.abort?.abort();
      if (d.relookTimer) clearTimeout(d.relookTimer);
    }
  }

  /** Pull every attached recorder (sync now, retry). */
  pullAllDevices(): Promise<void[]> {
    return Promise.all([...this.devices.values()].map((d) => this.pullDevice(d)));
  }

  unsettledCount(): number {
    let n = 0;
    for (const d of this.devices.values()) n += d.unsettled;
    return n;
  }

  // ---------- what to copy ----------

  private async scan(rt: DeviceRuntime): Promise<ScanResult> {
    const { ledger } = this.ctx;
    const sn = rt.info.sn;
    // Recordings the ledger saw with these very files are not read again (see scan.ts); the quick check after the
    // pull still reads the start of each of them. A take the quick check found replaced (offDevice), or whose files
    // we deleted from the recorder ourselves, describes nothing on it now.
    const scan = await scanVolume(rt.info.mountPath, sn, {
      known: (relBase) =>
        ledger
          .takesOf(sn, relBase)
          .filter(believedOnRecorder)
          .map((r) => ({ durationMs: r.durationMs, ...r.source })),
    });
    this.ctx.log.debug('scanned', {
      id: rt.info.id,
      recordings: scan.recordings.length,
      knownUnchanged: scan.knownUnchanged,
    });
    for (const n of scan.notes)
      this.ctx.log.warn('recording header disagrees with its audio', { id: rt.info.id, ...n });
    rt.unsettled = scan.unsettled.length;
    if (scan.unsettled.length)
      this.ctx.log.info('recorder still writing', { id: rt.info.id, unsettled: scan.unsettled });
    return scan;
  }

  /** Scan without pulling (auto-sync off): the window still shows what is new. */
  private async countOnly(rt: DeviceRuntime): Promise<void> {
    try {
      const scan = await this.scan(rt);
      rt.recordingsOnDevice = scan.recordings.length;
      const jobs = await this.planner.plan(rt, scan.recordings, scan);
      rt.newRecordings = jobs.length;
    } catch (err) {
      this.ctx.log.warn('scan failed', { id: rt.info.id, err });
    }
    this.ctx.changed();
  }

  // ---------- the pull ----------

  pullDevice(rt: DeviceRuntime): Promise<void> {
    if (rt.running) return rt.running;
    const running = this.runPull(rt).finally(() => {
      rt.running = undefined;
      rt.abort = undefined;
      this.pulls.delete(running);
      if (!this.ctx.stopping) this.hooks.settled();
      this.ctx.changed();
      if (rt.again && !this.ctx.stopping && this.devices.get(rt.info.id) === rt) {
        rt.again = false;
        void this.pullDevice(rt);
      }
    });
    rt.running = running;
    this.pulls.add(running);
    return running;
  }

  private scheduleRelook(rt: DeviceRuntime): void {
    if (rt.relookTimer) clearTimeout(rt.relookTimer);
    rt.relookTimer = undefined;
    if (rt.unsettled === 0 || this.ctx.stopping || !this.devices.has(rt.info.id)) return;
    // Still writing: look again by itself, without a re-plug, until every recording has settled.
    rt.relookTimer = setTimeout(() => {
      rt.relookTimer = undefined;
      if (this.devices.get(rt.info.id) === rt && !this.ctx.stopping) void this.pullDevice(rt);
    }, RELOOK_MS);
    rt.relookTimer.unref?.();
  }

  private async runPull(rt: DeviceRuntime): Promise<void> {
    const { ledger, problems, log, activity, settings } = this.ctx;
    const { info } = rt;
    const abort = new AbortController();
    rt.abort = abort;
    rt.pull = { state: 'pulling', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 };
    this.ctx.changed();
    if (!(await this.ctx.lockLibrary())) {
      rt.pull = { ...rt.pull, state: 'error', error: 'The library folder is in use by another Plaud Sync.' };
      return;
    }
    let scan: ScanResult;
    let jobs: PullJob[];
    try {
      scan = await this.scan(rt);
      jobs = await this.planner.plan(rt, scan.recordings, scan);
    } catch (err) {
      rt.pull = {
        ...rt.pull,
        state: 'error',
        error: `Could not read the recorder's folders: ${(err as Error).message}`,
      };
      problems.raise({
        code: 'device-read-error',
        deviceId: info.id,
        message: `The ${displayName(info)} could not be read.`,
        detail: (err as Error).message,
        action: 'Unplug the recorder and plug it in again.',
      });
      return;
    }
    if (scan.skipped.length) {
      log.warn('recorder entries skipped', { id: info.id, skipped: scan.skipped });
      const first = scan.skipped[0]!;
      const n = scan.skipped.length;
      problems.raise({
        code: 'recording-skipped',
        deviceId: info.id,
        message: `${n === 1 ? 'A file' : `${n} files`} on the ${displayName(info)} ${n === 1 ? 'was' : 'were'} not copied.`,
        detail: scan.skipped.map((s) => `${s.relPath}: ${s.reason}`).join('\n') || `${first.relPath}: ${first.reason}`,
      });
    }
    rt.recordingsOnDevice = scan.recordings.length;
    rt.newRecordings = jobs.length;
    rt.pull = {
      state: 'pulling',
      filesDone: 0,
      filesTotal: jobs.length,
      bytesDone: 0,
      bytesTotal: jobs.reduce((n, j) => n + sourceBytes(j.rec), 0),
    };
    this.ctx.changed();

    let pulled = 0;
    let failed = 0;
    let stopped: LibraryError | null = null;
    const idOf = (j: PullJob) => ledger.takesOf(j.rec.sn, j.rec.relBase)[(j.take ?? 1) - 1]!.id;
    const ids = new Map<PullJob, string>(jobs.map((j) => [j, idOf(j)]));
    const copied = new Map<string, number>();
    const summary = await runPulls(info, jobs, {
      libraryDir: settings.libraryDir,
      format: settings.uploadFormat,
      nameTemplate: settings.libraryNames,
      signal: abort.signal,
      logger: log,
      concurrency: undefined,
      hooks: {
        onStart: (job) => {
          const id = ids.get(job)!;
          const r = ledger.get(id)!;
          if (!job.copyOnly && r.state !== 'pulling') ledger.transition(id, 'pulling');
          activity.set(id, { kind: 'pull', bytesDone: 0, bytesTotal: sourceBytes(job.rec), speedBps: 0 });
        },
        onBytes: (job, n) => {
          const id = ids.get(job)!;
          copied.set(id, (copied.get(id) ?? 0) + n);
          rt.pull.bytesDone += n;
          const a = activity.get(id);
          if (a) a.bytesDone = copied.get(id)!;
          this.ctx.changed();
        },
        onPulled: (job, result) => {
          const id = ids.get(job)!;
          activity.delete(id);
          rt.pull.filesDone++;
          const r = ledger.get(id)!;
          const files = result.files
            .filter((f) => f.role !== 'upload')
            .map((f) => ({
              relPath: (f.role === 'wav' ? job.rec.wav : job.rec.asr)!.relPath,
              libraryPath: f.path,
              size: f.size,
              md5: f.md5,
            }));
          if (job.copyOnly) {
            // The partner joins the library copy of a take whose upload began; its upload file stays as it is.
            ledger.amend(id, {
              source: this.planner.sourceOf(job.rec),
              size: sourceBytes(job.rec),
              fingerprint: result.fingerprint,
              offDevice: null,
              ...(r.pulled ? { pulledFiles: files } : {}),
            });
            log.info('a partner file joined the library copy of an uploaded recording', { id });
            return;
          }
          if (!result.upload)
            throw new LibraryError('BAD_RECORDING', `No upload file could be made for ${job.rec.relBase}.`);
          ledger.amend(id, { fingerprint: result.fingerprint });
          if (result.unreadableManifestKeptAs && ledger.get(id)!.state !== 'synced') {
            problems.raise({
              code: 'possible-duplicate',
              deviceId: info.id, // not the recording: its upload clears that recording's problems, and this must stay
              message:
                "A recording's record in the library was damaged, so it is uploaded again; the cloud may hold it twice.",
              detail: `${job.rec.relBase}: the damaged file was kept as ${result.unreadableManifestKeptAs}.`,
            });
          }
          // Copied from the recorder just now: what it holds under this name is this take.
          rt.verified.add(id);
          const pulledRecord = ledger.transition(id, 'pulled', {
            durationMs: result.upload.durationMs || job.rec.durationMs,
            pulled: {
              files,
              upload: {
                path: result.upload.path,
                size: result.upload.size,
                md5: result.upload.md5,
                filetype: result.upload.filetype,
                durationMs: result.upload.durationMs,
              },
            },
          });
          pulled++;
          if (result.cloud) {
            // The library remembers that the cloud has this take: record it as synced instead of uploading it again.
            ledger.transition(pulledRecord.id, 'synced', { cloudFileId: result.cloud.fileId });
            log.info('the library says the cloud already has this recording; not uploading it again', {
              id,
              cloudFileId: result.cloud.fileId,
            });
            return;
          }
          this.hooks.pulled();
        },
        onInterrupted: (job, e) => {
          const id = ids.get(job)!;
          activity.delete(id);
          // Nothing verified was lost: the recording goes back to "on the recorder" and resumes on the next attach.
          if (ledger.get(id)!.state === 'pulling') ledger.transition(id, 'discovered');
          const unplugged = !this.ctx.stopping && this.devices.get(info.id) !== rt;
          if (!stopped && (e.code === 'DEVICE_GONE' || unplugged)) {
            stopped =
              e.code === 'DEVICE_GONE'
                ? e
                : new LibraryError(
                    'DEVICE_GONE',
                    `The ${displayName(info)} was unplugged while a recording was being copied. Nothing incomplete was kept; plug it in again and the copy resumes.`,
                  );
          }
          abort.abort(); // the other recordings in flight stop too
        },
        onFailed: (job, e, fatal) => {
          const id = ids.get(job)!;
          activity.delete(id);
          rt.pull.filesDone++;
          failed++;
          this.hooks.failedOne();
          const r = ledger.get(id)!;
          if (!job.copyOnly && r.state !== 'synced')
            ledger.transition(id, 'failed', { reason: e.message, code: e.code, nextTryAt: null });
          log.warn('pull failed', { id, code: e.code, err: e.message });
          if (fatal) {
            stopped ??= e;
            return;
          }
          problems.raise({
            code: 'device-read-error',
            deviceId: info.id,
            message: `A recording could not be copied from the ${displayName(info)}.`,
            detail: e.message,
            action: 'Choose Retry on the recording, or plug the recorder in again.',
          });
        },
      },
    });
    void summary;
    if (stopped) {
      const err: LibraryError = stopped;
      const code = PULL_ERROR_PROBLEM[err.code] ?? 'device-read-error';
      rt.pull = { ...rt.pull, state: 'error', error: err.message };
      problems.raise({
        code,
        ...(code === 'device-read-error'
          ? { deviceId: info.id, action: 'Plug the recorder in again; the copy resumes where it stopped.' }
          : {}),
        message: err.message,
      });
      return;
    }
    if (abort.signal.aborted) {
      rt.pull = { ...rt.pull, state: 'idle' };
      return;
    }
    problems.clear({ code: 'library-full' });
    problems.clear({ code: 'library-unwritable' });
    rt.newRecordings = 0;
    rt.pull = { ...rt.pull, state: 'done' };
    log.info('pull finished', { id: info.id, pulled, failed, unsettled: rt.unsettled });
    this.known.visited(info.id, {
      at: this.ctx.now(),
      recordingsOnDevice: rt.recordingsOnDevice,
      waitingForRecorder: rt.unsettled,
      pulled,
    });
    // "Safe to unplug" only once the ledger holds every pulled recording on disk.
    await this.ctx.flushLedger();
    this.ctx.emit({ type: 'pull-finished', deviceId: info.id, displayName: displayName(info), pulled, failed });
    this.scheduleRelook(rt);
    await this.planner.verifyKnown(rt, abort.signal);
    await this.removeSynced(rt);
  }

  // ---------- remove after sync ----------

  afterSynced(r: LedgerRecord): void {
    const dev = this.devices.get(r.deviceId);
    if (dev && this.ctx.settings.removeAfterSync && !dev.running) void this.removeSynced(dev);
  }

  private removeSynced(rt: DeviceRuntime): Promise<void> {
    return removeSyncedTakes(this.ctx, rt, () => this.devices.has(rt.info.id));
  }
}
