// Main -> renderer pushes. State snapshots are throttled (the newest always arrives, older ones
// are dropped); events are kept in order. Nothing is sent before the page reports
// 'did-finish-load': until then messages wait in a bounded queue, and a reload starts the wait again.
import type { WebContents } from 'electron';
import { throttleLatest, type Throttled } from '../../sync/engine/throttle.js';
import type { EngineState } from '../../sync/engine/state.js';
import type { PushChannel, PushPayloads } from './contract.js';

const MAX_QUEUED = 500;

export class RendererPush {
  private wc: WebContents | null = null;
  private ready = false;
  private readonly queue: { channel: PushChannel; payload: unknown }[] = [];
  private latestState: EngineState | null = null;
  private readonly stateThrottle: Throttled<EngineState>;

  constructor(intervalMs = 100) {
    this.stateThrottle = throttleLatest((s) => this.deliverState(s), intervalMs);
  }

  /** Follow this window's page; a new window (or reload) waits for its own did-finish-load. */
  attach(wc: WebContents): void {
    this.wc = wc;
    this.ready = false;
    this.queue.length = 0;
    wc.on('did-start-loading', () => {
      if (this.wc === wc) this.ready = false;
    });
    wc.on('did-finish-load', () => {
      if (this.wc !== wc) return;
      this.ready = true;
      this.drain();
    });
    wc.on('destroyed', () => {
      if (this.wc === wc) {
        this.wc = null;
        this.ready = false;
        this.queue.length = 0;
      }
    });
  }

  state(s: EngineState): void {
    if (this.latestState && s.seq < this.latestState.seq) return;
    this.latestState = s;
    this.stateThrottle.push(s);
  }

  send<C extends PushChannel>(channel: C, payload: PushPayloads[C]): void {
    // No window: nobody to tell (a window opened later starts from the current state).
    if (!this.wc || this.wc.isDestroyed()) return;
    if (this.ready) {
      this.wc.send(channel, payload);
      return;
    }
    this.queue.push({ channel, payload });
    // A window that never loads must not grow memory without bound; the oldest go first.
    if (this.queue.length > MAX_QUEUED) this.queue.splice(0, this.queue.length - MAX_QUEUED);
  }

  /** Deliver a pending state now (before quitting, and in tests). */
  flush(): void {
    this.stateThrottle.flush();
  }

  dispose(): void {
    this.stateThrottle.cancel();
  }

  private deliverState(s: EngineState): void {
    if (!this.ready) return; // drain() sends the latest state once the page is ready
    this.send('state:changed', s);
  }

  private drain(): void {
    const wc = this.wc;
    if (!wc || wc.isDestroyed()) return;
    for (const m of this.queue.splice(0)) wc.send(m.channel, m.payload);
    if (this.latestState) wc.send('state:changed', this.latestState);
  }
}
