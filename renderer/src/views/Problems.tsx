// Problems in plain words, each with the one thing the user can do about it.
import type { Problem } from '../../../main/app/ipc/contract.js';
import { formatAgo } from '../format.js';

export interface ProblemActions {
  openSettings(): void;
  retry(id?: string): void;
  syncNow(): void;
}

interface Fix {
  label: string;
  run(): void;
}

export function fixFor(p: Problem, a: ProblemActions): Fix | null {
  switch (p.code) {
    case 'auth-refused':
    case 'no-account':
      return { label: 'Open Settings', run: a.openSettings };
    case 'library-full':
    case 'library-unwritable':
      return { label: 'Choose another library folder', run: a.openSettings };
    case 'offline':
    case 'server-error':
    case 'rate-limited':
      return { label: 'Try again now', run: a.syncNow };
    case 'upload-failed':
      return { label: 'Retry', run: () => a.retry(p.recordingId) };
    default:
      return null;
  }
}

export function ProblemsView({ problems, now, actions }: { problems: Problem[]; now: number; actions: ProblemActions }) {
  if (problems.length === 0) {
    return (
      <div class="empty">
        <h2>No problems</h2>
        <p>Everything is working.</p>
      </div>
    );
  }
  return (
    <>
      <h2>Problems</h2>
      <ul class="problems" aria-label="Problems">
        {problems.map((p) => {
          const fix = fixFor(p, actions);
          return (
            <li key={p.id} class={`problem ${p.severity}`}>
              <p class="problem-message">
                <span class={`chip ${p.severity === 'error' ? 'chip-error' : 'chip-warn'}`}>
                  {p.severity === 'error' ? 'Error' : 'Warning'}
                </span>{' '}
                {p.message}
              </p>
              {p.action && <p class="problem-action">{p.action}</p>}
              <p class="muted">Since {formatAgo(p.since, now)}</p>
              {fix && (
                <button type="button" onClick={() => fix.run()}>
                  {fix.label}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}
