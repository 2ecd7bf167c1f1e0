// Fields the engine is about to send (issue 12) that today's state types do not declare yet. Every
// one is optional or a widened union, so the window compiles against today's engine and uses the new
// fields as soon as they arrive. Nothing here is sent back to main.
import type {
  DeviceView,
  EngineState,
  EngineTotals,
  HistoryEntry,
  PhaseTotals,
  Problem,
  QueueItemState,
  QueueItemView,
} from '../../main/app/ipc/contract.js';

// The engine now declares these itself (issue 12): the phases' totals, each row's phase, the playable file's size.
export type { PhaseTotals };
export type TotalsX = EngineTotals;
export type HistoryEntryX = HistoryEntry;

/** Item states named for the user. Today's engine sends a subset (and "failed" for a cancel). */
export type ItemState = QueueItemState | 'on-recorder' | 'waiting-settle' | 'cancelled';

// Each extension omits the fields it declares, so it still compiles once the engine's own types gain
// them (with the same or a narrower shape).
export interface QueueItemX extends Omit<QueueItemView, 'state' | 'errorCode'> {
  state: ItemState;
  /** Machine-readable reason of a failure, e.g. "cancelled". */
  errorCode?: string;
}

/** What the last look at a recorder found. Counts the engine does not send are left out of the card. */
export interface LastVisit {
  at: number;
  recordingsOnDevice: number;
  /** Recordings synced (uploaded) from it, in total. */
  synced?: number;
  /** Recordings copied into the library on that visit. */
  pulled?: number;
  /** Recordings it was still writing then. */
  waitingForRecorder?: number;
}

export interface DeviceX extends Omit<DeviceView, 'lastVisit' | 'waitingForRecorder'> {
  lastVisit?: LastVisit;
  /** Recordings the recorder is still writing (copied once they settle). */
  waitingForRecorder?: number;
}

export type Severity = 'needs-you' | 'retrying' | 'info';

export interface ProblemX extends Omit<Problem, 'severity' | 'code' | 'level' | 'detail' | 'actionLabel'> {
  code: Problem['code'] | (string & {});
  severity: Problem['severity'] | Severity;
  /** Who acts; when sent it decides the colour (severity then stays 'error' / 'warning'). */
  level?: Severity;
  /** Raw text for the "Details" disclosure. */
  detail?: string;
  /** The button's label; the action text names it. */
  actionLabel?: string;
}

export interface EngineStateX extends Omit<EngineState, 'devices' | 'queue' | 'totals' | 'problems'> {
  devices: DeviceX[];
  queue: QueueItemX[];
  totals: TotalsX;
  problems: ProblemX[];
}

/** Widens a snapshot to the extended shape (a type-level view; the object is not copied). */
export const extend = (s: EngineState): EngineStateX => s as unknown as EngineStateX;

/** Problems that clear by themselves once the server answers again: the user need not act. */
const RETRIES_BY_ITSELF = new Set(['offline', 'server-error', 'rate-limited']);

/**
 * Today's "error" / "warning" map onto the new names; today's engine also calls being offline an
 * "error", so for the old names the kind of problem decides first. New names are taken as sent.
 */
export function severityOf(p: Pick<ProblemX, 'severity' | 'code' | 'level'>): Severity {
  if (p.level) return p.level;
  if ((p.severity === 'error' || p.severity === 'warning') && RETRIES_BY_ITSELF.has(p.code)) return 'retrying';
  if (p.severity === 'error' || p.severity === 'needs-you') return 'needs-you';
  if (p.severity === 'warning' || p.severity === 'retrying') return 'retrying';
  return 'info';
}

/**
 * Cancelled by the user. Today the engine marks a cancel as "failed" with the reason "Cancelled by
 * you…" (its ledger code "cancelled" does not reach the view); the new engine sends state "cancelled".
 */
export function isCancelled(item: Pick<QueueItemX, 'state' | 'errorCode' | 'error'>): boolean {
  if (item.state === 'cancelled') return true;
  if (item.state !== 'failed') return false;
  return item.errorCode === 'cancelled' || /^Cancelled by you\b/.test(item.error ?? '');
}
