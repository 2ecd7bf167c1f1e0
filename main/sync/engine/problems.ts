// The problem catalogue and the set of current problems. Every problem code has one row: who acts (the user, or
// nobody because it retries by itself), what to do, and the label of the button that does it, so the window, the
// tray, notifications and `status` all say the same thing. A problem is identified by its code and subject (device or
// recording), so the same failure repeating (every retry, every file) stays one problem and one notification; it is
// cleared when its cause is gone (see the engine: a pass that ends with nothing failed clears upload failures).
import type { Problem, ProblemCode, ProblemLevel } from './state.js';

export interface CatalogueEntry {
  level: ProblemLevel;
  /** What the user can do, when the raise does not say something more specific. */
  action?: string;
  /** The button that does it (the action text names this label). */
  actionLabel?: string;
}

export const PROBLEM_CATALOGUE: Readonly<Record<ProblemCode, CatalogueEntry>> = {
  'auth-refused': {
    level: 'needs-you',
    action: 'Enter a new API token, or client ID and secret, in Settings.',
    actionLabel: 'Open Settings',
  },
  'no-account': {
    level: 'needs-you',
    action: 'Enter an API token, or a client ID and secret, in Settings.',
    actionLabel: 'Open Settings',
  },
  offline: {
    level: 'retrying',
    action:
      'Nothing to do: uploads resume by themselves when the connection is back. Choose Try again now to check at once.',
    actionLabel: 'Try again now',
  },
  'server-error': {
    level: 'retrying',
    action: 'Nothing to do: it is retried by itself. Choose Retry now to try at once.',
    actionLabel: 'Retry now',
  },
  'rate-limited': { level: 'retrying', action: 'Nothing to do: uploads continue when the server allows.' },
  'library-full': {
    level: 'needs-you',
    action:
      'Free some space on the library disk, or choose Open Settings to pick another library folder; then Sync now copies the rest.',
    actionLabel: 'Open Settings',
  },
  'library-unwritable': {
    level: 'needs-you',
    action: 'Choose a library folder you can write to in Settings.',
    actionLabel: 'Open Settings',
  },
  'device-read-error': { level: 'needs-you', action: 'Plug the recorder in again; the copy resumes where it stopped.' },
  'device-mismatch': {
    level: 'info',
    action: 'Check that this is the recorder you expect; its recordings are filed under the serial in MODEL.txt.',
  },
  'recording-skipped': {
    level: 'info',
    action: 'These files are left on the recorder untouched. The log lists each one with its reason.',
  },
  'upload-failed': { level: 'needs-you', action: 'Choose Retry to try again.', actionLabel: 'Retry' },
  'ledger-corrupt': { level: 'needs-you', action: 'Run "plaud-sync recover-ledger", then start Plaud Sync again.' },
  'recording-changed': {
    level: 'needs-you',
    action:
      'Choose Upload newer version to upload what the recorder holds now as a new recording; the first upload stays.',
    actionLabel: 'Upload newer version',
  },
  'library-in-use': {
    level: 'needs-you',
    action:
      'Quit the other Plaud Sync (the app, or a plaud-sync command with another state folder), or choose another library folder.',
  },
  'possible-duplicate': { level: 'info', action: 'Check your Plaud library for a second copy of this recording.' },
  other: { level: 'needs-you' },
};

export interface ProblemInput {
  code: ProblemCode;
  /** Overrides the catalogue's level for this one raise (e.g. an upload failure that is retried by itself). */
  level?: ProblemLevel;
  message: string;
  action?: string;
  actionLabel?: string;
  detail?: string;
  deviceId?: string;
  recordingId?: string;
}

export class ProblemBoard {
  private readonly items = new Map<string, Problem>();

  constructor(
    private readonly onNew: (p: Problem) => void,
    private readonly onCleared: (id: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  static idOf(p: Pick<ProblemInput, 'code' | 'deviceId' | 'recordingId'>): string {
    return [p.code, p.deviceId ?? '', p.recordingId ?? ''].join('|');
  }

  /** Raise or refresh a problem. Returns true when it is new (worth a notification). */
  raise(input: ProblemInput): boolean {
    const id = ProblemBoard.idOf(input);
    const existing = this.items.get(id);
    const entry = PROBLEM_CATALOGUE[input.code];
    const level = input.level ?? entry.level;
    const action = input.action ?? entry.action;
    const actionLabel = input.actionLabel ?? (input.action === undefined ? entry.actionLabel : undefined);
    const problem: Problem = {
      id,
      code: input.code,
      severity: level === 'needs-you' ? 'error' : 'warning',
      level,
      message: input.message,
      ...(action !== undefined ? { action } : {}),
      ...(actionLabel !== undefined ? { actionLabel } : {}),
      ...(input.detail !== undefined ? { detail: input.detail } : {}),
      since: existing?.since ?? this.now(),
      ...(input.deviceId !== undefined ? { deviceId: input.deviceId } : {}),
      ...(input.recordingId !== undefined ? { recordingId: input.recordingId } : {}),
    };
    this.items.set(id, problem);
    if (!existing) this.onNew(problem);
    return !existing;
  }

  clear(match: Partial<Pick<Problem, 'code' | 'deviceId' | 'recordingId'>>): void {
    for (const [id, p] of this.items) {
      if (match.code !== undefined && p.code !== match.code) continue;
      if (match.deviceId !== undefined && p.deviceId !== match.deviceId) continue;
      if (match.recordingId !== undefined && p.recordingId !== match.recordingId) continue;
      this.items.delete(id);
      this.onCleared(id);
    }
  }

  has(match: Partial<Pick<Problem, 'code' | 'deviceId' | 'recordingId'>>): boolean {
    for (const p of this.items.values()) {
      if (match.code !== undefined && p.code !== match.code) continue;
      if (match.deviceId !== undefined && p.deviceId !== match.deviceId) continue;
      if (match.recordingId !== undefined && p.recordingId !== match.recordingId) continue;
      return true;
    }
    return false;
  }

  list(): Problem[] {
    return [...this.items.values()].sort((a, b) => a.since - b.since);
  }
}
