// An in-memory SyncEngineApi that plays realistic state sequences: a recorder is plugged in, its
// new recordings are pulled one by one, uploaded a few at a time, completed, and land in history;
// the network can drop and come back; an upload can fail and wait 30 s to retry. It is shaped
// exactly like the real engine's API (snapshots throttled with the engine's own throttle, seq
// increasing), so the window and the bridge can be exercised before and besides the real engine.
import type { ConnectionTestResult, EngineEvent, SyncEngineApi } from '../../../main/sync/engine/api.js';
import type {
  DeviceView,
  EngineState,
  HistoryEntry,
  HistoryQuery,
  Problem,
  QueueItemView,
} from '../../../main/sync/engine/state.js';
import { throttleLatest } from '../../../main/sync/engine/throttle.js';
import { recordingId } from '../../../main/sync/recording/identity.js';
import type { Settings } from '../../../main/sync/settings.js';
import type { RecordingKind, SnType } from '../../../main/sync/types.js';

export interface ScriptedRecording {
  kind: RecordingKind;
  startMs: number;
  durationMs: number;
}

export interface ScriptedDevice {
  sn: string;
  sn_type: SnType;
  model: string;
  firmware: string;
  totalBytes: number;
  freeBytes: number;
  /** Recordings already synced earlier (on the device, not new). */
  oldRecordings?: number;
  recordings: ScriptedRecording[];
}

export interface ScriptedEngineOptions {
  /** Simulation step. */
  tickMs?: number;
  /** Snapshot throttle, like the real engine (10 per second). */
  throttleMs?: number;
  /** Bytes per second while pulling from the recorder / uploading one recording. */
  pullBps?: number;
  uploadBps?: number;
  /** Bytes per millisecond of audio (the upload file; Opus at 4 kB/s by default). */
  bytesPerMs?: number;
  /** Where the history's local copies are said to be. */
  libraryDir?: string;
  /** false: no simulation steps (benchmarks drive the queue with setQueue). */
  simulate?: boolean;
}

interface Item extends QueueItemView {
  cancelled?: boolean;
  failNext?: boolean;
}

export type ScriptedEngine = SyncEngineApi & {
  plug(d: ScriptedDevice): string;
  unplug(deviceId: string): void;
  goOffline(): void;
  goOnline(): void;
  refuseAuth(): void;
  /** The next upload of this recording start time fails once (then waits to retry). */
  failUpload(startMs: number): void;
  seedHistory(n: number, device?: Pick<ScriptedDevice, 'sn' | 'sn_type' | 'model'>): void;
  /** Replace the queue wholesale (benchmarks drive state at their own rate). */
  setQueue(items: QueueItemView[]): void;
  settings(): Settings | null;
  /** Resolves once every queued recording is synced and no pull runs. */
  idle(): Promise<void>;
  readonly emitted: number;
};

