// complete-upload wants the UTC offset in force where and when the recording started, split into
// whole hours (`timezone`) and the remaining minutes (`zonemins`), both carrying the offset's sign:
// UTC+05:30 -> 5, 30; UTC-03:30 -> -3, -30; Pacific/Chatham in summer (+13:45) -> 13, 45.
// The offset is taken at the recording's start, so DST is whatever applied on that day.

export interface ZoneOffset {
  timezone: number;
  zonemins: number;
  /** Total offset east of UTC in minutes. */
  offsetMinutes: number;
}

export function splitOffset(offsetMinutes: number): ZoneOffset {
  const sign = offsetMinutes < 0 ? -1 : 1;
  const abs = Math.abs(offsetMinutes);
  // `|| 0` turns -0 into 0 so UTC serialises as 0, not -0.
  return { timezone: sign * Math.floor(abs / 60) || 0, zonemins: sign * (abs % 60) || 0, offsetMinutes };
}

/** Offset east of UTC, in minutes, of an IANA zone at an instant (uses Intl; no TZ database of our own). */
export function zoneOffsetMinutes(epochMs: number, timeZone: string): number {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  const name = fmt.formatToParts(new Date(epochMs)).find((p) => p.type === 'timeZoneName')?.value ?? '';
  // "GMT", "GMT+05:30", "GMT-03:30"
  const m = /^GMT(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$/.exec(name);
  if (!m) throw new Error(`Cannot read the UTC offset of time zone ${timeZone} (got "${name}")`);
  if (!m[1]) return 0;
  const mins = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === '-' ? -mins : mins;
}

/**
 * The offset at `epochMs` in `timeZone`, or in this machine's zone when none is given
 * (the recorder has no zone of its own; the machine's zone is the best guess of where it was used).
 */
export function zoneOffsetAt(epochMs: number, timeZone?: string): ZoneOffset {
  const minutes = timeZone ? zoneOffsetMinutes(epochMs, timeZone) : -new Date(epochMs).getTimezoneOffset();
  return splitOffset(minutes);
}
