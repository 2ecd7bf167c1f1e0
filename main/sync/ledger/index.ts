// The ledger's public API. See ledger.ts (reads/writes), store.ts (files), transitions.ts (state machine).
export {
  openLedger,
  Ledger,
  recordingId,
  recordingSize,
  type OpenLedgerOptions,
  type ChangeListener,
} from './ledger.js';
export { recoverLedger, type RecoverReport } from './recover.js';
export { readLedger } from './read.js';
export {
  LedgerCorruptError,
  LedgerVersionError,
  LedgerLockedError,
  LedgerWriteError,
  LedgerUnavailableError,
} from './errors.js';
export { IllegalTransitionError, TRANSITIONS, canTransition } from './transitions.js';
export { CURRENT_VERSION as LEDGER_VERSION } from './migrations.js';
export {
  RECORD_STATES,
  type LedgerRecord,
  type RecordState,
  type TransitionPatch,
  type StateCounts,
  type PulledInfo,
  type UploadInfo,
  type UploadedPart,
} from './types.js';
import path from 'node:path';

/** Where the ledger lives inside the state dir (see paths.ts defaultStateDir). */
export function ledgerDir(stateDir: string): string {
  return path.join(stateDir, 'ledger');
}
