// What the engine's parts (the pull side, the upload queue) share: the ledger, the settings, the problem board, the
// live activity shown in the window, and the two signals back to the engine (state changed, an event happened).
// The engine owns all of it; the parts read it through this view so none holds a stale copy of the settings.
import type { Ledger } from '../ledger/index.js';
import type { Logger } from '../log.js';
import type { Settings } from '../settings.js';
import type { EngineEvent } from './api.js';
import type { ProblemBoard } from './problems.js';
import type { Activity } from './views.js';

export interface EngineContext {
  readonly ledger: Ledger;
  readonly settings: Settings;
  readonly log: Logger;
  readonly problems: ProblemBoard;
  /** Per record id: what is being copied or uploaded right now (bytes, speed). */
  readonly activity: Map<string, Activity>;
  readonly stopping: boolean;
  now(): number;
  /** Something the window shows changed (throttled by the engine). */
  changed(): void;
  emit(e: EngineEvent): void;
  /** Waits for the ledger's changes to be on disk; a failure is raised as a problem and logged. */
  flushLedger(): Promise<void>;
  /**
   * Holds the library's single-writer lock before anything is copied into it. False (with a problem raised) when
   * another Plaud Sync with another state folder fills the same library: two of them would upload recordings twice.
   */
  lockLibrary(): Promise<boolean>;
}
