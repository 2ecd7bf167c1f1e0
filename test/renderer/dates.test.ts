// Dates, lengths and recorder names as the window shows them, and the same dates read back from
// what a person types (search and the date filters use the list's own format).
import { describe, expect, it } from 'vitest';
import { dateSearch, dayLabel, formatDay, formatLength, formatWhen, parseDay } from '../../renderer/src/dates.js';
import { recorderName, snTypeWords } from '../../renderer/src/recorder-name.js';

const now = new Date(2026, 3, 7, 15, 30).getTime(); // Tue 7 Apr 2026, 15:30 local

describe('dates as shown', () => {
  it('today and yesterday by name, older days dated, with the start time', () => {
    expect(formatWhen(new Date(2026, 3, 7, 9, 2).getTime(), now)).toBe('Today 09:02');
    expect(formatWhen(new Date(2026, 3, 6, 23, 59).getTime(), now)).toBe('Yesterday 23:59');
    expect(dayLabel(new Date(2026, 3, 5, 14, 52).getTime(), now)).toBe('Sun 5 Apr 2026');
    expect(dayLabel(new Date(2026, 3, 8, 1, 0).getTime(), now)).toBe('Wed 8 Apr 2026');
    // Just after midnight "yesterday" is the day before, not 24 hours before.
    const justAfterMidnight = new Date(2026, 3, 7, 0, 5).getTime();
    expect(dayLabel(new Date(2026, 3, 6, 0, 10).getTime(), justAfterMidnight)).toBe('Yesterday');
  });

  it('lengths in minutes and hours, seconds only under a minute', () => {
    expect(formatLength(48 * 60_000)).toBe('48 min');
    expect(formatLength(65 * 60_000)).toBe('1 h 5 min');
    expect(formatLength(42_000)).toBe('42 s');
    expect(formatLength(120 * 60_000)).toBe('2 h 0 min');
    expect(formatLength(-1)).toBe('–');
  });

  it('reads back every day it writes, and ISO dates, month names and "5 Apr"', () => {
    for (const d of [
      new Date(2026, 3, 7, 9),
      new Date(2026, 3, 6, 20),
      new Date(2025, 11, 31, 1),
      new Date(2024, 1, 29, 12),
    ]) {
      const r = parseDay(dayLabel(d.getTime(), now), now)!;
      expect(r.fromMs).toBeLessThanOrEqual(d.getTime());
      expect(r.toMs).toBeGreaterThanOrEqual(d.getTime());
      expect(r.toMs - r.fromMs).toBeLessThan(25 * 3_600_000);
    }
    expect(parseDay('2026-04-05', now)!.fromMs).toBe(new Date(2026, 3, 5).getTime());
    expect(parseDay('5 April 2026', now)!.fromMs).toBe(new Date(2026, 3, 5).getTime());
    expect(parseDay('5 apr', now)!.fromMs).toBe(new Date(2026, 3, 5).getTime());
    expect(parseDay('Apr 2026', now)).toEqual({
      fromMs: new Date(2026, 3, 1).getTime(),
      toMs: new Date(2026, 4, 1).getTime() - 1,
    });
    expect(parseDay('31 Feb 2026', now)).toBeUndefined();
    expect(parseDay('file_0000000a', now)).toBeUndefined();
    expect(parseDay('880123456789012345', now)).toBeUndefined();
  });

  it('search: a shown date with its time is that minute, other text is not a date', () => {
    expect(dateSearch('Today 09:02', now)).toEqual({
      fromMs: new Date(2026, 3, 7, 9, 2).getTime(),
      toMs: new Date(2026, 3, 7, 9, 3).getTime() - 1,
    });
    expect(dateSearch('yesterday', now)!.fromMs).toBe(new Date(2026, 3, 6).getTime());
    expect(dateSearch(formatDay(new Date(2026, 2, 1).getTime()), now)!.fromMs).toBe(new Date(2026, 2, 1).getTime());
    expect(dateSearch('Plaud Note', now)).toBeUndefined();
  });
});

describe('recorder names', () => {
  it('from the cloud type, in the words people use; an unknown model title-cased', () => {
    expect(recorderName({ sn_type: 'notepin', model: 'PLAUD NOTEPIN' })).toBe('Plaud NotePin');
    expect(recorderName({ sn_type: 'note', model: 'PLAUD NOTE' })).toBe('Plaud Note');
    expect(recorderName({ sn_type: 'notepro' })).toBe('Plaud NotePro');
    expect(recorderName({ sn_type: 'other', model: 'PLAUD NOTE X' })).toBe('Plaud Note X');
    expect(recorderName({ sn_type: 'other', model: '' })).toBe('Plaud recorder');
    expect(snTypeWords('notepin')).toBe('NotePin');
    expect(snTypeWords('other')).toBe('Other model');
  });
});
