// Turns engine events into few, useful notifications: one summary per sync, one per distinct new
// problem (not one per file or per retry), and "Safe to unplug" when a pull finishes. All of them
// obey the `notifications` setting. Kept free of Electron: `show` is injected.
import type { EngineEvent } from '../sync/engine/api.js';
import type { EngineState, Problem } from '../sync/engine/state.js';

export interface NotifierOptions {
  enabled(): boolean;
  show(n: { title: string; body: string }): void;
  now?: () => number;
  /** A problem kind that was notified is not notified again within this window (retries flap). */
  problemCooldownMs?: number;
}

/** Problems of one kind on one device are one thing to the user, whatever file or attempt raised them. */
export function problemKey(p: Problem): string {
  return `${p.code}|${p.deviceId ?? ''}`;
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function syncSummary(
  e: Extract<EngineEvent, { type: 'sync-finished' }>,
): { title: string; body: string } | null {
  if (e.synced === 0 && e.failed === 0) return null;
  const from = e.displayName ? ` from ${e.displayName}` : '';
  const title = e.synced > 0 ? `${plural(e.synced, 'recording')}${from} synced` : `Sync${from} did not finish`;
  const body =
    e.failed > 0
      ? `${plural(e.failed, 'recording')} could not be uploaded; Plaud Sync will try again.`
      : 'They are in your library and in the Plaud cloud.';
  return { title, body };
}

export class Notifier {
  private readonly now: () => number;
  private readonly cooldown: number;
  /** problem id -> key, for the problems currently open. */
  private readonly open = new Map<string, string>();
  /** key -> when it was last notified. */
  private readonly lastShown = new Map<string, number>();
  /** Per device, sync summaries held while the device is still being read or uploaded. */
  private readonly held = new Map<string, Extract<EngineEvent, { type: 'sync-finished' }>>();
  private state: EngineState | null = null;

  constructor(private readonly opts: NotifierOptions) {
    this.now = opts.now ?? Date.now;
    this.cooldown = opts.problemCooldownMs ?? 60 * 60_000;
  }

  handle(e: EngineEvent): void {
    switch (e.type) {
      case 'sync-finished': {
        // The engine reports whenever its upload queue drains, which can happen between two files of
        // one pull. The user gets one summary per sync: counts add up until the device is quiet.
        if (!e.deviceId) return this.summary(e);
        const prev = this.held.get(e.deviceId);
        this.held.set(e.deviceId, prev ? { ...e, synced: prev.synced + e.synced, failed: prev.failed + e.failed } : e);
        this.releaseQuiet();
        return;
      }
      case 'pull-finished': {
        const copied =
          e.pulled > 0
            ? `${plural(e.pulled, 'new recording')} copied to your library.`
            : 'Nothing new on it; everything is in your library.';
        const missed =
          e.failed > 0 ? ` ${plural(e.failed, 'recording')} could not be read and stay on the recorder.` : '';
        this.emit({ title: `Safe to unplug ${e.displayName}`, body: copied + missed });
        return;
      }
      case 'problem': {
        const key = problemKey(e.problem);
        const alreadyOpen = [...this.open.values()].includes(key);
        this.open.set(e.problem.id, key);
        if (alreadyOpen) return;
        const last = this.lastShown.get(key);
        if (last !== undefined && this.now() - last < this.cooldown) return;
        this.lastShown.set(key, this.now());
        this.emit({ title: e.problem.message, body: e.problem.action ?? '' });
        return;
      }
      case 'problem-cleared':
        this.open.delete(e.problemId);
        return;
      default:
        return;
    }
  }

  /** Follow the engine state: a held summary goes out once its device is neither read nor uploaded. */
  observe(s: EngineState): void {
    this.state = s;
    this.releaseQuiet();
  }

  private busy(deviceId: string): boolean {
    const s = this.state;
    if (!s) return false;
    if (s.devices.some((d) => d.id === deviceId && d.pull.state === 'pulling')) return true;
    return s.queue.some(
      (q) =>
        q.deviceId === deviceId &&
        (q.state === 'queued' || q.state === 'pulling' || q.state === 'uploading' || q.state === 'completing'),
    );
  }

  private releaseQuiet(): void {
    for (const [id, e] of this.held) {
      if (this.busy(id)) continue;
      this.held.delete(id);
      this.summary(e);
    }
  }

  private summary(e: Extract<EngineEvent, { type: 'sync-finished' }>): void {
    const n = syncSummary(e);
    if (n) this.emit(n);
  }

  private emit(n: { title: string; body: string }): void {
    if (!this.opts.enabled()) return;
    this.opts.show(n);
  }
}
