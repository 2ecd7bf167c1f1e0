// What a recording seen on the recorder is, given what the ledger already knows under its name. This is the one place
// that decides identity: the engine acts on the answer, the scan only says what files are there and whether they
// have settled.
//
//   nothing known under the name            -> a new take (take 1)
//   a take whose files look exactly as seen  -> that take (no read from the recorder)
//   otherwise, compared by content (fingerprint.ts), newest take first:
//     same take, nothing changed             -> that take
//     same take, a partner file was added or a file grew, its upload not begun
//                                            -> refresh: copy what is new, make the upload file again, upload once
//     same take, a partner file was added after its upload began
//                                            -> join: copy the new file into the library copy, no second upload
//     same take, changed after its upload began
//                                            -> changed: no silent second upload; the user may upload the newer one
//     no take matches                        -> a new take (max + 1): a different recording that reused the name
//   a take never copied (nothing to compare) is the newest take and still waiting to be pulled
//                                            -> refresh: it simply describes what the recorder holds now
import type { LedgerRecord } from '../ledger/types.js';
import type { Recording } from '../types.js';
import { relate, type FileFingerprint, type Fingerprint, type Role } from './fingerprint.js';
import { sameFiles } from './identity.js';

export type Reconciled =
  | { action: 'known'; record: LedgerRecord }
  | { action: 'new'; take: number }
  | { action: 'refresh'; record: LedgerRecord }
  | { action: 'join'; record: LedgerRecord }
  | { action: 'changed'; record: LedgerRecord };

/** States in which a take's upload has not begun: it may still be pulled again and its upload file made again. */
const BEFORE_UPLOAD = new Set<LedgerRecord['state']>(['discovered', 'pulling', 'pulled', 'skipped']);

/** True when the take's upload has not begun (a failed pull counts; a failed upload does not). */
export function beforeUpload(r: LedgerRecord, uploading: boolean): boolean {
  if (uploading) return false;
  if (BEFORE_UPLOAD.has(r.state)) return true;
  return r.state === 'failed' && (r.failure?.fromState === 'discovered' || r.failure?.fromState === 'pulling');
}

/**
 * The take's files were on the recorder when last looked at: never seen gone or found replaced since (offDevice),
 * and not deleted by remove-after-sync. Only such a take may describe what the recorder shows without a read.
 */
export function believedOnRecorder(r: LedgerRecord): boolean {
  return r.offDevice === undefined && r.deviceDelete?.state !== 'done';
}

/** Same files, same sizes and times as when last seen, and never seen gone since: trusted without reading. */
export function looksUnchanged(r: LedgerRecord, rec: Recording): boolean {
  return believedOnRecorder(r) && sameFilesAsSeen(r, rec);
}

/** The recorder shows the same files, with the same sizes and times, as the record last saw. */
export function sameFilesAsSeen(r: LedgerRecord, rec: Recording): boolean {
  return sameFiles(r.source, rec);
}

export interface ReconcileIo {
  /** The fingerprint of a take from its library copy (stored, or read from the library files); undefined if none. */
  fingerprintOf(r: LedgerRecord): Promise<Fingerprint | undefined>;
  /** MD5 of the first `len` bytes of the recorder's file of this role. */
  deviceHead(role: Role, len: number): Promise<FileFingerprint>;
  /** True while an upload of this take is running. */
  isUploading(id: string): boolean;
}

/**
 * Decide what `rec` (seen on the recorder now) is, given the takes the ledger has under its name (first take first).
 */
export async function reconcile(takes: readonly LedgerRecord[], rec: Recording, io: ReconcileIo): Promise<Reconciled> {
  if (takes.length === 0) return { action: 'new', take: 1 };
  const newestFirst = [...takes].sort((a, b) => b.take - a.take);
  for (const r of newestFirst) if (looksUnchanged(r, rec)) return { action: 'known', record: r };
  // A change already reported (and not yet acted on) is recognised by its sizes, without reading the recorder again.
  for (const r of newestFirst) {
    const c = r.changedOnDevice;
    if (c && c.wavSize === rec.wav?.size && c.asrSize === rec.asr?.size) return { action: 'changed', record: r };
  }

  for (const r of newestFirst) {
    const known = await io.fingerprintOf(r);
    if (!known) {
      // Never copied: nothing to compare. Only the newest take can be what the recorder shows now.
      if (r === newestFirst[0] && beforeUpload(r, io.isUploading(r.id))) return { action: 'refresh', record: r };
      continue;
    }
    const rel = await relate(known, rec, io.deviceHead);
    if (rel === 'different') continue;
    if (rel === 'same') return { action: 'known', record: r };
    if (beforeUpload(r, io.isUploading(r.id))) return { action: 'refresh', record: r };
    if (rel === 'partner-added') return { action: 'join', record: r };
    return { action: 'changed', record: r };
  }
  return { action: 'new', take: Math.max(...takes.map((t) => t.take)) + 1 };
}
