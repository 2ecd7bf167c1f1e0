// Putting a failed recording back to work, at the step where a retry makes sense. Shared by the
// engine (Retry in the window, "sync now") and the `retry` CLI command.
import type { Ledger, LedgerRecord } from '../ledger/index.js';
import { isUploadSideFailure } from './views.js';

/** Upload-side failures resume their session or completion; pull-side failures go back to the recorder. */
export function requeue(ledger: Ledger, r: LedgerRecord): LedgerRecord {
  if (!isUploadSideFailure(r)) return ledger.transition(r.id, 'discovered');
  const from = r.failure?.fromState;
  if (from === 'completing' && r.upload) return ledger.transition(r.id, 'completing');
  if (from === 'uploading' && r.upload) return ledger.transition(r.id, 'uploading');
  return ledger.transition(r.id, 'pulled');
}

/** Retry one failed recording, or all of them. Returns the ids put back to work. */
export function retryFailed(ledger: Ledger, id?: string): string[] {
  const targets = id ? [ledger.get(id)] : ledger.inState('failed');
  if (id && !targets[0]) throw new Error(`No recording with id ${id}. "plaud-sync status --json" lists the ids.`);
  const done: string[] = [];
  for (const r of targets) {
    if (!r || r.state !== 'failed') continue;
    requeue(ledger, r);
    done.push(r.id);
  }
  return done;
}
