// The names people see in the library. The recorder names a recording by its start time in epoch seconds under its
// serial (`888317426571223344/NOTES/20260405/1775393534.WAV`); a person wants `Plaud Note 3344/2026-04-05 14.52
// Note.opus`. A template (a setting, like Rapid Photo Downloader's) turns a recording into such a path. Pure code: the
// window imports it for the Settings preview, the library uses it when it places the playable file.
import { deviceDisplayName } from '../devices/traits.js';
import type { SnType } from '../types.js';

/** The default: a folder per recorder, a file per recording named by its local date, start time and kind. */
export const DEFAULT_NAME_TEMPLATE = '{recorder}/{date} {time} {kind}';

export interface NameFields {
  /** The recorder's serial. */
  sn: string;
  /** Its type, which gives the model's display name ("Plaud NotePin"). */
  snType: SnType | string;
  kind: 'note' | 'call';
  /** Start of the recording, epoch ms; shown in the computer's local time zone. */
  startMs: number;
}

/** Every field a template may use, with what it gives for the sample recording (the Settings page lists these). */
export const NAME_FIELDS: readonly { field: string; meaning: string }[] = [
  { field: '{recorder}', meaning: 'the recorder: its model and the last 4 digits of its serial ("Plaud Note 3344")' },
  { field: '{model}', meaning: 'the model alone ("Plaud Note")' },
  { field: '{date}', meaning: 'the local start date ("2026-04-05")' },
  { field: '{time}', meaning: 'the local start time, hours and minutes ("14.52")' },
  { field: '{seconds}', meaning: 'the seconds of the start time ("07")' },
  { field: '{year}', meaning: 'the year ("2026")' },
  { field: '{month}', meaning: 'the month, two digits ("04")' },
  { field: '{monthname}', meaning: 'the month in words ("April")' },
  { field: '{day}', meaning: 'the day of the month, two digits ("05")' },
  { field: '{kind}', meaning: '"Note" or "Call"' },
  { field: '{serial}', meaning: 'the whole serial number' },
];

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** A sample recording for previews: a Plaud Note's meeting on 5 April 2026 at 14:52:07 local time. */
export const SAMPLE_FIELDS: NameFields = {
  sn: '888317426571223344',
  snType: 'note',
  kind: 'note',
  startMs: new Date(2026, 3, 5, 14, 52, 7).getTime(),
};

const pad = (n: number) => String(n).padStart(2, '0');

/** "Plaud Note 3344": the model and the serial's last 4 characters, which tell two recorders of one model apart. */
export function recorderFolderName(sn: string, snType: SnType | string): string {
  return `${deviceDisplayName({ sn_type: snType })} ${sn.slice(-4)}`;
}

function valuesOf(f: NameFields): Record<string, string> {
  const d = new Date(f.startMs);
  return {
    recorder: recorderFolderName(f.sn, f.snType),
    model: deviceDisplayName({ sn_type: f.snType }),
    date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    time: `${pad(d.getHours())}.${pad(d.getMinutes())}`,
    seconds: pad(d.getSeconds()),
    year: String(d.getFullYear()),
    month: pad(d.getMonth() + 1),
    monthname: MONTHS[d.getMonth()]!,
    day: pad(d.getDate()),
    kind: f.kind === 'call' ? 'Call' : 'Note',
    serial: f.sn,
  };
}

// Characters no common file system takes in a name (Windows is the strictest), and control characters.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[<>:"\\|?*\u0000-\u001f]/;
const RESERVED_WINDOWS = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const FIELD = /\{([a-z]+)\}/g;
const MAX_SEGMENT = 120;
const MAX_LEVELS = 4;

/**
 * What is wrong with a template, in words for the Settings page, or undefined when it can be used. A template is a
 * relative path with `/` between folders; the file extension is added by the app.
 */
export function templateProblem(template: string): string | undefined {
  const t = template.trim();
  if (!t) return 'Enter a name pattern, for example {recorder}/{date} {time} {kind}.';
  const known = new Set(NAME_FIELDS.map((f) => f.field.slice(1, -1)));
  for (const m of t.matchAll(FIELD)) {
    if (!known.has(m[1]!)) return `{${m[1]}} is not a field this app knows. Use one of: ${listFields()}.`;
  }
  const rest = t.replace(FIELD, '');
  if (/[{}]/.test(rest)) return 'A brace that does not belong to a field: write fields as {date}, {time}, ...';
  if (t.startsWith('/') || /^[A-Za-z]:/.test(t))
    return 'The pattern must stay inside the library: no leading / or drive.';
  const bad = FORBIDDEN.exec(rest);
  if (bad)
    return `"${bad[0] === '\\' ? '\\' : bad[0]}" cannot be used in a file name on every computer; use / between folders.`;
  const segments = t.split('/');
  if (segments.length > MAX_LEVELS) return `At most ${MAX_LEVELS} levels of folders and file name.`;
  for (const s of segments) {
    if (!s.trim()) return 'A folder name in the pattern is empty (two / in a row, or one at the end).';
    if (s.trim() === '.' || s.trim() === '..') return '"." and ".." cannot be folder names in the pattern.';
  }
  const last = segments[segments.length - 1]!;
  const hasDate = t.includes('{date}') || ['{year}', '{month}', '{day}'].every((f) => t.includes(f));
  if (!hasDate || !last.includes('{time}'))
    return 'The pattern needs the date ({date}, or {year}, {month} and {day}) and the file name needs {time}, so recordings are told apart.';
  return undefined;
}

function listFields(): string {
  return NAME_FIELDS.map((f) => f.field).join(', ');
}

/** Make one path segment safe on every file system: no forbidden characters, no trailing dot or space, not too long. */
function safeSegment(s: string): string {
  let out = s
    // eslint-disable-next-line no-control-regex
    .replace(/[<>:"\\|?*\u0000-\u001f/]/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
  if (out.length > MAX_SEGMENT) out = out.slice(0, MAX_SEGMENT).trim();
  out = out.replace(/[. ]+$/, '');
  if (!out || out === '.' || out === '..') out = 'Recording';
  if (out.startsWith('.')) out = out.replace(/^\.+/, '') || 'Recording'; // never hidden by accident
  if (RESERVED_WINDOWS.test(out)) out = `Recording ${out}`; // Windows reserves "NUL" even before a dot
  return out;
}

/**
 * The library-relative path (POSIX `/`, no extension) a template gives a recording. An unusable template falls back
 * to the default, so a bad setting never stops a pull. `copy` > 1 adds " (2)", " (3)" ... for a name already taken.
 */
export function renderName(template: string, fields: NameFields, copy = 1): string {
  const t = templateProblem(template) === undefined ? template.trim() : DEFAULT_NAME_TEMPLATE;
  const values = valuesOf(fields);
  const segments = t.split('/').map((seg) => safeSegment(seg.replace(FIELD, (_, k: string) => values[k] ?? '')));
  if (copy > 1) segments[segments.length - 1] = `${segments[segments.length - 1]} (${copy})`;
  return segments.join('/');
}

/** What the template makes of the sample recording, with the extension: for the Settings preview. */
export function sampleName(template: string, ext = 'opus'): string {
  return `${renderName(template, SAMPLE_FIELDS)}.${ext}`;
}
