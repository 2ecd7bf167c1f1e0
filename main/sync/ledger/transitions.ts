// Which state changes are legal, and how a record changes with each. Pure functions: the ledger
// journals the result. An illegal change is a bug in the caller, so it throws with plain words.
import type { MutableRecord, RecordState, TransitionPatch } from './types.js';

/** Legal moves. Backward moves are the engine's resets for a retry or an abandoned session. */
export const TRANSITIONS: Readonly<Record<RecordState, readonly RecordState[]>> = {
  discovered: ['pulling', 'failed', 'skipped'],
  // pulling -> discovered: the pull was interrupted (unplug, quit) before anything was verified.
  pulling: ['pulled', 'discovered', 'failed', 'skipped'],
  // pulled -> discovered: a partner file or a longer version of the take appeared on the recorder before its upload
  // began; the library copy is completed from the recorder and the upload file made again.
  // pulled -> synced: the library's manifest says the cloud already has this take (a fresh state folder over an
  // existing library, or a record lost to damage): nothing is uploaded again.
  pulled: ['uploading', 'synced', 'discovered', 'failed', 'skipped'],
  // uploading -> pulled: the upload session was abandoned (expired URLs, 403); start a new one.
  uploading: ['completing', 'pulled', 'failed'],
  // completing -> pulled: the server refused the completion for good; start a new upload.
  completing: ['synced', 'pulled', 'failed'],
  synced: [],
  // From failed, the engine goes back to where a retry makes sense: re-pull, re-queue, resume the
  // session it still has, or re-send the completion. failed -> failed records another attempt.
  failed: ['failed', 'discovered', 'pulling', 'pulled', 'uploading', 'completing', 'skipped'],
  skipped: ['discovered'],
};

export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
  constructor(
    readonly id: string,
    readonly from: RecordState,
    readonly to: RecordState,
    detail?: string,
  ) {
    const allowed = TRANSITIONS[from];
    super(
      detail ??
        `Recording ${id} cannot go from "${from}" to "${to}"` +
          (allowed.length ? ` (from "${from}" it may go to: ${allowed.join(', ')}).` : ` ("${from}" is final).`),
    );
  }
}

export function canTransition(from: RecordState, to: RecordState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The record after moving it to `to`. Throws IllegalTransitionError when the move or the patch is not valid. */
export function applyTransition(
  prev: MutableRecord,
  to: RecordState,
  patch: TransitionPatch,
  now: number,
): MutableRecord {
  const from = prev.state;
  if (!canTransition(from, to)) throw new IllegalTransitionError(prev.id, from, to);
  const need = (ok: unknown, what: string) => {
    if (!ok)
      throw new IllegalTransitionError(prev.id, from, to, `Recording ${prev.id} cannot go to "${to}" without ${what}.`);
  };
  const next: MutableRecord = { ...prev, state: to, updatedAt: now, stateAt: { ...prev.stateAt, [to]: now } };
  if (patch.durationMs !== undefined) {
    next.durationMs = patch.durationMs;
    next.endMs = next.startMs + patch.durationMs;
  }
  if (to !== 'failed') delete next.failure;
  if (to !== 'skipped') delete next.skipped;

  switch (to) {
    case 'discovered':
    case 'pulling':
      // Starting over from the device: whatever was verified before is no longer trusted.
      delete next.pulled;
      delete next.upload;
      break;
    case 'pulled': {
      if (from === 'failed' || from === 'uploading' || from === 'completing') {
        // Re-queue: keep the verified copy unless a new one is given; the old session is dropped.
        delete next.upload;
        if (patch.pulled) next.pulled = { ...patch.pulled, pulledAt: patch.pulled.pulledAt ?? now };
        need(next.pulled, 'a verified library copy (the record has none: retry from "discovered")');
      } else {
        need(patch.pulled, 'the verified library copy (patch.pulled: files, sizes, MD5s and the upload file)');
        next.pulled = { ...patch.pulled!, pulledAt: patch.pulled!.pulledAt ?? now };
      }
      break;
    }
    case 'uploading': {
      need(next.pulled, 'a verified library copy');
      if (patch.upload) {
        next.upload = { ...patch.upload, parts: [], startedAt: now };
      } else {
        // Resuming from failed keeps the open session and its finished parts.
        need(from === 'failed' && next.upload, 'an upload session (patch.upload: fileId, uploadId, partSize)');
      }
      break;
    }
    case 'completing':
      need(next.upload, 'an upload session');
      break;
    case 'synced':
      need(patch.cloudFileId, 'the cloud file id (patch.cloudFileId)');
      next.synced = {
        cloudFileId: patch.cloudFileId!,
        syncedAt: now,
        possibleDuplicate: patch.possibleDuplicate ?? false,
      };
      // The session's presigned URLs are spent (and carry signatures): do not keep them forever.
      if (next.upload?.urls) {
        const { urls: _urls, urlsExpireAt: _exp, ...rest } = next.upload;
        next.upload = rest;
      }
      break;
    case 'failed':
      need(patch.reason, 'a reason (patch.reason)');
      next.attempts = prev.attempts + 1;
      next.failure = {
        reason: patch.reason!,
        ...(patch.code !== undefined ? { code: patch.code } : {}),
        // A repeated failure keeps pointing at the step that failed first.
        fromState: from === 'failed' ? (prev.failure?.fromState ?? 'discovered') : from,
        attempts: next.attempts,
        nextTryAt: patch.nextTryAt ?? null,
        at: now,
      };
      break;
    case 'skipped':
      need(patch.reason, 'a reason (patch.reason)');
      next.skipped = { reason: patch.reason!, at: now };
      break;
  }
  return next;
}
