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
  pull: { state: 'idle' | 'pulling' | 'done' | 'error'; filesDone: number; filesTotal: number; bytesDone: number; bytesTotal: number; error?: string };
  /** True once everything new on this device is verified in the library. */
  safeToUnplug: boolean;
  /** Recordings the recorder is still writing: copied once all their files have settled (looked at again by itself). */
  waitingForRecorder?: number;
  /** What the last look at this recorder found (for a recorder not plugged in now). */
  lastVisit?: { at: number; recordingsOnDevice: number; waitingForRecorder: number; pulled: number };
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
  localPath: string;
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

export interface EngineTotals {
  queued: number;
  active: number;
  failed: number;
  synced: number;
  bytesPending: number;
  speedBps: number;
  etaSec: number | null;
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
