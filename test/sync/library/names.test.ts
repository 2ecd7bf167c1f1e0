// The readable names of the library: what the template gives, what it refuses, and (property-based) that no
// template the Settings page accepts and no recorder can make a name that escapes the library, hides itself or is
// refused by a common file system.
import fc from 'fast-check';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_NAME_TEMPLATE,
  NAME_FIELDS,
  renderName,
  sampleName,
  templateProblem,
  type NameFields,
} from '../../../main/sync/library/names.js';

const at = (y: number, mo: number, d: number, h: number, mi: number, s = 0) =>
  new Date(y, mo - 1, d, h, mi, s).getTime();
const note: NameFields = { sn: '888317426571223344', snType: 'note', kind: 'note', startMs: at(2026, 4, 5, 14, 52, 7) };

describe('library names', () => {
  it('the default names the recorder folder by model and serial end, the file by local date, time and kind', () => {
    expect(renderName(DEFAULT_NAME_TEMPLATE, note)).toBe('Plaud Note 3344/2026-04-05 14.52 Note');
    expect(
      renderName(DEFAULT_NAME_TEMPLATE, { ...note, snType: 'notepin', kind: 'call', sn: '8820000000001234' }),
    ).toBe('Plaud NotePin 1234/2026-04-05 14.52 Call');
    expect(renderName(DEFAULT_NAME_TEMPLATE, note, 2)).toBe('Plaud Note 3344/2026-04-05 14.52 Note (2)');
    expect(sampleName(DEFAULT_NAME_TEMPLATE, 'mp3')).toBe('Plaud Note 3344/2026-04-05 14.52 Note.mp3');
  });

  it('every field documented on the Settings page is filled in', () => {
    const all = NAME_FIELDS.map((f) => f.field).join(' ');
    const out = renderName(`{recorder}/{year}/${all}`, note);
    expect(out).toBe(
      'Plaud Note 3344/2026/Plaud Note 3344 Plaud Note 2026-04-05 14.52 07 2026 04 April 05 Note 888317426571223344',
    );
    expect(out).not.toMatch(/[{}]/);
  });

  it('refuses templates that could not name every recording apart or would leave the library, saying why', () => {
    expect(templateProblem(DEFAULT_NAME_TEMPLATE)).toBeUndefined();
    expect(templateProblem('{year}/{month}/{day} {time} {kind}')).toBeUndefined();
    expect(templateProblem('')).toMatch(/Enter a name pattern/);
    expect(templateProblem('{recorder}/{kind}')).toMatch(/needs the date/);
    expect(templateProblem('{date}/{kind}')).toMatch(/needs \{time\}|needs the date/);
    expect(templateProblem('{recorder}/{date} {time} {colour}')).toMatch(/\{colour\} is not a field/);
    expect(templateProblem('/{date} {time}')).toMatch(/inside the library/);
    expect(templateProblem('C:{date} {time}')).toMatch(/inside the library/);
    expect(templateProblem('../{date} {time}')).toMatch(/"\." and "\.\."/);
    expect(templateProblem('{recorder}//{date} {time}')).toMatch(/empty/);
    expect(templateProblem('{date} {time}?')).toMatch(/"\?" cannot be used/);
    expect(templateProblem('{date} {time} {')).toMatch(/brace/);
    expect(templateProblem('a/b/c/d/{date} {time}')).toMatch(/At most 4 levels/);
  });

  it('an unusable template falls back to the default rather than stopping a pull', () => {
    expect(renderName('../../etc/{time}', note)).toBe(renderName(DEFAULT_NAME_TEMPLATE, note));
  });

  it('property: any accepted template gives names inside the library, visible, and legal on Windows, macOS, Linux', () => {
    const piece = fc.oneof(
      fc.constantFrom(...NAME_FIELDS.map((f) => f.field)),
      fc.string({ maxLength: 12 }),
      fc.constantFrom(' ', '.', '..', '-', 'CON', 'nul.txt', '  ', '\u0000', 'Ω', '💬', '...'),
    );
    const template = fc
      .array(fc.array(piece, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 })
      .map((segs) => segs.map((s) => s.join('')).join('/'))
      .map((t) => (t.includes('{time}') ? t : `${t} {date} {time}`));
    const fields = fc.record({
      sn: fc.stringMatching(/^[A-Za-z0-9]{6,32}$/),
      snType: fc.constantFrom('note', 'notepin', 'notepro', 'other'),
      kind: fc.constantFrom('note' as const, 'call' as const),
      startMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    });
    fc.assert(
      fc.property(template, fields, fc.integer({ min: 1, max: 50 }), (t, f, copy) => {
        const out = renderName(t, f, copy);
        const root = path.resolve('/library');
        const abs = path.resolve(root, ...out.split('/'));
        expect(abs.startsWith(root + path.sep)).toBe(true);
        for (const seg of out.split('/')) {
          expect(seg.length).toBeGreaterThan(0);
          expect(seg.length).toBeLessThanOrEqual(130);
          expect(seg.startsWith('.')).toBe(false);
          // eslint-disable-next-line no-control-regex
          expect(seg).not.toMatch(/[<>:"\\|?*\u0000-\u001f]/);
          expect(seg).not.toMatch(/[. ]$/);
          expect(seg).not.toMatch(/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i);
        }
        if (copy > 1) expect(out.endsWith(` (${copy})`)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});
