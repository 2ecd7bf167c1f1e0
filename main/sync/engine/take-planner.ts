// What to copy from a recorder, decided with the recording model (recording/reconcile.ts) and written in the ledger:
// a new take, a known one (trusted by size and time, then checked by its first 4 KiB once per plug-in), one that
// gained a partner file or changed. Takes the recorder no longer holds are marked gone, so a name that comes back is
// compared by content. The pull side (device-pulls.ts) runs the copies; this only plans them.
import path from 'node:path';
import type { ScanResult } from '../devices/scan.js';
import { deviceDisplayName } from '../devices/traits.js';
import type { LedgerRecord } from '../ledger/index.js';
import { QUICK_BYTES, headOf, type Fingerprint } from '../recording/fingerprint.js';
import { sourceBytes } from '../recording/identity.js';
import { reconcile, sameFilesAsSeen } from '../recording/reconcile.js';
import type { Recording } from '../types.js';
import type { EngineContext } from './context.js';
import type { ProblemBoard } from './problems.js';
import type { DeviceRuntime } from './device-pulls.js';
import type { PullJob } from './pull-coordinator.js';
import { isUploadSideFailure } from './views.js';

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

/** The one 'recording-changed' problem: raised when a change is seen, and again at start-up for changes still open. */
export function raiseChanged(
  problems: ProblemBoard,
  r: LedgerRecord,
  where = 'the recorder',
  detail = r.relBase,
): void {
  problems.raise({
    code: 'recording-changed',
    recordingId: r.id,
    deviceId: r.deviceId,
    message: `A recording from ${new Date(r.startMs).toLocaleString()} changed on ${where} after it was uploaded.`,
    detail,
  });
}

export interface TakePlannerHooks {
  isUploading(id: string): boolean;
  /** The recorder is still attached as this runtime (not unplugged or replaced since). */
  attached(rt: DeviceRuntime): boolean;
}

export class TakePlanner {
  constructor(
    private readonly ctx: EngineContext,
    private readonly hooks: TakePlannerHooks,
  ) {}

  private fingerprintOf = async (r: LedgerRecord): Promise<Fingerprint | undefined> => {
    // A fingerprint from before the quick MD5 was kept cannot serve the quick check: take it again, like a missing one.
    const quickForEvery = (fp: Fingerprint) =>
      !!(fp.wav || fp.asr) && [fp.wav, fp.asr].every((f) => !f || !!f.quickMd5);
    if (r.fingerprint && (quickForEvery(r.fingerprint) || !r.pulled)) return r.fingerprint;
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
        return r.fingerprint;
      }
    }
    if (!fp.wav && !fp.asr) return r.fingerprint;
    this.ctx.ledger.amend(r.id, { fingerprint: fp });
    return fp;
  };

  sourceOf(rec: Recording): LedgerRecord['source'] {
    const s: { wav?: Recording['wav']; asr?: Recording['asr'] } = {};
    if (rec.wav) s.wav = { ...rec.wav };
    if (rec.asr) s.asr = { ...rec.asr };
    return s as LedgerRecord['source'];
  }

  /** Decide, for every recording the recorder holds, what it is and whether to copy it; write that in the ledger. */
  async plan(rt: DeviceRuntime, recordings: readonly Recording[], scan: ScanResult): Promise<PullJob[]> {
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
          raiseChanged(
            problems,
            r,
            `the ${deviceDisplayName(info)}`,
            `${r.relBase}: its files on the recorder are now ${sourceBytes(rec)} bytes (WAV + ASR); they were ${r.size} bytes when it was uploaded.`,
          );
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

  /**
   * Known takes were trusted by their sizes and times. Once the new ones are copied, check the first 4 KiB of each of
   * their files on the recorder, once per plug-in: a recording deleted and replaced by another with the same name, size
   * and time while the recorder was away (a clock reset) is caught here, marked gone, and the next pass takes the new
   * one as a take of its own. A take that could not be read is not checked (and so never removed from the recorder on
   * this plug-in); the others still are: one bad block must not turn the check off for the whole recorder.
   */
  async verifyKnown(rt: DeviceRuntime, signal: AbortSignal): Promise<void> {
    const { ledger, log } = this.ctx;
    const mount = path.resolve(rt.info.mountPath);
    const items = rt.toVerify.splice(0);
    for (const { rec, id } of items) {
      if (signal.aborted || this.ctx.stopping || !this.hooks.attached(rt)) return;
      if (rt.verified.has(id)) continue;
      const r = ledger.get(id);
      const fp = r && (await this.fingerprintOf(r));
      const roles = (['asr', 'wav'] as const).filter((role) => rec[role] && fp?.[role]?.quickMd5);
      if (!r || !fp || !roles.length) continue;
      let replaced = false;
      try {
        for (const role of roles) {
          const quick = (await headOf(path.resolve(mount, rec[role]!.relPath), role, QUICK_BYTES)).quickMd5;
          if (quick !== fp[role]!.quickMd5) replaced = true;
        }
      } catch (err) {
        if (!this.hooks.attached(rt)) return; // unplugged: the next plug-in checks again
        log.warn('a known recording could not be read on the recorder for its quick check', { id, err });
        // Before the scan trusted known files, this showed as a file not copied; a failing recorder should not go
        // unnoticed. Cleared at the next plug-in (device-pulls.ts), which checks again.
        this.ctx.problems.raise({
          code: 'device-read-error',
          level: 'info',
          deviceId: rt.info.id,
          message: `A recording already in the library could not be read on the ${deviceDisplayName(rt.info)}, so it was not checked there.`,
          action:
            'Its copy in the library is safe, and it stays on the recorder. If this keeps happening, the recorder may be failing.',
          detail: `${rec.relBase}: ${(err as Error).message}`,
        });
        continue;
      }
      rt.verified.add(id);
      if (!replaced) continue;
      log.warn(
        'a known name on the recorder holds a different recording now (a clock reset?): taking it as a new take',
        { id },
      );
      ledger.amend(id, { offDevice: this.ctx.now() });
      rt.again = true;
    }
  }
}
