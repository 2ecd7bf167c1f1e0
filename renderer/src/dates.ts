// Dates as the window shows them ("Today 09:02", "Yesterday", "Sun 5 Apr 2026"), and the reverse:
// what a person types in search or a date filter, read in that same format. Local time throughout.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad = (n: number) => String(n).padStart(2, '0');

export const startOfDay = (ms: number): number => {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
};
const addDays = (dayStart: number, n: number): number => {
  const d = new Date(dayStart);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n).getTime();
};

/** "Sun 5 Apr 2026": the date of a day that is neither today nor yesterday. */
export function formatDay(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
}

/** "Today", "Yesterday", else "Sun 5 Apr 2026". A recording from the future (clock skew) gets its date. */
export function dayLabel(ms: number, now: number): string {
  const day = startOfDay(ms);
  const today = startOfDay(now);
  if (day === today) return 'Today';
  if (day === addDays(today, -1)) return 'Yesterday';
  return formatDay(ms);
}

export const formatClock = (ms: number): string => {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

/** "Today 09:02", "Yesterday 18:40", "Sun 5 Apr 2026 14:52". */
export const formatWhen = (ms: number, now: number): string => `${dayLabel(ms, now)} ${formatClock(ms)}`;

/** A recording's length: "48 min", "1 h 5 min", "42 s" (under a minute). */
export function formatLength(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  const h = Math.floor(min / 60);
  return h > 0 ? `${h} h ${min % 60} min` : `${min} min`;
}

export interface Range {
  fromMs: number;
  toMs: number;
}

const dayRange = (start: number): Range => ({ fromMs: start, toMs: addDays(start, 1) - 1 });

function monthIndex(word: string): number {
  const w = word.slice(0, 3).toLowerCase();
  return MONTHS.findIndex((m) => m.toLowerCase() === w);
}

/**
 * Reads a day written the way the list shows it (or as 2026-04-05): "today", "yesterday",
 * "Sun 5 Apr 2026", "5 April 2026", "5 Apr" (this year), "Apr 2026" (the whole month).
 * Returns the local range it covers, or undefined when the text is not a date.
 */
export function parseDay(text: string, now: number): Range | undefined {
  const t = text.trim().toLowerCase().replace(/,/g, ' ').replace(/\s+/g, ' ');
  if (!t) return undefined;
  const today = startOfDay(now);
  if (t === 'today') return dayRange(today);
  if (t === 'yesterday') return dayRange(addDays(today, -1));
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  if (m) return valid(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Optional weekday, then day month [year].
  m = /^(?:[a-z]{3,9} )?(\d{1,2}) ([a-z]{3,9})(?: (\d{4}))?$/.exec(t);
  if (m) {
    const mon = monthIndex(m[2]!);
    if (mon < 0) return undefined;
    return valid(m[3] ? Number(m[3]) : new Date(now).getFullYear(), mon, Number(m[1]));
  }
  m = /^([a-z]{3,9}) (\d{4})$/.exec(t);
  if (m) {
    const mon = monthIndex(m[1]!);
    if (mon < 0) return undefined;
    const from = new Date(Number(m[2]), mon, 1).getTime();
    return { fromMs: from, toMs: new Date(Number(m[2]), mon + 1, 1).getTime() - 1 };
  }
  return undefined;
}

function valid(y: number, mon: number, day: number): Range | undefined {
  const d = new Date(y, mon, day);
  if (d.getFullYear() !== y || d.getMonth() !== mon || d.getDate() !== day) return undefined;
  return dayRange(d.getTime());
}

/**
 * Search text that names a date as shown ("Yesterday", "Today 09:02", "5 Apr 2026") becomes a time
 * range; anything else is left as text for the engine's search (file id, serial, recorder).
 */
export function dateSearch(text: string, now: number): Range | undefined {
  const t = text.trim();
  const timed = /^(.*?)\s+(\d{1,2}):(\d{2})$/.exec(t);
  if (timed) {
    const day = parseDay(timed[1]!, now);
    const h = Number(timed[2]);
    const min = Number(timed[3]);
    if (day && h < 24 && min < 60) {
      const d = new Date(day.fromMs);
      const from = new Date(d.getFullYear(), d.getMonth(), d.getDate(), h, min).getTime();
      return { fromMs: from, toMs: from + 60_000 - 1 };
    }
  }
  return parseDay(t, now);
}
