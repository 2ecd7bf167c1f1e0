// The one pull loop. Every path that copies recordings from a recorder runs it: `plaud-sync pull`, `sync`, `watch`,
// the app's engine and `npm run bench pull`, so what is measured is what users run.
//
// It takes a to-do list (which takes to copy, decided by the caller: the engine from its ledger and the recording
// model, `pull` from the library alone), pulls several recordings at once with their reads from the recorder taking
// turns (ReadTurns: one's fsync, read-back, packaging and ledger writes overlap the next one's read), reports progress,
// and stops on a fatal error (recorder gone, library disk full or unwritable, cancelled). What each outcome means for
// the ledger is the caller's, through hooks.
import { ReadTurns } from '../library/read-turns.js';
import { LibraryError, isFatalPullError, libraryWriteError } from '../library/errors.js';
import {
  PULL_CONCURRENCY,
  planPull,
  pullRecording,
  type PullPlan,
  type PullRecordingOptions,
  type PulledRecording,
} from '../library/pull.js';
import type { DeviceInfo, Recording } from '../types.js';
import { sourceBytes } from '../recording/identity.js';
import { mapPool } from '../worker-pool.js';

export interface PullJob {
  rec: Recording;
  /** Which take of the name (library name); default 1. */
  take?: number;
  /**
   * Copy the recorder's files only, do not (re)make the upload file: a partner file joining a take already uploading.
   */
  copyOnly?: boolean;
  /** Replace library files whose source changed (the same take, longer, before its upload began). */
  replace?: boolean;
}

export interface PullProgress {
  recordingsDone: number;
  recordingsTotal: number;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Key of the recording being copied. */
  current?: string;
}

export type PullEvent =
  | ({ type: 'pull-start'; sn: string; mountPath: string; alreadyPulled: number } & PullProgress)
  | ({ type: 'progress' } & PullProgress)
  | { type: 'recording-pulled'; key: string; recording: PulledRecording }
  | { type: 'recording-failed'; key: string; code: string; message: string }
  | { type: 'pull-stopped'; code: string; message: string }
  | ({ type: 'pull-done'; pulled: number; alreadyPulled: number; failed: number; bytesCopied: number } & PullProgress);

export interface PullSummary {
  pulled: PulledRecording[];
  alreadyPulled: number;
  failed: { key: string; code: string; message: string }[];
  /** Set when the pull stopped early (recorder gone, disk full, cancelled): the rest was not tried. */
  stopped?: { code: string; message: string };
  bytesCopied: number;
}

/** What the caller does with each outcome (the engine writes its ledger here). */
export interface PullHooks {
  /** Just before the recording is read. */
  onStart?(job: PullJob): void;
  /** Bytes of this job copied from the recorder (as they are copied). */
  onBytes?(job: PullJob, n: number): void;
  onPulled?(job: PullJob, result: PulledRecording): void;
  /** This recording failed; `fatal` when the whole pull stops because of it (disk full, no serial). */
  onFailed?(job: PullJob, err: LibraryError, fatal: boolean): void;
  /** The recorder went away or the pull was cancelled while this recording was being copied: nothing of it is lost. */
  onInterrupted?(job: PullJob, err: LibraryError): void;
}

export interface PullRunOptions extends Omit<PullRecordingOptions, 'onBytes' | 'onFileDone' | 'take' | 'replace'> {
  onEvent?: (e: PullEvent) => void;
  hooks?: PullHooks;
  /** Minimum interval between 'progress' events (default 100 ms); file boundaries always emit. */
  progressIntervalMs?: number;
  /** Recordings in flight at once (default PULL_CONCURRENCY). */
  concurrency?: number;
  /** Counted in the start and done events (recordings found already in the library by the caller). */
  alreadyPulled?: number;
}

type Device = Pick<DeviceInfo, 'sn' | 'mountPath'> & { sn_type?: DeviceInfo['sn_type'] };

const filesOf = (rec: Recording) => (rec.wav ? 1 : 0) + (rec.asr ? 1 : 0);

