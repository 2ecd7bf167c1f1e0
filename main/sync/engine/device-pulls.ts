// The pull side of the engine: recorders attached and detached, what to copy from each (the recording model decides,
// recording/reconcile.ts), the one pull loop (pull-coordinator.ts) with the ledger written around each step, a second
// look by itself while the recorder is still writing a recording, and remove-after-sync.
import path from 'node:path';
import { scanVolume, type ScanResult } from '../devices/scan.js';
import { deviceDisplayName } from '../devices/traits.js';
import { LibraryError } from '../library/errors.js';
import type { LedgerRecord } from '../ledger/index.js';
import { QUICK_BYTES, headOf, type Fingerprint } from '../recording/fingerprint.js';
import { sourceBytes } from '../recording/identity.js';
import { reconcile, sameFilesAsSeen } from '../recording/reconcile.js';
import type { DeviceInfo, Recording } from '../types.js';
import type { EngineContext } from './context.js';
import { KnownDevices } from './known-devices.js';
import { runPulls, type PullJob } from './pull-coordinator.js';
import { libraryCopyVerified, removeSourcesFromDevice } from './remove-from-device.js';
import type { DeviceView } from './state.js';
import { isUploadSideFailure } from './views.js';

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
  /** Known takes whose first bytes were checked on the recorder during this plug-in (see verifyKnown). */
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

