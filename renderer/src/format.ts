// Plain-words formatting for sizes, times and rates. Pure functions: easy to test, no DOM.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  let v = n;
  let i = 0;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = i === 0 || v >= 100 ? 0 : 1;
  return `${v.toFixed(digits)} ${UNITS[i]}`;
}

export function formatSpeed(bps: number): string {
  if (!Number.isFinite(bps) || bps <= 0) return '–';
  return `${formatBytes(bps)}/s`;
}

/** "1 h 02 min", "3 min 05 s", "42 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}

export function formatEta(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec) || sec < 0) return '–';
  return formatDuration(sec * 1000);
}

export function formatDateTime(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "just now", "3 min ago", "2 h ago", else the date. */
export function formatAgo(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return formatDateTime(ms);
}

/** Parses an <input type="date"> value as local midnight; undefined when empty or invalid. */
export function parseDateInput(v: string, endOfDay = false): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (endOfDay) d.setHours(23, 59, 59, 999);
  return d.getTime();
}

/**
 * The first sentence of an engine message, without its parenthesised technical detail: "Finishing the upload of
 * X did not get an answer after 6 tries (… HTTP 500 …). A retry finishes …" -> "Finishing the upload of X did not get
 * an answer after 6 tries." A row has room for one sentence; the whole text stays in the Problems tab's Details.
 */
export function shortReason(message: string): string {
  let out = '';
  let depth = 0;
  for (const ch of message) {
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0) out += ch;
  }
  out = out
    .replace(/\s+/g, ' ')
    .replace(/\s+([.,;:])/g, '$1')
    .trim();
  const end = out.search(/[.!?](\s|$)/);
  const first = end >= 0 ? out.slice(0, end + 1) : out;
  return first || message;
}
