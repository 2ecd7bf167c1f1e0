// Pure mapping from the ledger and the engine's in-memory activity to the UI/CLI state model.
import type { LedgerRecord } from '../ledger/index.js';
import type { HistoryEntry, HistoryQuery, PhaseTotals, QueueItemState, QueueItemView } from './state.js';

/** What the engine knows right now about a record that is being worked on. */
export interface Activity {
  kind: 'pull' | 'upload';
  bytesDone: number;
  bytesTotal: number;
  speedBps: number;
}

export interface QueueContext {
  paused: boolean;
  online: boolean;
  accountReady: boolean;
  activity: ReadonlyMap<string, Activity>;
  /** Serials of the recorders plugged in now (a recording not yet copied waits for its recorder). */
  connectedSns?: ReadonlySet<string>;
}

/** A failure that happened on the upload side, so the retry goes back to the queue (not to the recorder). */
export function isUploadSideFailure(r: LedgerRecord): boolean {
  return (
    r.state === 'failed' &&
    !!r.pulled &&
    (r.failure?.fromState === 'pulled' || r.failure?.fromState === 'uploading' || r.failure?.fromState === 'completing')
  );
}

export function queueState(r: LedgerRecord, ctx: QueueContext): QueueItemState {
  const act = ctx.activity.get(r.id);
  if (act?.kind === 'pull') return 'pulling';
  // Offline, an upload still in flight moves nothing: it waits for the network like the rest of the queue.
  if (act) return !ctx.online ? 'waiting-network' : r.state === 'completing' ? 'completing' : 'uploading';
  if (r.state === 'failed') {
    if (r.failure?.code === 'cancelled') return 'cancelled';
    if (!isUploadSideFailure(r) && ctx.connectedSns && !ctx.connectedSns.has(r.sn)) return 'on-recorder';
    if (r.failure?.nextTryAt == null) return 'failed';
    // Offline, an upload's next try waits for the network, whatever its countdown says.
    return isUploadSideFailure(r) && !ctx.online ? 'waiting-network' : 'waiting-retry';
  }
  if (r.state === 'discovered' || r.state === 'pulling')
    return ctx.connectedSns && !ctx.connectedSns.has(r.sn) ? 'on-recorder' : 'queued';
  // pulled / uploading / completing, not active right now:
  if (ctx.paused) return 'paused';
  if (!ctx.accountReady) return 'waiting-account';
  if (!ctx.online) return 'waiting-network';
  return 'queued';
}

/** The copy phase until a verified library copy exists; the upload phase from then on. */
export function phaseOf(r: LedgerRecord, act?: Activity): 'copy' | 'upload' {
  if (act) return act.kind === 'pull' ? 'copy' : 'upload';
  return r.pulled ? 'upload' : 'copy';
}

export function queueItem(r: LedgerRecord, ctx: QueueContext): QueueItemView {
  const act = ctx.activity.get(r.id);
  const phase = phaseOf(r, act);
  const state = queueState(r, ctx);
  // The copy phase counts the recorder's bytes; the upload phase the library file's.
  const total = act?.bytesTotal ?? (phase === 'upload' ? r.pulled!.upload.size : r.size);
  const doneParts = r.upload ? r.upload.parts.length * r.upload.partSize : 0;
  let done: number;
  if (r.state === 'completing' && phase === 'upload')
    done = total; // every byte is sent; the server is finishing
  else if (act) done = act.bytesDone;
  else done = phase === 'copy' || r.state === 'pulled' ? 0 : Math.min(total, doneParts);
  // Only what moves has a speed: offline or waiting, a row says nothing about speed or time left.
  const speed = act && (state === 'uploading' || state === 'pulling') ? act.speedBps : 0;
  return {
    id: r.id,
    sn: r.sn,
    deviceId: r.deviceId,
    relBase: r.relBase,
    kind: r.kind,
    startMs: r.startMs,
    durationMs: r.durationMs,
    state,
    phase,
    bytesDone: done,
    bytesTotal: total,
    speedBps: speed,
    etaSec: speed > 0 ? Math.ceil(Math.max(0, total - done) / speed) : null,
    attempts: r.attempts,
    ...(r.failure?.nextTryAt != null ? { nextRetryAt: r.failure.nextTryAt } : {}),
    ...(r.failure ? { error: r.failure.reason } : {}),
  };
}

/** Queue states that still count toward what is left to upload (not the ones waiting for the user or a recorder). */
const UPLOAD_TO_GO: ReadonlySet<QueueItemState> = new Set([
  'queued',
  'uploading',
  'completing',
  'waiting-retry',
  'waiting-account',
  'waiting-network',
  'paused',
]);

function phase(bytesDone: number, bytesTotal: number, speedBps: number): PhaseTotals {
  return {
    bytesDone,
    bytesTotal,
    speedBps,
    etaSec: speedBps > 0 ? Math.ceil(Math.max(0, bytesTotal - bytesDone) / speedBps) : null,
  };
}

/**
 * The two phases' totals. Copying is what the plugged-in recorders' pulls report (the same numbers as the device
 * cards, with their own measured speed); uploading is the library files still to upload, at the uploads' own speed.
 * One phase's bytes are never divided by the other's speed.
 */
