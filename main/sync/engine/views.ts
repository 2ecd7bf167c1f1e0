// Pure mapping from the ledger and the engine's in-memory activity to the UI/CLI state model.
import type { LedgerRecord } from '../ledger/index.js';
import type { HistoryEntry, HistoryQuery, QueueItemState, QueueItemView } from './state.js';

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
  return r.state === 'failed' && !!r.pulled && (r.failure?.fromState === 'pulled' || r.failure?.fromState === 'uploading' || r.failure?.fromState === 'completing');
}

export function queueState(r: LedgerRecord, ctx: QueueContext): QueueItemState {
  const act = ctx.activity.get(r.id);
  if (act) return act.kind === 'pull' ? 'pulling' : r.state === 'completing' ? 'completing' : 'uploading';
  if (r.state === 'failed') {
    if (r.failure?.code === 'cancelled') return 'cancelled';
    if (!isUploadSideFailure(r) && ctx.connectedSns && !ctx.connectedSns.has(r.sn)) return 'on-recorder';
    return r.failure?.nextTryAt != null ? 'waiting-retry' : 'failed';
  }
  if (r.state === 'discovered' || r.state === 'pulling') return ctx.connectedSns && !ctx.connectedSns.has(r.sn) ? 'on-recorder' : 'queued';
  // pulled / uploading / completing, not active right now:
  if (ctx.paused) return 'paused';
  if (!ctx.accountReady) return 'waiting-account';
  if (!ctx.online) return 'waiting-network';
  return 'queued';
}

export function queueItem(r: LedgerRecord, ctx: QueueContext): QueueItemView {
  const act = ctx.activity.get(r.id);
  const total = act?.bytesTotal ?? r.pulled?.upload.size ?? r.size;
  const doneParts = r.upload ? r.upload.parts.length * r.upload.partSize : 0;
  const done = act?.bytesDone ?? (r.state === 'pulled' || r.state === 'discovered' ? 0 : Math.min(total, doneParts));
  const speed = act?.speedBps ?? 0;
  return {
    id: r.id,
    sn: r.sn,
    deviceId: r.deviceId,
    relBase: r.relBase,
    kind: r.kind,
    startMs: r.startMs,
    durationMs: r.durationMs,
    state: queueState(r, ctx),
    bytesDone: done,
    bytesTotal: total,
    speedBps: speed,
    etaSec: speed > 0 ? Math.ceil((total - done) / speed) : null,
    attempts: r.attempts,
    ...(r.failure?.nextTryAt != null ? { nextRetryAt: r.failure.nextTryAt } : {}),
    ...(r.failure ? { error: r.failure.reason } : {}),
  };
}

export function historyEntry(r: LedgerRecord): HistoryEntry | undefined {
  if (r.state !== 'synced' || !r.synced) return undefined;
  const local = r.pulled?.files.find((f) => f.libraryPath)?.libraryPath ?? r.pulled?.upload.path ?? '';
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
  };
}

/** Newest first, filtered and paged. */
export function queryHistory(records: Iterable<LedgerRecord>, q: HistoryQuery): { total: number; entries: HistoryEntry[] } {
  const text = q.text?.trim().toLowerCase();
  const all: HistoryEntry[] = [];
  for (const r of records) {
    const h = historyEntry(r);
    if (!h) continue;
    if (q.deviceId && h.deviceId !== q.deviceId) continue;
    if (q.kind && h.kind !== q.kind) continue;
    if (q.fromMs !== undefined && h.startMs < q.fromMs) continue;
    if (q.toMs !== undefined && h.startMs > q.toMs) continue;
    if (text && !`${r.relBase} ${h.sn} ${h.cloudFileId} ${h.sn_type}`.toLowerCase().includes(text)) continue;
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
