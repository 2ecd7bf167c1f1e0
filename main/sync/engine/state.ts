// The one state model the UI (over IPC) and the CLI (status --json) render. The engine owns it;
// consumers only read snapshots. History is not part of the pushed snapshot (it can hold 10,000
// entries); it is queried separately.
import type { RecordingKind, SnType } from '../types.js';

export type QueueItemState =
  | 'queued' // pulled, waiting for an upload slot
  | 'pulling' // being copied from the recorder
  | 'uploading'
  | 'completing' // complete-upload sent, answer pending
  | 'waiting-retry' // failed, next try at nextRetryAt
  | 'waiting-account' // no credentials configured yet
  | 'waiting-network' // offline; resumes when the API answers again
  | 'paused'
  | 'failed' // gave up (needs the user: retry)
  | 'on-recorder' // not copied yet and its recorder is not plugged in
  | 'cancelled'; // cancelled by the user (Retry resumes it)

export interface DeviceView {
  id: string;
  sn: string;
  sn_type: SnType;
  model: string;
  firmware: string;
  connected: boolean;
  mountPath?: string;
  freeBytes?: number;
  totalBytes?: number;
  recordingsOnDevice: number;
  newRecordings: number;
  pull: {
    state: 'idle' | 'pulling' | 'done' | 'error';
    filesDone: number;
    filesTotal: number;
    bytesDone: number;
    bytesTotal: number;
    error?: string;
    /**
     * Copy speed from this recorder (bytes per second, measured over the last seconds); set by the engine's snapshot.
     */
    speedBps?: number;
    /** Seconds left to copy what this pull still has to copy, at that speed; null when nothing moves. */
    etaSec?: number | null;
  };
  /** True once everything new on this device is verified in the library. */
  safeToUnplug: boolean;
  /** Recordings the recorder is still writing: copied once all their files have settled (looked at again by itself). */
  waitingForRecorder?: number;
  /** What the last look at this recorder found (for a recorder not plugged in now). */
  lastVisit?: {
    at: number;
    recordingsOnDevice: number;
    waitingForRecorder: number;
    pulled: number;
    /** Recordings from this recorder synced to the cloud, in total (counted from the ledger). */
    synced?: number;
  };
  lastSeenAt: number;
  warnings: string[];
}

export interface QueueItemView {
  id: string;
  sn: string;
  deviceId: string;
  relBase: string;
  kind: RecordingKind;
  startMs: number;
  durationMs: number;
  state: QueueItemState;
  /**
   * Whose bytes bytesDone/bytesTotal/speedBps count: the recorder's (copy: not in the library yet) or the library
   * file's (upload). The two are never mixed in one number.
   */
  phase?: 'copy' | 'upload';
  bytesDone: number;
  bytesTotal: number;
  speedBps: number;
  etaSec: number | null;
  attempts: number;
  nextRetryAt?: number;
  error?: string;
}

export interface HistoryEntry {
  id: string;
  sn: string;
  sn_type: SnType;
  deviceId: string;
  kind: RecordingKind;
  startMs: number;
  durationMs: number;
  cloudFileId: string;
  syncedAt: number;
  /** The playable library file (Ogg Opus or MP3), the one "Open" opens; never the recorder's originals. */
  localPath: string;
  /** Size of that playable file in bytes. */
  sizeBytes?: number;
}

export interface HistoryQuery {
  text?: string;
  deviceId?: string;
  kind?: RecordingKind;
  fromMs?: number;
  toMs?: number;
  offset?: number;
  limit?: number;
}

export type ProblemCode =
  | 'auth-refused'
  | 'no-account'
  | 'offline'
  | 'server-error'
  | 'rate-limited'
  | 'library-full'
  | 'library-unwritable'
  | 'device-read-error'
  | 'device-mismatch'
  | 'recording-skipped'
  | 'upload-failed'
  | 'ledger-corrupt'
  | 'recording-changed'
  | 'library-in-use'
  | 'possible-duplicate'
  | 'other';

/** Who acts: the user ('needs-you', shown red), nobody because it retries by itself (amber), or nobody at all. */
export type ProblemLevel = 'needs-you' | 'retrying' | 'info';

export interface Problem {
  id: string;
  code: ProblemCode;
  severity: 'error' | 'warning';
  /** Who acts (see ProblemLevel); severity is 'error' exactly when this is 'needs-you'. The engine always sets it. */
  level?: ProblemLevel;
  /** Plain words: what happened, one short sentence. */
  message: string;
  /** Plain words: what the user can do. */
  action?: string;
  /** The label of the button that does the action, when there is one (the action text names it). */
  actionLabel?: string;
  /** The raw detail (server answers, error codes) for a "Details" disclosure; never the main message. */
  detail?: string;
  since: number;
  deviceId?: string;
  recordingId?: string;
}

/** One phase's progress: its own bytes, its own speed, and the time left at that speed. */
export interface PhaseTotals {
  bytesDone: number;
  bytesTotal: number;
  speedBps: number;
  /** null when nothing moves (no speed yet, paused, offline). */
  etaSec: number | null;
}

export interface EngineTotals {
  queued: number;
  active: number;
  failed: number;
  synced: number;
  bytesPending: number;
  speedBps: number;
  etaSec: number | null;
  /** Copying from the recorders now plugged in (absent when nothing is being copied). */
  copy?: PhaseTotals;
  /** Uploading what is in the library (absent when nothing waits to upload). */
  upload?: PhaseTotals;
}

export interface EngineState {
  /** Increases with every change; consumers drop snapshots older than the one they have. */
  seq: number;
  devices: DeviceView[];
  queue: QueueItemView[];
  totals: EngineTotals;
  lastSyncAt: number | null;
  paused: boolean;
  online: boolean;
  account: 'missing' | 'configured' | 'refused';
  problems: Problem[];
}
