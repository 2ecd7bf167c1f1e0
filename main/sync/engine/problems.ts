// The set of current problems. A problem is identified by its code and subject (device or recording),
// so the same failure repeating (every retry, every file) stays one problem and one notification.
import type { Problem, ProblemCode } from './state.js';

export interface ProblemInput {
  code: ProblemCode;
  severity?: Problem['severity'];
  message: string;
  action?: string;
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
    const problem: Problem = {
      id,
      code: input.code,
      severity: input.severity ?? 'error',
      message: input.message,
      action: input.action,
      since: existing?.since ?? this.now(),
      deviceId: input.deviceId,
      recordingId: input.recordingId,
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

  list(): Problem[] {
    return [...this.items.values()].sort((a, b) => a.since - b.since);
  }
}
