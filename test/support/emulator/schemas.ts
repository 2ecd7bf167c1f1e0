// Request schemas of the emulated Plaud API, and FastAPI-style validation errors (422 {"detail": [...]}).
import { z } from 'zod';

export const SN_TYPES = ['note', 'notepin', 'notepro', 'other'] as const;
export const FILETYPES = ['opus', 'mp3'] as const;

export const PresignRequest = z.object({
  filesize: z.number().int().positive(),
  filetype: z.enum(FILETYPES),
});

export const PartEntry = z.object({
  PartNumber: z.number().int().min(1).max(10000),
  ETag: z.string().min(1),
});

export const CompleteUploadRequest = z.object({
  file_id: z.string().min(1),
  upload_id: z.string().min(1),
  part_list: z.array(PartEntry).min(1).max(10000),
  filetype: z.enum(FILETYPES),
  sn_type: z.enum(SN_TYPES).default('notepin'),
  sn: z.string().nullish(),
  owner_id: z.string().nullish(),
  filename: z.string().nullish(),
  file_md5: z.string().nullish(),
  start_time: z.number().int().nullish(),
  end_time: z.number().int().nullish(),
  duration: z.number().int().nullish(),
  timezone: z.number().int().nullish(),
  zonemins: z.number().int().nullish(),
});
export type CompleteUploadBody = z.infer<typeof CompleteUploadRequest>;

export const BindRequest = z.object({
  owner_id: z.string().min(1),
  sn: z.string().min(1),
  sn_type: z.enum(SN_TYPES),
});

export interface DetailItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export function zodDetail(error: z.ZodError): DetailItem[] {
  return error.issues.map((i) => ({
    loc: ['body', ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    msg: i.message,
    type: i.code,
  }));
}

export function detailMessage(detail: DetailItem[]): string {
  return detail.map((d) => `${d.loc.slice(1).join('.') || 'body'}: ${d.msg}`).join('; ');
}

// Epoch milliseconds between 2000 and 2100; a value in seconds would be in 1970.
const MS_MIN = Date.UTC(2000, 0, 1);
const MS_MAX = Date.UTC(2100, 0, 1);

/**
 * The checks of a completion body that need no S3: who it belongs to, the time fields. `strict` also requires every
 * field the contract marks nullable but a correct client always sends.
 */
export function checkCompleteMetadata(b: CompleteUploadBody, strict: boolean): DetailItem[] {
  const out: DetailItem[] = [];
  const bad = (field: string, msg: string, type = 'value_error') => out.push({ loc: ['body', field], msg, type });
  if (!b.sn && !b.owner_id) bad('sn', 'set sn or owner_id (one of them is required)', 'missing');
  if (strict) {
    for (const f of ['filename', 'file_md5', 'start_time', 'end_time', 'duration', 'timezone', 'zonemins'] as const) {
      if (b[f] === undefined || b[f] === null) bad(f, `${f} is required`, 'missing');
    }
  }
  if (b.file_md5 != null && !/^[0-9a-fA-F]{32}$/.test(b.file_md5))
    bad('file_md5', 'file_md5 must be 32 hex digits (the MD5 of the whole file)');
  for (const f of ['start_time', 'end_time'] as const) {
    const v = b[f];
    if (v != null && (v < MS_MIN || v > MS_MAX)) {
      bad(
        f,
        `${f} ${v} is not epoch milliseconds between 2000 and 2100${v >= MS_MIN / 1000 && v <= MS_MAX / 1000 ? ' (it looks like seconds)' : ''}`,
      );
    }
  }
  const { start_time: s, end_time: e, duration: d } = b;
  if (s != null && e != null && !(s < e)) bad('end_time', `start_time (${s}) must be before end_time (${e})`);
  if (d != null && d <= 0) bad('duration', `duration must be > 0 ms (got ${d})`);
  if (s != null && e != null && d != null && d > 0 && s < e && Math.abs(d - (e - s)) > 1000) {
    bad('duration', `duration ${d} ms differs from end_time - start_time = ${e - s} ms by more than 1 s`);
  }
  const { timezone: tz, zonemins: zm } = b;
  if (tz != null && (tz < -12 || tz > 14))
    bad('timezone', `timezone ${tz} is not a UTC offset in whole hours (-12..14)`);
  if (zm != null && (zm < -59 || zm > 59 || zm % 15 !== 0))
    bad('zonemins', `zonemins ${zm} is not a quarter-hour remainder (-45..45)`);
  if (tz != null && zm != null && ((tz > 0 && zm < 0) || (tz < 0 && zm > 0))) {
    bad('zonemins', `zonemins (${zm}) must have the sign of timezone (${tz}): UTC-03:30 is -3 and -30`);
  }
  return out;
}
