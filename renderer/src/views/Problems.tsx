// Problems in plain words: one short sentence, what to do, a button named like the action, and the
// raw detail behind "Details" with "Copy diagnostics". Amber when it retries by itself, red only
// when it needs the user.
import { useState } from 'preact/hooks';
import { severityOf, type ProblemX, type Severity } from '../engine-extras.js';
import { formatAgo, formatDateTime } from '../format.js';

export interface ProblemActions {
  openSettings(): void;
  retry(id?: string): void;
  syncNow(): void;
  /** A recording that changed on the recorder after its upload: upload what it holds now, as a recording of its own. */
  uploadNewerVersion?(id: string): void;
}

interface Fix {
  label: string;
  run(): void;
}

/** What the problem's button does; its label comes from the engine (actionLabel) when it sends one. */
export function fixFor(p: ProblemX, a: ProblemActions): Fix | null {
  const fix = defaultFix(p, a);
  return fix && p.actionLabel ? { ...fix, label: p.actionLabel } : fix;
}

function defaultFix(p: ProblemX, a: ProblemActions): Fix | null {
  switch (p.code) {
    case 'auth-refused':
    case 'no-account':
      return { label: 'Open Settings', run: a.openSettings };
    case 'library-full':
    case 'library-unwritable':
      return { label: 'Choose another library folder', run: a.openSettings };
    case 'offline':
    case 'server-error':
      return { label: 'Try again now', run: a.syncNow };
    case 'upload-failed':
      return { label: 'Retry', run: () => a.retry(p.recordingId) };
    case 'recording-changed': {
      const id = p.recordingId;
      const upload = a.uploadNewerVersion;
      return id && upload ? { label: 'Upload newer version', run: () => upload(id) } : null;
    }
    default:
      return null;
  }
}

export const SEVERITY: Record<Severity, { label: string; chip: string }> = {
  'needs-you': { label: 'Needs you', chip: 'chip-error' },
  retrying: { label: 'Retrying by itself', chip: 'chip-warn' },
  info: { label: 'For your information', chip: 'chip-muted' },
};

/** The worst severity among the problems, for the tab's badge colour. */
export function worstSeverity(problems: Pick<ProblemX, 'severity' | 'code' | 'level'>[]): Severity | null {
  const all = problems.map(severityOf);
  return all.includes('needs-you') ? 'needs-you' : all.includes('retrying') ? 'retrying' : all.length ? 'info' : null;
}

/** "4 recording(s)" -> "4 recordings": today's engine still writes the lazy plural. */
const plural = (s: string) =>
  s.replace(/\b(\d+) (\w+)\(s\)/g, (_m, n: string, w: string) => `${n} ${w}${n === '1' ? '' : 's'}`);

/**
 * The message in one sentence and the detail for the disclosure. An engine that sends no `detail`
 * may pack the raw error into the message: the first sentence is kept up front, the rest moves behind
 * "Details" (nothing is dropped).
 */
export function splitMessage(p: Pick<ProblemX, 'message' | 'detail'>): { sentence: string; detail?: string } {
  const msg = plural(p.message.trim());
  if (p.detail) return { sentence: msg, detail: p.detail };
  const { text, raw } = takeRawParens(msg);
  const m = /^(.+?[.!?])\s+(\S[\s\S]*)$/.exec(text);
  const rest = [m?.[2], ...raw].filter((x): x is string => !!x);
  return { sentence: m ? m[1]! : text, ...(rest.length ? { detail: rest.join('\n') } : {}) };
}

/**
 * Long parentheses are where today's engine puts the raw error ("… cannot be reached (Starting the
 * upload (generate-presigned-urls) failed: …)."): they move out of the sentence, nested ones whole.
 */
function takeRawParens(msg: string): { text: string; raw: string[] } {
  const raw: string[] = [];
  let text = msg;
  for (let from = 0; ;) {
    const i = text.indexOf(' (', from);
    if (i < 0) break;
    let depth = 0;
    let j = i + 1;
    for (; j < text.length; j++) {
      if (text[j] === '(') depth++;
      else if (text[j] === ')' && --depth === 0) break;
    }
    if (j >= text.length) break;
    const inner = text.slice(i + 2, j);
    if (inner.length < 24) {
      from = j;
      continue;
    }
    raw.push(inner);
    text = text.slice(0, i) + text.slice(j + 1);
    from = i;
  }
  return { text: text.replace(/\s+([.,;!?])/g, '$1'), raw };
}

export function diagnostics(p: ProblemX): string {
  const { sentence, detail } = splitMessage(p);
  return [
    `Plaud Sync problem: ${sentence}`,
    p.action ? `What to do: ${p.action}` : '',
    `Kind: ${p.code} (${SEVERITY[severityOf(p)].label.toLowerCase()})`,
    `Since: ${formatDateTime(p.since)} (${new Date(p.since).toISOString()})`,
    p.deviceId ? `Recorder: ${p.deviceId}` : '',
    p.recordingId ? `Recording: ${p.recordingId}` : '',
    detail ? `Details:\n${detail}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function ProblemsView({
  problems,
  now,
  actions,
}: {
  problems: ProblemX[];
  now: number;
  actions: ProblemActions;
}) {
  if (problems.length === 0) {
    return (
      <div class="empty">
        <h2>No problems</h2>
        <p>Everything is working.</p>
      </div>
    );
  }
  // Needs-you first: that is what the user came here for.
  const order: Severity[] = ['needs-you', 'retrying', 'info'];
  const sorted = [...problems].sort((a, b) => order.indexOf(severityOf(a)) - order.indexOf(severityOf(b)));
  return (
    <>
      <h2>Problems</h2>
      <ul class="problems" aria-label="Problems">
        {sorted.map((p) => (
          <ProblemItem key={p.id} problem={p} now={now} actions={actions} />
        ))}
      </ul>
    </>
  );
}

function ProblemItem({ problem: p, now, actions }: { problem: ProblemX; now: number; actions: ProblemActions }) {
  const sev = severityOf(p);
  const fix = fixFor(p, actions);
  const { sentence, detail } = splitMessage(p);
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(diagnostics(p));
      setCopied('Copied. Paste it into a message to support.');
    } catch (e) {
      setCopied(`Could not copy: ${e instanceof Error ? e.message : String(e)}. Select the text above instead.`);
    }
  };
  return (
    <li class={`problem sev-${sev}`}>
      <p class="problem-message">
        <span class={`chip ${SEVERITY[sev].chip}`}>{SEVERITY[sev].label}</span> {sentence}
      </p>
      {p.action && <p class="problem-action">{p.action}</p>}
      <div class="problem-foot">
        {fix && (
          <button type="button" class={sev === 'needs-you' ? 'primary' : ''} onClick={() => fix.run()}>
            {fix.label}
          </button>
        )}
        <span class="muted">Since {formatAgo(p.since, now)}</span>
      </div>
      <details class="problem-details">
        <summary>Details</summary>
        {detail ? (
          <pre class="detail-text">{detail}</pre>
        ) : (
          <p class="muted">No more detail than the sentence above.</p>
        )}
        <div class="row">
          <button type="button" onClick={() => void copy()}>
            Copy diagnostics
          </button>
          <p role="status">{copied}</p>
        </div>
      </details>
    </li>
  );
}