/** A record that the pull side still has to copy (a failed pull is retried on the next attach). */
export function needsPull(r: LedgerRecord): boolean {
  return (
    r.state === 'discovered' ||
    r.state === 'pulling' ||
    (r.state === 'failed' &&
      !isUploadSideFailure(r) &&
      r.failure?.code !== 'CONFLICT' &&
      r.failure?.code !== 'cancelled')
  );
}

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

  constructor(
    private readonly ctx: EngineContext,
    stateDir: string,
    private readonly hooks: PullSideHooks,
  ) {
    this.known = new KnownDevices(stateDir, (msg) => ctx.log.warn(msg));
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
    const scan = await scanVolume(rt.info.mountPath, rt.info.sn);
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
      const jobs = await this.plan(rt, scan.recordings, scan);
      rt.newRecordings = jobs.length;
    } catch (err) {
      this.ctx.log.warn('scan failed', { id: rt.info.id, err });
    }
    this.ctx.changed();
  }

  private fingerprintOf = async (r: LedgerRecord): Promise<Fingerprint | undefined> => {
    if (r.fingerprint) return r.fingerprint;
    if (!r.pulled) return undefined;
    // A take pulled before fingerprints were kept: take it from its library copy (local, small) and keep it.
    const fp: Fingerprint = {};
    for (const f of r.pulled.files) {
      const role = /\.WAV$/i.test(f.relPath) ? 'wav' : /\.ASR$/i.test(f.relPath) ? 'asr' : undefined;
      if (!role) continue;
      try {
        const h = await headOf(f.libraryPath, role);
        fp[role] = {
          size: r.source[role]?.size ?? h.size,
          headLen: h.headLen,
          headMd5: h.headMd5,
          ...(h.quickMd5 ? { quickMd5: h.quickMd5 } : {}),
        };
      } catch {
        return undefined;
      }
    }
    if (!fp.wav && !fp.asr) return undefined;
    this.ctx.ledger.amend(r.id, { fingerprint: fp });
    return fp;
  };

  private sourceOf(rec: Recording): LedgerRecord['source'] {
    const s: { wav?: Recording['wav']; asr?: Recording['asr'] } = {};
    if (rec.wav) s.wav = { ...rec.wav };
    if (rec.asr) s.asr = { ...rec.asr };
    return s as LedgerRecord['source'];
  }

  /** Decide, for every recording the recorder holds, what it is and whether to copy it; write that in the ledger. */
  private async plan(rt: DeviceRuntime, recordings: readonly Recording[], scan: ScanResult): Promise<PullJob[]> {
    const { ledger, log, problems } = this.ctx;
    const { info } = rt;
    const jobs: PullJob[] = [];
    const seen = new Set<string>();
    for (const rec of [...recordings].sort((a, b) => a.startMs - b.startMs)) {
      const takes = ledger.takesOf(rec.sn, rec.relBase);
      const mount = path.resolve(info.mountPath);
      const decision = await reconcile(takes, rec, {
        fingerprintOf: this.fingerprintOf,
        deviceHead: (role, len) => headOf(path.resolve(mount, rec[role]!.relPath), role, len),
        isUploading: (id) => this.hooks.isUploading(id),
      });
      const sourceNow = {
        source: this.sourceOf(rec),
        size: sourceBytes(rec),
        durationMs: rec.durationMs,
        offDevice: null,
      } as const;
      switch (decision.action) {
        case 'new': {
          const r = ledger.discover(rec, { sn_type: info.sn_type, deviceId: info.id }, { take: decision.take });
          if (decision.take > 1)
            log.info('a different recording reuses a known name: kept as a take of its own', { id: r.id });
          seen.add(r.id);
          jobs.push({ rec, take: r.take });
          break;
        }
        case 'known': {
          let r = decision.record;
          seen.add(r.id);
          if (!rt.verified.has(r.id) && (r.pulled || r.state === 'synced')) rt.toVerify.push({ rec, id: r.id });
          if (r.offDevice !== undefined || !sameFilesAsSeen(r, rec))
            r = ledger.amend(r.id, { ...sourceNow, ...(r.state === 'synced' ? { durationMs: r.durationMs } : {}) });
          if (r.state === 'skipped' && r.skipped?.reason.startsWith('gone:')) r = ledger.transition(r.id, 'discovered');
          if (needsPull(r)) jobs.push({ rec, take: r.take });
          break;
        }
        case 'refresh': {
          // The same take, with a partner file or more audio than when first seen, its upload not begun: describe
          // what the recorder holds now and copy what is new; the upload file is made again from it.
          let r = ledger.amend(decision.record.id, sourceNow);
          if (r.state === 'pulled' || r.state === 'skipped') r = ledger.transition(r.id, 'discovered');
          seen.add(r.id);
          log.info('a recording changed on the recorder before its upload: copying it again', { id: r.id });
          jobs.push({ rec, take: r.take, replace: true });
          break;
        }
        case 'join': {
          // A partner file appeared after the upload began: it joins the library copy; nothing is uploaded again.
          const r = decision.record;
          seen.add(r.id);
          jobs.push({ rec, take: r.take, copyOnly: true });
          break;
        }
        case 'changed': {
          const r = decision.record;
          seen.add(r.id);
          if (
            !r.changedOnDevice ||
            r.changedOnDevice.wavSize !== rec.wav?.size ||
            r.changedOnDevice.asrSize !== rec.asr?.size
          ) {
            ledger.amend(r.id, {
              changedOnDevice: {
                at: this.ctx.now(),
                ...(rec.wav ? { wavSize: rec.wav.size } : {}),
                ...(rec.asr ? { asrSize: rec.asr.size } : {}),
              },
            });
            log.warn('a synced recording changed on the recorder; waiting for the user', { id: r.id });
          }
          problems.raise({
            code: 'recording-changed',
            recordingId: r.id,
            deviceId: info.id,
            message: `A recording from ${new Date(r.startMs).toLocaleString()} changed on the ${displayName(info)} after it was uploaded.`,
            detail: `${r.relBase}: the recorder now holds ${sourceBytes(rec)} bytes; ${r.size} bytes were uploaded.`,
          });
          break;
        }
      }
    }
    this.markGone(rt, scan, seen);
    return jobs;
  }

  /** Takes of this recorder that it no longer holds: a name that comes back must then be compared by content. */
  private markGone(rt: DeviceRuntime, scan: ScanResult, seen: Set<string>): void {
    const { ledger } = this.ctx;
    const waiting = new Set(scan.unsettled.map((u) => u.relPath));
    const skippedNow = new Set(scan.skipped.map((s) => s.relPath.replace(/\.(WAV|ASR)$/i, '')));
    const now = this.ctx.now();
    for (const r of ledger.bySn(rt.info.sn)) {
      if (seen.has(r.id) || waiting.has(r.relBase) || skippedNow.has(r.relBase)) continue;
      if (r.offDevice !== undefined) continue;
      // Older takes of a name in use are gone too (the recorder holds the newest).
      ledger.amend(r.id, { offDevice: now });
      if (r.state === 'discovered' || (r.state === 'failed' && needsPull(r))) {
        // Never copied and no longer there: nothing can be copied; say so rather than waiting for ever.
        ledger.transition(r.id, 'skipped', {
          reason: 'gone: it was deleted from the recorder before it could be copied',
        });
      }
    }
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
    let scan: ScanResult;
    let jobs: PullJob[];
    try {
      scan = await this.scan(rt);
      jobs = await this.plan(rt, scan.recordings, scan);
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
      signal: abort.signal,
      logger: log,
      concurrency: undefined,
      hooks: {
        onStart: (job) => {
          const id = ids.get(job)!;
          const r = ledger.get(id)!;
          if (!job.copyOnly && r.state !== 'pulling')
            ledger.transition(id, r.state === 'failed' || r.state === 'discovered' ? 'pulling' : 'pulling');
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
              source: this.sourceOf(job.rec),
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
    await this.verifyKnown(rt, abort.signal);
    await this.removeSynced(rt);
  }

  /**
   * Known takes were trusted by their sizes and times. Once the new ones are copied, check the first 4 KiB of each on
   * the recorder, once per plug-in: a recording deleted and replaced by another with the same name, size and time while
   * the recorder was away (a clock reset) is caught here, marked gone, and the next pass takes the new one as a take of
   * its own.
   */
  private async verifyKnown(rt: DeviceRuntime, signal: AbortSignal): Promise<void> {
    const { ledger, log } = this.ctx;
    const mount = path.resolve(rt.info.mountPath);
    const items = rt.toVerify.splice(0);
    for (const { rec, id } of items) {
      if (signal.aborted || this.ctx.stopping || this.devices.get(rt.info.id) !== rt) return;
      if (rt.verified.has(id)) continue;
      const r = ledger.get(id);
      const fp = r && (await this.fingerprintOf(r));
      const role = rec.asr && fp?.asr?.quickMd5 ? 'asr' : rec.wav && fp?.wav?.quickMd5 ? 'wav' : undefined;
      if (!r || !fp || !role) continue;
      let quick: string | undefined;
      try {
        quick = (await headOf(path.resolve(mount, rec[role]!.relPath), role, QUICK_BYTES)).quickMd5;
      } catch {
        return; // unplugged or unreadable: the next plug-in checks again
      }
      rt.verified.add(id);
      if (quick === fp[role]!.quickMd5) continue;
      log.warn(
        'a known name on the recorder holds a different recording now (a clock reset?): taking it as a new take',
        { id },
      );
      ledger.amend(id, { offDevice: this.ctx.now() });
      rt.again = true;
    }
  }

  // ---------- remove after sync ----------

  afterSynced(r: LedgerRecord): void {
    const dev = this.devices.get(r.deviceId);
    if (dev && this.ctx.settings.removeAfterSync && !dev.running) void this.removeSynced(dev);
  }

  private async removeSynced(rt: DeviceRuntime): Promise<void> {
    const { ledger, problems, log } = this.ctx;
    if (!this.ctx.settings.removeAfterSync || this.ctx.stopping) return;
    for (const r of ledger.bySn(rt.info.sn)) {
      if (
        r.state !== 'synced' ||
        r.deviceDelete?.state === 'done' ||
        r.offDevice !== undefined ||
        r.changedOnDevice ||
        !this.devices.has(rt.info.id)
      )
        continue;
      if (!(await libraryCopyVerified(r))) {
        problems.raise({
          code: 'other',
          level: 'needs-you',
          recordingId: r.id,
          message: 'A recording was not removed from the recorder: its copy in the library does not verify.',
          action: 'It stays on the recorder. Check the library disk.',
          detail: r.relBase,
        });
        continue;
      }
      try {
        ledger.markDeviceDelete(r.id, 'pending');
        // The synced state and the pending mark are on disk before anything on the recorder is deleted.
        await ledger.flushed();
        await removeSourcesFromDevice(rt.info.mountPath, r);
        ledger.markDeviceDelete(r.id, 'done');
        log.info('removed from recorder after sync', { id: r.id });
      } catch (err) {
        log.warn('remove from recorder failed', { id: r.id, err });
        break; // unplugged or refused: the pending mark makes the next attach finish it
      }
    }
  }
}
