// Format versions and the migration table. A migration turns one raw record of version `from` into
// version `from + 1`; load applies them in order, so any old record reaches CURRENT_VERSION.
//
// v0: the first layout, one `ledger.json` file `{ version: 0, recordings: { [key]: {...} } }` with
//     the prototype's field names (status new/downloaded/uploading/uploaded/error, start in seconds).
// v1: journal + snapshot of the LedgerRecord shape in types.ts.
import type { MutableRecord } from './types.js';

export const CURRENT_VERSION = 1;

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
        source: isAsr ? { asr: { relPath, size, mtimeMs: at, format: 'raw-opus' } } : { wav: { relPath, size, mtimeMs: at } },
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
      if (state === 'synced') out.synced = { cloudFileId: str('fileId') ?? 'unknown', syncedAt: at, possibleDuplicate: false };
      if (state === 'failed') out.failure = { reason: str('error') ?? 'failed (no reason recorded)', fromState: 'discovered', attempts: 1, nextTryAt: null, at };
      if (state === 'skipped') out.skipped = { reason: str('error') ?? 'skipped', at };
      return out;
    },
  },
];

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
