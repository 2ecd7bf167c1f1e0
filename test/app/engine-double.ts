// A recording test double of the sync engine: it implements SyncEngineApi over an in-memory state,
// records every call, and emits state and events like the engine does (listeners, unsubscribe).
// It is not a stub that pretends success: pause really pauses its state, cancel removes the item,
// retry re-queues failed items, history is filtered for real.
import type { ConnectionTestResult, EngineEvent, SyncEngineApi } from '../../main/sync/engine/api.js';
import type {
  EngineState,
  HistoryEntry,
  HistoryQuery,
  QueueItemView,
  DeviceView,
} from '../../main/sync/engine/state.js';
import type { Settings } from '../../main/sync/settings.js';

export function emptyState(over: Partial<EngineState> = {}): EngineState {
  return {
    seq: 1,
    devices: [],
    queue: [],
    totals: { queued: 0, active: 0, failed: 0, synced: 0, bytesPending: 0, speedBps: 0, etaSec: null },
    lastSyncAt: null,
    paused: false,
    online: true,
    account: 'configured',
    problems: [],
    ...over,
  };
}

export function item(id: string, over: Partial<QueueItemView> = {}): QueueItemView {
  return {
    id,
    sn: '888000000000000001',
    deviceId: 'dev1',
    relBase: `NOTES/20260101/${id}`,
    kind: 'note',
    startMs: 1_700_000_000_000,
    durationMs: 60_000,
    state: 'queued',
    bytesDone: 0,
    bytesTotal: 1000,
    speedBps: 0,
    etaSec: null,
    attempts: 0,
    ...over,
  };
}

export function device(over: Partial<DeviceView> = {}): DeviceView {
  return {
    id: 'dev1',
    sn: '888000000000000001',
    sn_type: 'note',
    model: 'Plaud Note',
    firmware: 'V0095',
    connected: true,
    mountPath: '/media/u/PLAUD_NOTE',
    recordingsOnDevice: 3,
    newRecordings: 3,
    pull: { state: 'idle', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 },
    safeToUnplug: true,
    lastSeenAt: 0,
    warnings: [],
    ...over,
  };
}

export class EngineDouble implements SyncEngineApi {
  readonly calls: { method: keyof SyncEngineApi; args: unknown[] }[] = [];
  state: EngineState;
  history: HistoryEntry[] = [];
  connection: ConnectionTestResult = { ok: true, message: 'Connected to https://api.plaud.ai' };
  /** How long stop() takes (ms). */
  stopDelayMs = 0;
  stopped = false;
  private stateListeners = new Set<(s: EngineState) => void>();
  private eventListeners = new Set<(e: EngineEvent) => void>();

  constructor(initial: EngineState = emptyState()) {
    this.state = initial;
  }

  private record(method: keyof SyncEngineApi, args: unknown[]): void {
    this.calls.push({ method, args });
  }
  callsTo(method: keyof SyncEngineApi): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Replace the state (seq bumps) and notify listeners, as the engine's throttle would. */
  setState(patch: Partial<EngineState>): void {
    this.state = { ...this.state, ...patch, seq: this.state.seq + 1 };
    for (const l of this.stateListeners) l(this.state);
  }
  emit(e: EngineEvent): void {
    for (const l of this.eventListeners) l(e);
  }
  listenerCount(): { state: number; event: number } {
    return { state: this.stateListeners.size, event: this.eventListeners.size };
  }

  getState(): EngineState {
    this.record('getState', []);
    return this.state;
  }
  onState(listener: (s: EngineState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }
  onEvent(listener: (e: EngineEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }
  async syncNow(): Promise<void> {
    this.record('syncNow', []);
    if (this.stopped) throw new Error('engine stopped');
  }
  pause(): void {
    this.record('pause', []);
    this.setState({ paused: true });
  }
  resume(): void {
    this.record('resume', []);
    this.setState({ paused: false });
  }
  async retry(id?: string): Promise<void> {
    this.record('retry', id === undefined ? [] : [id]);
    this.setState({
      queue: this.state.queue.map((q) =>
        q.state === 'failed' && (id === undefined || q.id === id) ? { ...q, state: 'queued' } : q,
      ),
    });
  }
  async cancel(id: string): Promise<void> {
    this.record('cancel', [id]);
    if (!this.state.queue.some((q) => q.id === id)) throw new Error(`No queue item ${id}`);
    this.setState({ queue: this.state.queue.filter((q) => q.id !== id) });
  }
  async uploadNewerVersion(id: string): Promise<string> {
    this.record('uploadNewerVersion', [id]);
    const p = this.state.problems.find((x) => x.code === 'recording-changed' && x.recordingId === id);
    if (!p) throw new Error(`The recorder holds no newer version of ${id}.`);
    this.setState({ problems: this.state.problems.filter((x) => x !== p) });
    return `${id}~2`;
  }
  async getHistory(q: HistoryQuery): Promise<{ total: number; entries: HistoryEntry[] }> {
    this.record('getHistory', [q]);
    const hits = this.history.filter(
      (h) =>
        (!q.text || h.id.includes(q.text) || h.localPath.includes(q.text)) &&
        (!q.deviceId || h.deviceId === q.deviceId) &&
        (!q.kind || h.kind === q.kind),
    );
    const offset = q.offset ?? 0;
    return { total: hits.length, entries: hits.slice(offset, offset + (q.limit ?? 100)) };
  }
  async testConnection(): Promise<ConnectionTestResult> {
    this.record('testConnection', []);
    return this.connection;
  }
  async applySettings(s: Settings): Promise<void> {
    this.record('applySettings', [s]);
  }
  async stop(): Promise<void> {
    this.record('stop', []);
    await new Promise((r) => setTimeout(r, this.stopDelayMs));
    this.stopped = true;
  }
  isPulling(): boolean {
    return this.state.devices.some((d) => d.pull.state === 'pulling');
  }
}
