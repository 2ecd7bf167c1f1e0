// Format versions and the migration table. A migration turns one raw record of version `from` into
// version `from + 1`; load applies them in order, so any old record reaches CURRENT_VERSION.
//
// v0: the first layout, one `ledger.json` file `{ version: 0, recordings: { [key]: {...} } }` with
//     the prototype's field names (status new/downloaded/uploading/uploaded/error, start in seconds).
// v1: journal + snapshot of the LedgerRecord shape, one record per `<sn>/<relBase>#<total size>`.
// v2: one record per take, `<sn>/<relBase>` (and `~<take>` for a name reused by another recording). Size stopped being
//     identity, because a recording whose second file settled later got a second id and was uploaded twice. The
//     record-level step only adds `take`; the ids change in mergeFormat1Records, which sees all records at once.
import { recordingId } from '../recording/identity.js';
import type { MutableRecord, RecordState } from './types.js';

export const CURRENT_VERSION = 2;

type Raw = Record<string, unknown>;

export interface Migration {
  from: number;
  describe: string;
  record(raw: Raw): Raw;
}

const V0_STATUS: Record<string, MutableRecord['state']> = {
  new: 'discovered',
  downloading: 'discovered', // an interrupted copy is not trusted: pull again
  downloaded: 'pulled',
  uploading: 'pulled', // v0 kept no part list, so the session cannot be resumed
  uploaded: 'synced',
  error: 'failed',
  ignored: 'skipped',
};

export const MIGRATIONS: readonly Migration[] = [
  {
    from: 0,
    describe: 'single ledger.json (prototype) -> LedgerRecord v1',
    record(r) {
      const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
      const num = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : undefined);
      const sn = str('sn') ?? '';
      const snType = str('snType') ?? 'note';
      const relPath = str('path') ?? '';
      const relBase = relPath.replace(/\.(WAV|ASR)$/i, '');
      const size = num('size') ?? 0;
      const startMs = (num('start') ?? 0) * 1000;
      const durationMs = Math.round((num('duration') ?? 0) * 1000);
      const state = V0_STATUS[str('status') ?? 'new'] ?? 'discovered';
      const at = num('updated') ?? startMs;
      const isAsr = /\.ASR$/i.test(relPath);
      const out: Raw = {
        id: `${sn}/${relBase}#${size}`,
        sn,
        sn_type: snType,
        deviceId: `${snType}:${sn}`,
        kind: relBase.startsWith('CALLS/') ? 'call' : 'note',
        relBase,
        startMs,
        durationMs,
        endMs: startMs + durationMs,
        size,
        source: isAsr
          ? { asr: { relPath, size, mtimeMs: at, format: 'raw-opus' } }
          : { wav: { relPath, size, mtimeMs: at } },
        state,
        createdAt: at,
        updatedAt: at,
        stateAt: { [state]: at },
        attempts: state === 'failed' ? 1 : 0,
      };
      const localPath = str('localPath');
      const md5 = str('md5');
      if ((state === 'pulled' || state === 'synced') && localPath && md5) {
        const filetype = isAsr ? 'opus' : 'mp3';
        out.pulled = {
          files: [{ relPath, libraryPath: localPath, size, md5 }],
          upload: { path: localPath, size, md5, filetype, durationMs },
          pulledAt: at,
        };
      } else if (state === 'pulled' || state === 'synced') {
        // Without a verified copy on record, the only truthful state is "pull it again" (synced stays synced).
        if (state === 'pulled') {
          out.state = 'discovered';
          out.stateAt = { discovered: at };
        }
      }
      if (state === 'synced')
        out.synced = { cloudFileId: str('fileId') ?? 'unknown', syncedAt: at, possibleDuplicate: false };
      if (state === 'failed')
        out.failure = {
          reason: str('error') ?? 'failed (no reason recorded)',
          fromState: 'discovered',
          attempts: 1,
          nextTryAt: null,
          at,
        };
      if (state === 'skipped') out.skipped = { reason: str('error') ?? 'skipped', at };
      return out;
    },
  },
  {
    from: 1,
    describe: 'LedgerRecord v1 -> v2: take number (ids are re-keyed by mergeFormat1Records)',
    record(r) {
      return { ...r, take: typeof r.take === 'number' ? r.take : 1 };
    },
  },
];

/** How far along a record is, for choosing which of several format-1 records of one recording to keep. */
const PROGRESS: Record<RecordState, number> = {
  synced: 7,
  completing: 6,
  uploading: 5,
  pulled: 4,
  failed: 3,
  pulling: 2,
  discovered: 1,
  skipped: 0,
};

export interface MergeReport {
  /** Old id -> new id of the record kept. */
  kept: Map<string, string>;
  /** Old ids folded into another record (their cloud files listed under alsoUploaded when they had one). */
  folded: { oldId: string; into: string; state: RecordState; cloudFileId?: string }[];
}

/**
 * Re-key format-1 records (`<sn>/<relBase>#<size>`) as takes of one recording each. Format 1 made a new record when a
 * recording's size changed (a partner file settling later), so one recording can have several records: the one that
 * got furthest is kept (synced first, earliest upload first); other uploads of it are listed under `alsoUploaded`, so
 * nothing the cloud holds is forgotten and nothing is uploaded again; unfinished others are dropped, because they
 * describe the same files the kept record does. Format 1 could not tell a reused name from a grown file, so every
 * group becomes take 1.
 */
export function mergeFormat1Records(records: Iterable<MutableRecord>): {
  records: MutableRecord[];
  report: MergeReport;
} {
  const groups = new Map<string, MutableRecord[]>();
  for (const r of records) {
    const key = `${r.sn}\u0000${r.relBase}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const out: MutableRecord[] = [];
  const report: MergeReport = { kept: new Map(), folded: [] };
  for (const group of groups.values()) {
    group.sort(
      (a, b) =>
        PROGRESS[b.state] - PROGRESS[a.state] ||
        (a.synced?.syncedAt ?? 0) - (b.synced?.syncedAt ?? 0) ||
        b.updatedAt - a.updatedAt,
    );
    const keep = group[0]!;
    const id = recordingId(keep.sn, keep.relBase, 1);
    const merged: MutableRecord = { ...keep, id, take: 1 };
    for (const other of group.slice(1)) {
      const fileId = other.synced?.cloudFileId;
      if (fileId && fileId !== merged.synced?.cloudFileId) {
        merged.alsoUploaded = [
          ...(merged.alsoUploaded ?? []),
          { cloudFileId: fileId, syncedAt: other.synced!.syncedAt },
        ];
      }
      report.folded.push({ oldId: other.id, into: id, state: other.state, ...(fileId ? { cloudFileId: fileId } : {}) });
    }
    report.kept.set(keep.id, id);
    out.push(merged);
  }
  return { records: out, report };
}

/** Bring a raw record from `version` to CURRENT_VERSION. */
export function migrateRecord(raw: Raw, version: number): Raw {
  let r = raw;
  for (let v = version; v < CURRENT_VERSION; v++) {
    const m = MIGRATIONS.find((x) => x.from === v);
    if (!m) throw new Error(`no migration from ledger format ${v}`);
    r = m.record(r);
  }
  return r;
}