/** Run the to-do list, oldest first; per-recording failures do not stop the rest, fatal ones do. */
export async function runPulls(device: Device, jobs: readonly PullJob[], opts: PullRunOptions): Promise<PullSummary> {
  const emit = opts.onEvent ?? (() => {});
  const hooks = opts.hooks ?? {};
  const summary: PullSummary = { pulled: [], alreadyPulled: opts.alreadyPulled ?? 0, failed: [], bytesCopied: 0 };
  const progress: PullProgress = {
    recordingsDone: 0,
    recordingsTotal: jobs.length,
    filesDone: 0,
    filesTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
  };
  for (const j of jobs) {
    progress.filesTotal += filesOf(j.rec);
    progress.bytesTotal += sourceBytes(j.rec);
  }
  emit({
    type: 'pull-start',
    sn: device.sn,
    mountPath: device.mountPath,
    alreadyPulled: summary.alreadyPulled,
    ...progress,
  });

  const interval = opts.progressIntervalMs ?? 100;
  let lastEmit = 0;
  const tick = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastEmit < interval) return;
    lastEmit = now;
    emit({ type: 'progress', ...progress });
  };
  const readTurns = opts.readTurns ?? new ReadTurns();
  let stop = false;
  const stopWith = (e: LibraryError) => {
    stop = true;
    if (summary.stopped) return;
    summary.stopped = { code: e.code, message: e.message };
    emit({ type: 'pull-stopped', code: e.code, message: e.message });
  };

  const pullOne = async (job: PullJob) => {
    const { rec } = job;
    progress.current = rec.key;
    let recBytes = 0;
    let recFiles = 0;
    let rolesDone = 0;
    hooks.onStart?.(job);
    try {
      const r = await pullRecording(device, rec, {
        ...opts,
        format: job.copyOnly ? null : opts.format,
        readTurns,
        ...(job.take ? { take: job.take } : {}),
        ...(job.replace ? { replace: true } : {}),
        onBytes: (n) => {
          recBytes += n;
          progress.bytesDone += n;
          hooks.onBytes?.(job, n);
          tick(false);
        },
        onFileDone: (role) => {
          recFiles++;
          progress.filesDone++;
          // A file found already verified counts as done without its bytes being copied.
          rolesDone += rec[role]?.size ?? 0;
          if (rolesDone > recBytes) {
            progress.bytesDone += rolesDone - recBytes;
            recBytes = rolesDone;
          }
          tick(true);
        },
      });
      summary.pulled.push(r);
      summary.bytesCopied += r.copiedBytes;
      progress.recordingsDone++;
      hooks.onPulled?.(job, r);
      emit({ type: 'recording-pulled', key: rec.key, recording: r });
    } catch (err) {
      const e = err instanceof LibraryError ? err : libraryWriteError(err, opts.libraryDir, rec.relBase);
      // Count the recording as settled so the bar still reaches the end.
      progress.bytesDone += sourceBytes(rec) - recBytes;
      progress.filesDone += filesOf(rec) - recFiles;
      if (e.code === 'ABORTED' || e.code === 'DEVICE_GONE' || opts.signal?.aborted) {
        hooks.onInterrupted?.(job, e);
        stopWith(e);
        return;
      }
      const fatal = isFatalPullError(e);
      hooks.onFailed?.(job, e, fatal);
      if (fatal) {
        stopWith(e);
        return;
      }
      summary.failed.push({ key: rec.key, code: e.code, message: e.message });
      emit({ type: 'recording-failed', key: rec.key, code: e.code, message: e.message });
    }
  };
  await mapPool(jobs, Math.max(1, opts.concurrency ?? PULL_CONCURRENCY), pullOne, () => stop);
  // Report in the order given (oldest first), not in completion order.
  const order = new Map(jobs.map((j, i) => [j.rec.key, i]));
  summary.pulled.sort((a, b) => order.get(a.key)! - order.get(b.key)!);
  delete progress.current;
  emit({
    type: 'pull-done',
    pulled: summary.pulled.length,
    alreadyPulled: summary.alreadyPulled,
    failed: summary.failed.length,
    bytesCopied: summary.bytesCopied,
    ...progress,
  });
  return summary;
}

/**
 * Pull every recording not yet verified in the library, deciding from the library alone (no ledger): what
 * `plaud-sync pull` and the pull benchmark run. Same loop as the engine's.
 */
export async function pullAll(
  device: Device,
  recordings: readonly Recording[],
  opts: PullRunOptions,
): Promise<PullSummary> {
  const format = opts.format === undefined ? 'opus' : opts.format;
  const jobs: PullJob[] = [];
  let alreadyPulled = 0;
  const failed: PullSummary['failed'] = [];
  const emit = opts.onEvent ?? (() => {});
  for (const rec of recordings) {
    let plan: PullPlan;
    try {
      plan = await planPull(opts.libraryDir, rec, { format });
    } catch (err) {
      const e = err instanceof LibraryError ? err : libraryWriteError(err, opts.libraryDir, rec.relBase);
      if (e.code === 'NO_SERIAL') {
        emit({ type: 'pull-stopped', code: e.code, message: e.message });
        return { pulled: [], alreadyPulled, failed, stopped: { code: e.code, message: e.message }, bytesCopied: 0 };
      }
      failed.push({ key: rec.key, code: e.code, message: e.message });
      emit({ type: 'recording-failed', key: rec.key, code: e.code, message: e.message });
      continue;
    }
    if (plan.state === 'pulled') alreadyPulled++;
    else if (plan.state === 'conflict') {
      const message = plan.reason ?? `${rec.relBase} conflicts with the library copy.`;
      failed.push({ key: rec.key, code: 'CONFLICT', message });
      emit({ type: 'recording-failed', key: rec.key, code: 'CONFLICT', message });
    } else jobs.push({ rec });
  }
  const summary = await runPulls(device, jobs, { ...opts, format, alreadyPulled });
  summary.failed.unshift(...failed);
  return summary;
}