export function createScriptedEngine(o: ScriptedEngineOptions = {}): ScriptedEngine {
  const tickMs = o.tickMs ?? 50;
  const pullBps = o.pullBps ?? 4_000_000;
  const uploadBps = o.uploadBps ?? 600_000;
  const bytesPerMs = o.bytesPerMs ?? 4;
  const libraryDir = o.libraryDir ?? '/library';

  const stateListeners = new Set<(s: EngineState) => void>();
  const eventListeners = new Set<(e: EngineEvent) => void>();
  const devices = new Map<string, DeviceView & { pending: ScriptedRecording[]; pullingItem?: Item }>();
  let queue: Item[] = [];
  const history: HistoryEntry[] = [];
  let problems: Problem[] = [];
  let seq = 0;
  let emitted = 0;
  let online = true;
  let paused = false;
  let account: EngineState['account'] = 'missing';
  let lastSyncAt: number | null = null;
  let synced = 0;
  let settings: Settings | null = null;
  let idleWaiters: (() => void)[] = [];

  const throttled = throttleLatest<EngineState>((s) => {
    emitted++;
    for (const l of stateListeners) l(s);
  }, o.throttleMs ?? 100);

  const event = (e: EngineEvent) => {
    for (const l of eventListeners) l(e);
  };

  const snapshot = (): EngineState => {
    const active = queue.filter((q) => q.state === 'uploading' || q.state === 'completing' || q.state === 'pulling');
    const speed = active.reduce((a, q) => a + q.speedBps, 0);
    const pending = queue.reduce((a, q) => a + (q.bytesTotal - q.bytesDone), 0);
    return structuredClone({
      seq,
      devices: [...devices.values()].map(({ pending: _p, pullingItem: _i, ...d }) => d),
      queue: queue.map(({ cancelled: _c, failNext: _f, ...q }) => q),
      totals: {
        queued: queue.filter((q) => q.state === 'queued').length,
        active: active.length,
        failed: queue.filter((q) => q.state === 'failed').length,
        synced,
        bytesPending: pending,
        speedBps: speed,
        etaSec: speed > 0 ? Math.ceil(pending / speed) : null,
      },
      lastSyncAt,
      paused,
      online,
      account,
      problems,
    });
  };

  const changed = () => {
    seq++;
    throttled.push(snapshot());
  };

  const addProblem = (p: Omit<Problem, 'since'>) => {
    if (problems.some((x) => x.id === p.id)) return;
    const full = { ...p, since: Date.now() };
    problems = [...problems, full];
    event({ type: 'problem', problem: full });
  };
  const clearProblem = (id: string) => {
    if (!problems.some((p) => p.id === id)) return;
    problems = problems.filter((p) => p.id !== id);
    event({ type: 'problem-cleared', problemId: id });
  };

  const failUploads = new Set<number>();
  const itemFor = (d: DeviceView, r: ScriptedRecording): Item => {
    const folder = r.kind === 'call' ? 'CALLS' : 'NOTES';
    const day = new Date(r.startMs).toISOString().slice(0, 10).replace(/-/g, '');
    const relBase = `${folder}/${day}/${Math.floor(r.startMs / 1000)}`;
    return {
      id: recordingId(d.sn, relBase),
      sn: d.sn,
      deviceId: d.id,
      relBase,
      kind: r.kind,
      startMs: r.startMs,
      durationMs: r.durationMs,
      state: 'pulling',
      bytesDone: 0,
      bytesTotal: Math.max(1, Math.round(r.durationMs * bytesPerMs)),
      speedBps: 0,
      etaSec: null,
      attempts: 0,
      failNext: failUploads.delete(r.startMs),
    };
  };

  let lastStep = Date.now();
  const step = () => {
    let dirty = false;
    const now = Date.now();
    // Progress follows the wall clock, not the tick count: a busy machine slows ticks, not speeds.
    const slice = Math.min(1, Math.max(0, now - lastStep) / 1000);
    lastStep = now;
    // Pulls run even while offline (they only need the recorder); not while paused.
    for (const d of devices.values()) {
      if (!d.connected || paused || d.pull.state !== 'pulling') continue;
      dirty = true;
      if (!d.pullingItem) {
        const r = d.pending.shift();
        if (!r) {
          d.pull = { ...d.pull, state: 'done' };
          d.safeToUnplug = true;
          d.newRecordings = 0;
          event({ type: 'pull-finished', deviceId: d.id, displayName: d.model, pulled: d.pull.filesDone, failed: 0 });
          continue;
        }
        d.pullingItem = itemFor(d, r);
        queue.push(d.pullingItem);
      }
      const it = d.pullingItem;
      const n = Math.min(it.bytesTotal - it.bytesDone, pullBps * slice);
      it.bytesDone += n;
      it.speedBps = pullBps;
      it.etaSec = Math.ceil((it.bytesTotal - it.bytesDone) / pullBps);
      d.pull.bytesDone += n;
      if (it.bytesDone >= it.bytesTotal) {
        // Pulled and verified: now it waits for an upload slot, from the first byte again.
        Object.assign(it, { state: 'queued', bytesDone: 0, speedBps: 0, etaSec: null });
        d.pull.filesDone++;
        d.pullingItem = undefined;
      }
    }
    // Uploads.
    for (const it of queue) {
      if (it.state === 'waiting-retry' && it.nextRetryAt !== undefined && it.nextRetryAt <= now && online) {
        Object.assign(it, { state: 'queued', nextRetryAt: undefined });
        dirty = true;
      }
      if (it.state === 'waiting-network' && online) {
        it.state = 'queued';
        dirty = true;
      }
      if (it.state === 'waiting-account' && account === 'configured') {
        it.state = 'queued';
        dirty = true;
      }
    }
    if (!paused) {
      const limit = settings?.concurrency ?? 4;
      let running = queue.filter((q) => q.state === 'uploading' || q.state === 'completing').length;
      for (const it of queue) {
        if (it.state !== 'queued' || running >= limit) continue;
        if (!online) {
          it.state = 'waiting-network';
        } else if (account !== 'configured') {
          it.state = 'waiting-account';
        } else {
          Object.assign(it, { state: 'uploading', bytesDone: 0, attempts: it.attempts + 1 });
          running++;
        }
        dirty = true;
      }
      const done: Item[] = [];
      for (const it of queue) {
        if (it.state === 'completing') {
          done.push(it);
          continue;
        }
        if (it.state !== 'uploading') continue;
        dirty = true;
        if (!online) {
          Object.assign(it, { state: 'waiting-network', speedBps: 0, etaSec: null });
          continue;
        }
        if (it.failNext && it.bytesDone > it.bytesTotal / 2) {
          it.failNext = false;
          Object.assign(it, {
            state: 'waiting-retry',
            speedBps: 0,
            etaSec: null,
            nextRetryAt: now + 30_000,
            error: 'The upload was interrupted (the server closed the connection). Trying again in 30 s.',
          });
          continue;
        }
        it.bytesDone = Math.min(it.bytesTotal, it.bytesDone + uploadBps * slice);
        it.speedBps = uploadBps;
        it.etaSec = Math.ceil((it.bytesTotal - it.bytesDone) / uploadBps);
        if (it.bytesDone >= it.bytesTotal) Object.assign(it, { state: 'completing', etaSec: 0, speedBps: 0 });
      }
      for (const it of done) {
        dirty = true;
        const d = devices.get(it.deviceId);
        history.push({
          id: it.id,
          sn: it.sn,
          sn_type: d?.sn_type ?? 'other',
          deviceId: it.deviceId,
          kind: it.kind,
          startMs: it.startMs,
          durationMs: it.durationMs,
          cloudFileId: `file_${(0x100000 + history.length).toString(16)}${it.startMs.toString(36)}`,
          syncedAt: now,
          localPath: `${libraryDir}/${it.sn}/${it.relBase}.opus`,
        });
        synced++;
        lastSyncAt = now;
        queue = queue.filter((q) => q !== it);
        if (queue.length === 0)
          event({ type: 'sync-finished', deviceId: d?.id, displayName: d?.model, synced, failed: 0 });
      }
    }
    if (dirty) changed();
    if (queue.length === 0 && ![...devices.values()].some((d) => d.pull.state === 'pulling')) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  };
  const timer = o.simulate === false ? undefined : setInterval(step, tickMs);
  timer?.unref?.();

  const api: ScriptedEngine = {
    getState: snapshot,
    onState(l) {
      stateListeners.add(l);
      return () => stateListeners.delete(l);
    },
    onEvent(l) {
      eventListeners.add(l);
      return () => eventListeners.delete(l);
    },
    async syncNow() {
      for (const it of queue)
        if (it.state === 'waiting-retry' || it.state === 'failed')
          Object.assign(it, { state: 'queued', nextRetryAt: undefined });
      changed();
    },
    pause() {
      paused = true;
      for (const it of queue)
        if (it.state === 'uploading' || it.state === 'queued')
          Object.assign(it, { state: 'paused', speedBps: 0, etaSec: null });
      changed();
    },
    resume() {
      paused = false;
      for (const it of queue) if (it.state === 'paused') it.state = 'queued';
      changed();
    },
    async retry(id) {
      for (const it of queue) {
        if (id !== undefined && it.id !== id) continue;
        if (it.state === 'failed' || it.state === 'waiting-retry')
          Object.assign(it, { state: 'queued', nextRetryAt: undefined, error: undefined });
      }
      changed();
    },
    async cancel(id) {
      const before = queue.length;
      queue = queue.filter((q) => q.id !== id || q.state === 'completing');
      if (queue.length === before) throw new Error(`Nothing to cancel with id ${id}`);
      changed();
    },
    async uploadNewerVersion(id: string) {
      const before = problems.length;
      problems = problems.filter((p) => !(p.code === 'recording-changed' && p.recordingId === id));
      if (problems.length === before) throw new Error(`The recorder holds no newer version of ${id}.`);
      changed();
      return `${id}~2`;
    },
    async getHistory(q: HistoryQuery) {
      const text = q.text?.toLowerCase();
      const hits = history
        .filter(
          (e) =>
            (!q.deviceId || e.deviceId === q.deviceId) &&
            (!q.kind || e.kind === q.kind) &&
            (q.fromMs === undefined || e.startMs >= q.fromMs) &&
            (q.toMs === undefined || e.startMs <= q.toMs) &&
            (!text ||
              e.id.toLowerCase().includes(text) ||
              e.cloudFileId.toLowerCase().includes(text) ||
              e.sn.includes(text)),
        )
        .sort((a, b) => b.startMs - a.startMs);
      const offset = q.offset ?? 0;
      return { total: hits.length, entries: structuredClone(hits.slice(offset, offset + (q.limit ?? 100))) };
    },
    async testConnection(): Promise<ConnectionTestResult> {
      if (!online) return { ok: false, message: 'Could not reach the Plaud server. Check the internet connection.' };
      if (account === 'missing') return { ok: false, message: 'No account is set up: enter an API token first.' };
      if (account === 'refused') return { ok: false, message: 'The API token was refused: enter a new one.' };
      return { ok: true, message: `Connected to ${settings?.apiBase ?? 'the Plaud server'}` };
    },
    async applySettings(s) {
      settings = structuredClone(s);
      account = s.credentials.kind === 'none' ? 'missing' : 'configured';
      if (account === 'configured') {
        clearProblem('no-account');
        clearProblem('auth-refused');
      }
      changed();
    },
    async stop() {
      clearInterval(timer);
      throttled.flush();
    },
    isPulling: () => [...devices.values()].some((d) => d.pull.state === 'pulling'),

    plug(d) {
      const id = `${d.sn_type}:${d.sn}`;
      const bytes = d.recordings.reduce((a, r) => a + Math.round(r.durationMs * bytesPerMs), 0);
      devices.set(id, {
        id,
        sn: d.sn,
        sn_type: d.sn_type,
        model: d.model,
        firmware: d.firmware,
        connected: true,
        mountPath: `/media/user/PLAUD_NOTE`,
        freeBytes: d.freeBytes,
        totalBytes: d.totalBytes,
        recordingsOnDevice: (d.oldRecordings ?? 0) + d.recordings.length,
        newRecordings: d.recordings.length,
        pull: { state: 'pulling', filesDone: 0, filesTotal: d.recordings.length, bytesDone: 0, bytesTotal: bytes },
        safeToUnplug: false,
        lastSeenAt: Date.now(),
        warnings: [],
        pending: [...d.recordings],
      });
      event({
        type: 'device-attached',
        deviceId: id,
        sn: d.sn,
        sn_type: d.sn_type,
        model: d.model,
        mountPath: '/media/user/PLAUD_NOTE',
      });
      changed();
      return id;
    },
    unplug(deviceId) {
      const d = devices.get(deviceId);
      if (!d) return;
      Object.assign(d, { connected: false, mountPath: undefined, lastSeenAt: Date.now(), safeToUnplug: false });
      if (d.pull.state === 'pulling') {
        d.pull = {
          ...d.pull,
          state: 'error',
          error: 'The recorder was unplugged while it was being read. Plug it in again to finish.',
        };
        if (d.pullingItem) queue = queue.filter((q) => q !== d.pullingItem);
        d.pullingItem = undefined;
      }
      event({ type: 'device-detached', deviceId });
      changed();
    },
    goOffline() {
      online = false;
      addProblem({
        id: 'offline',
        code: 'offline',
        severity: 'warning',
        message: 'The Plaud server cannot be reached.',
        action: 'Recordings are kept in the library and upload when the connection is back.',
      });
      changed();
    },
    goOnline() {
      online = true;
      clearProblem('offline');
      changed();
    },
    refuseAuth() {
      account = 'refused';
      addProblem({
        id: 'auth-refused',
        code: 'auth-refused',
        severity: 'error',
        message: 'The API token was refused.',
        action: 'Enter a new one in Settings.',
      });
      changed();
    },
    failUpload(startMs) {
      failUploads.add(startMs);
    },
    seedHistory(n, dev = { sn: '880123456789012345', sn_type: 'note', model: 'PLAUD NOTE' }) {
      const base = Date.UTC(2025, 0, 1);
      for (let i = 0; i < n; i++) {
        const startMs = base + i * 3_600_000;
        const kind: RecordingKind = i % 5 === 0 ? 'call' : 'note';
        const relBase = `${kind === 'call' ? 'CALLS' : 'NOTES'}/${Math.floor(startMs / 1000)}`;
        history.push({
          id: recordingId(dev.sn, relBase),
          sn: dev.sn,
          sn_type: dev.sn_type,
          deviceId: `${dev.sn_type}:${dev.sn}`,
          kind,
          startMs,
          durationMs: 60_000 + (i % 50) * 30_000,
          cloudFileId: `file_${i.toString(16).padStart(8, '0')}`,
          syncedAt: startMs + 3_600_000,
          localPath: `${libraryDir}/${dev.sn}/${i}.opus`,
        });
      }
      synced += n;
      changed();
    },
    setQueue(items) {
      queue = structuredClone(items);
      changed();
    },
    settings: () => settings,
    idle: () => new Promise<void>((r) => idleWaiters.push(r)),
    get emitted() {
      return emitted;
    },
  };
  return api;
}
