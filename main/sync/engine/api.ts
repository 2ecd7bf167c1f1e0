// What the Electron glue and the CLI may ask of the sync engine. The engine implements this;
// IPC handlers and CLI commands call only these methods.
import type { Settings } from '../settings.js';
import type { EngineState, HistoryEntry, HistoryQuery, Problem } from './state.js';

/** Discrete happenings worth a notification or a CLI line (state covers the rest). */
export type EngineEvent =
  | { type: 'device-attached'; deviceId: string; sn: string; sn_type: string; model: string; mountPath: string }
  | { type: 'device-detached'; deviceId: string }
  | { type: 'pull-finished'; deviceId: string; displayName: string; pulled: number; failed: number }
  | { type: 'sync-finished'; deviceId?: string; displayName?: string; synced: number; failed: number }
  | { type: 'problem'; problem: Problem }
  | { type: 'problem-cleared'; problemId: string };

export interface ConnectionTestResult {
  ok: boolean;
  /** Plain words: "Connected to https://api.plaud.ai" or why not. */
  message: string;
}

export interface SyncEngineApi {
  getState(): EngineState;
  /** Throttled snapshots (10 per second at most); the last state is always delivered. Returns an unsubscribe. */
  onState(listener: (s: EngineState) => void): () => void;
  onEvent(listener: (e: EngineEvent) => void): () => void;
  syncNow(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Retry one recording, or every failed one when id is omitted. */
  retry(id?: string): Promise<void>;
  cancel(id: string): Promise<void>;
  /**
   * A recording that changed on the recorder after its upload (problem 'recording-changed'): upload what the recorder
   * holds now, once, as a recording of its own. Resolves with the new recording's id.
   */
  uploadNewerVersion(id: string): Promise<string>;
  getHistory(q: HistoryQuery): Promise<{ total: number; entries: HistoryEntry[] }>;
  testConnection(): Promise<ConnectionTestResult>;
  /** Apply changed settings (credentials are read from the SecretStore). */
  applySettings(s: Settings): Promise<void>;
  /** Checkpoint in-flight work and stop watchers. Resolves when it is safe to exit. */
  stop(): Promise<void>;
  /** True while a recorder is being read (quitting now would interrupt a pull). */
  isPulling(): boolean;
}