export function phaseTotals(
  pulls: readonly { state: string; bytesDone: number; bytesTotal: number; speedBps?: number }[],
  queue: readonly QueueItemView[],
): { copy?: PhaseTotals; upload?: PhaseTotals } {
  const out: { copy?: PhaseTotals; upload?: PhaseTotals } = {};
  const copying = pulls.filter((p) => p.state === 'pulling');
  if (copying.length) {
    out.copy = phase(
      copying.reduce((n, p) => n + p.bytesDone, 0),
      copying.reduce((n, p) => n + p.bytesTotal, 0),
      copying.reduce((n, p) => n + (p.speedBps ?? 0), 0),
    );
  }
  const uploads = queue.filter((i) => i.phase === 'upload' && UPLOAD_TO_GO.has(i.state));
  if (uploads.length) {
    out.upload = phase(
      uploads.reduce((n, i) => n + i.bytesDone, 0),
      uploads.reduce((n, i) => n + i.bytesTotal, 0),
      uploads.reduce((n, i) => n + (i.state === 'uploading' ? i.speedBps : 0), 0),
    );
  }
  return out;
}

export function historyEntry(r: LedgerRecord): HistoryEntry | undefined {
  if (r.state !== 'synced' || !r.synced) return undefined;
  // The playable file (what "Open" and the player use), never the recorder's .WAV/.ASR originals.
  const local = r.pulled?.upload.path ?? '';
  return {
    id: r.id,
    sn: r.sn,
    sn_type: r.sn_type,
    deviceId: r.deviceId,
    kind: r.kind,
    startMs: r.startMs,
    durationMs: r.durationMs,
    cloudFileId: r.synced.cloudFileId,
    syncedAt: r.synced.syncedAt,
    localPath: local,
    ...(r.pulled ? { sizeBytes: r.pulled.upload.size } : {}),
  };
}

/** Newest first, filtered and paged. */
export function queryHistory(
  records: Iterable<LedgerRecord>,
  q: HistoryQuery,
): { total: number; entries: HistoryEntry[] } {
  const text = q.text?.trim().toLowerCase();
  const all: HistoryEntry[] = [];
  for (const r of records) {
    const h = historyEntry(r);
    if (!h) continue;
    if (q.deviceId && h.deviceId !== q.deviceId) continue;
    if (q.kind && h.kind !== q.kind) continue;
    if (q.fromMs !== undefined && h.startMs < q.fromMs) continue;
    if (q.toMs !== undefined && h.startMs > q.toMs) continue;
    if (text && !`${h.id} ${r.relBase} ${h.sn} ${h.cloudFileId} ${h.sn_type}`.toLowerCase().includes(text)) continue;
    all.push(h);
  }
  all.sort((a, b) => b.startMs - a.startMs);
  const offset = q.offset ?? 0;
  return { total: all.length, entries: all.slice(offset, offset + (q.limit ?? 200)) };
}

/** Bytes per second over a sliding window of samples. */
export class SpeedMeter {
  private samples: { t: number; bytes: number }[] = [];
  constructor(
    private readonly windowMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}
  add(bytesTotalSoFar: number): void {
    const t = this.now();
    this.samples.push({ t, bytes: bytesTotalSoFar });
    while (this.samples.length > 2 && this.samples[0]!.t < t - this.windowMs) this.samples.shift();
  }
  bps(): number {
    if (this.samples.length < 2) return 0;
    const a = this.samples[0]!;
    const b = this.samples[this.samples.length - 1]!;
    const dt = b.t - a.t;
    return dt > 0 ? Math.round(((b.bytes - a.bytes) * 1000) / dt) : 0;
  }
}

/**
 * Copy speed per recorder, measured from its pull's own byte count (which only grows during one pull), so the device
 * card and the copy phase show the recorder's speed, never the upload's.
 */
export class PullSpeeds {
  private readonly meters = new Map<string, { meter: SpeedMeter; last: number }>();
  constructor(
    private readonly windowMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Take a sample of one recorder's pull and return its speed and time left. */
  sample(
    deviceId: string,
    pull: { state: string; bytesDone: number; bytesTotal: number },
  ): { speedBps: number; etaSec: number | null } {
    if (pull.state !== 'pulling') {
      this.meters.delete(deviceId);
      return { speedBps: 0, etaSec: null };
    }
    let m = this.meters.get(deviceId);
    // A new pull starts its count again: the old samples say nothing about it.
    if (!m || pull.bytesDone < m.last)
      this.meters.set(deviceId, (m = { meter: new SpeedMeter(this.windowMs, this.now), last: 0 }));
    m.meter.add(pull.bytesDone);
    m.last = pull.bytesDone;
    const speedBps = m.meter.bps();
    return {
      speedBps,
      etaSec: speedBps > 0 ? Math.ceil(Math.max(0, pull.bytesTotal - pull.bytesDone) / speedBps) : null,
    };
  }

  /** Forget recorders no longer plugged in. */
  keepOnly(deviceIds: ReadonlySet<string>): void {
    for (const id of this.meters.keys()) if (!deviceIds.has(id)) this.meters.delete(id);
  }
}
