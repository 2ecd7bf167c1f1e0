// What the tray shows for an engine state: one icon out of five, a one-line status and a tooltip.
// Pure functions plus a small tracker (the "2 of 5" needs to remember what finished in this run).
import { deviceDisplayName } from '../sync/devices/traits.js';
import type { EngineState, QueueItemView } from '../sync/engine/state.js';

export const TRAY_ICON_STATES = ['idle', 'syncing', 'attention', 'offline', 'paused'] as const;
export type TrayIconState = (typeof TRAY_ICON_STATES)[number];

const ACTIVE: ReadonlySet<QueueItemView['state']> = new Set(['queued', 'pulling', 'uploading', 'completing']);

function isActive(item: QueueItemView): boolean {
  return ACTIVE.has(item.state);
}

function isSyncing(s: EngineState): boolean {
  return s.devices.some((d) => d.pull.state === 'pulling') || s.queue.some(isActive);
}

/** Priority: paused > offline > attention (any problem) > syncing > idle. */
export function trayIconState(s: EngineState): TrayIconState {
  if (s.paused) return 'paused';
  if (!s.online) return 'offline';
  if (s.problems.length > 0) return 'attention';
  if (isSyncing(s)) return 'syncing';
  return 'idle';
}

/** "just now", "3 min ago", "2 h ago", "4 days ago". */
export function ago(thenMs: number, nowMs: number): string {
  const sec = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  if (sec < 60) return 'just now';
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.floor(h / 24);
  return d === 1 ? '1 day ago' : `${d} days ago`;
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

function pct(done: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.floor((done / total) * 100));
}

/**
 * Remembers which recordings belong to the current run, so "Uploading 2 of 5" counts the ones that
 * already finished and left the queue. A run ends when nothing is active any more.
 */
export class SyncRunTracker {
  private seen = new Map<string, number>(); // id -> bytesTotal
  private doneCount = 0;
  private doneBytes = 0;

  observe(s: EngineState): { current: number; total: number; percent: number } | null {
    const active = s.queue.filter(isActive);
    if (active.length === 0) {
      this.seen.clear();
      this.doneCount = 0;
      this.doneBytes = 0;
      return null;
    }
    const inQueue = new Map(s.queue.map((q) => [q.id, q]));
    for (const [id, bytes] of this.seen) {
      const q = inQueue.get(id);
      // Gone from the queue means synced (the engine keeps failed items in the queue).
      if (!q) {
        this.doneCount++;
        this.doneBytes += bytes;
        this.seen.delete(id);
      } else if (!isActive(q)) {
        this.seen.delete(id); // failed or waiting: no longer part of this run's count
      }
    }
    for (const q of active) this.seen.set(q.id, q.bytesTotal);
    const total = this.doneCount + active.length;
    const bytesTotal = this.doneBytes + active.reduce((a, q) => a + q.bytesTotal, 0);
    const bytesDone = this.doneBytes + active.reduce((a, q) => a + q.bytesDone, 0);
    const working = active.some((q) => q.state !== 'queued') ? 1 : 0;
    return { current: Math.min(total, this.doneCount + working || 1), total, percent: pct(bytesDone, bytesTotal) };
  }
}

export interface TrayView {
  icon: TrayIconState;
  status: string;
  tooltip: string;
}

/** The status line and tooltip. `run` comes from SyncRunTracker.observe on the same state. */
export function trayView(s: EngineState, run: ReturnType<SyncRunTracker['observe']>, nowMs: number): TrayView {
  const icon = trayIconState(s);
  const pulling = s.devices.find((d) => d.pull.state === 'pulling');
  let progress: string | null = null;
  if (pulling) {
    const p = pulling.pull;
    progress = `Reading ${deviceDisplayName(pulling)}: ${p.filesDone} of ${p.filesTotal}, ${pct(p.bytesDone, p.bytesTotal)}%`;
  } else if (run) {
    progress = `Uploading ${run.current} of ${run.total}, ${run.percent}%`;
  }
  const waiting = s.queue.filter((q) => q.state !== 'failed').length;
  const synced = s.lastSyncAt === null ? 'Not synced yet' : `Synced ${ago(s.lastSyncAt, nowMs)}`;
  let status: string;
  switch (icon) {
    case 'paused':
      status = waiting > 0 ? `Paused, ${plural(waiting, 'recording')} waiting` : 'Paused';
      break;
    case 'offline':
      status = waiting > 0 ? `Offline, ${plural(waiting, 'recording')} waiting` : 'Offline';
      break;
    case 'attention': {
      const first = s.problems[0]!;
      status = s.problems.length === 1 ? first.message : `${s.problems.length} problems: ${first.message}`;
      break;
    }
    case 'syncing':
      status = progress ?? 'Syncing';
      break;
    default:
      status = synced;
  }
  // Menu labels are one line; keep the status short.
  if (status.length > 80) status = status.slice(0, 77) + '...';
  const lines = ['Plaud Sync', status];
  if (progress && status !== progress) lines.push(progress);
  if (icon !== 'idle') lines.push(synced);
  return { icon, status, tooltip: lines.join('\n') };
}
