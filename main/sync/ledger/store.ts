// The ledger's files and how they are read and written.
//
//   ledger.snapshot  compacted state: header line, one line per record, end line (written whole:
//                    temp file + fsync + rename + dir fsync, so it is either the old or the new one)
//   ledger.journal   append-only: header line, then one line per change since the snapshot
//                    (full record on a state change, a small entry per finished upload part)
//
// Every line is `<crc32> <json>`. Every journal entry carries a sequence number `s`; the snapshot
// says up to which `s` it holds, so a crash between writing a snapshot and starting a fresh journal
// replays nothing twice. A torn LAST journal line is what a crash mid-append leaves: it is dropped
// (that write never returned, so nobody was told it was saved). Anything else unreadable is damage
// and is reported, never skipped, unless the caller asked to salvage (recover()).
import fs from 'node:fs';
import path from 'node:path';
import { decodeLine, encodeLine, splitLines } from './codec.js';
import { LedgerCorruptError, LedgerVersionError } from './errors.js';
import { CURRENT_VERSION, migrateRecord } from './migrations.js';
import { RECORD_STATES, recordSchema, type MutableRecord, type RecordState } from './types.js';
import { SN_TYPES } from '../types.js';
import type { Logger } from '../log.js';

export const FORMAT = 'plaud-sync-ledger';
export const SNAPSHOT_FILE = 'ledger.snapshot';
export const JOURNAL_FILE = 'ledger.journal';
/** The v0 single-file layout, migrated on first open. */
export const V0_FILE = 'ledger.json';

export type JournalEntry =
  | { t: 'put'; s: number; r: MutableRecord }
  | { t: 'part'; s: number; id: string; n: number; etag: string; at: number };

export interface Problem {
  file: string;
  line: number;
  reason: string;
}

export interface LoadResult {
  records: Map<string, MutableRecord>;
  /** Highest sequence number applied. */
  seq: number;
  /** Journal entries after the snapshot (a compaction trigger). */
  journalEntries: number;
  /** Byte length of the journal's good prefix; a torn tail beyond it is cut before appending. */
  journalGoodBytes: number;
  journalExists: boolean;
  snapshotExists: boolean;
  /** Version the files were written in (older ones are rewritten at CURRENT_VERSION). */
  fileVersion: number;
  /** Only in salvage mode: everything that was dropped. */
  problems: Problem[];
  tornTail?: { line: number; bytes: number };
}

type Mode = 'strict' | 'salvage';

export function fsyncDir(dir: string): void {
  // Windows cannot open a directory for fsync; rename is durable enough there (NTFS journals metadata).
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replace `dir/name` with `content` atomically and durably. */
export function writeFileAtomic(dir: string, name: string, content: string | Buffer): void {
  const tmp = path.join(dir, `${name}.tmp-${process.pid}`);
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, path.join(dir, name));
  fsyncDir(dir);
}

export function snapshotText(records: Iterable<MutableRecord>, seq: number, now: number): string {
  const parts: string[] = [];
  let count = 0;
  const body: string[] = [];
  for (const r of records) {
    body.push(encodeLine({ t: 'rec', r }));
    count++;
  }
  parts.push(encodeLine({ t: 'snapshot', format: FORMAT, version: CURRENT_VERSION, seq, count, at: now }));
  parts.push(...body);
  parts.push(encodeLine({ t: 'end', count }));
  return parts.join('');
}

export function journalHeader(base: number, now: number): string {
  return encodeLine({ t: 'journal', format: FORMAT, version: CURRENT_VERSION, base, at: now });
}

function readIfExists(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate (and migrate) one raw record. Returns a reason string when it is not a valid record. */
function toRecord(raw: unknown, version: number, thorough: boolean): MutableRecord | string {
  if (!isObj(raw)) return 'the record is not an object';
  let migrated: unknown = raw;
  if (version < CURRENT_VERSION) {
    try {
      migrated = migrateRecord(raw, version);
    } catch (err) {
      return `the record cannot be migrated: ${(err as Error).message}`;
    }
  }
  // Full schema check for migrated records and when salvaging; the checksum already proves a current
  // line is byte for byte what this program wrote, so the normal load checks only what the state
  // machine relies on (10x cheaper: it keeps a 10,000-record load inside its 200 ms budget).
  if (version < CURRENT_VERSION || thorough) {
    const res = recordSchema.safeParse(migrated);
    if (!res.success) {
      const first = res.error.issues[0];
      return `the record is not valid (${first ? `${first.path.join('.') || 'record'}: ${first.message}` : 'schema'})`;
    }
    return res.data;
  }
  const why = quickCheck(migrated as Record<string, unknown>);
  return why ? `the record is not valid (${why})` : (migrated as MutableRecord);
}

const STATES = new Set<string>(RECORD_STATES);
const SN_TYPE_SET = new Set<string>(SN_TYPES);
/** What each state needs present for the engine to act on it. */
const NEEDS: Partial<Record<RecordState, readonly ('pulled' | 'upload' | 'synced' | 'failure' | 'skipped')[]>> = {
  pulled: ['pulled'],
  uploading: ['pulled', 'upload'],
  completing: ['pulled', 'upload'],
  synced: ['synced'],
  failed: ['failure'],
  skipped: ['skipped'],
};

function quickCheck(r: Record<string, unknown>): string | undefined {
  for (const k of ['id', 'sn', 'deviceId', 'relBase'] as const) if (typeof r[k] !== 'string') return `${k}: not a string`;
  for (const k of ['startMs', 'durationMs', 'endMs', 'size', 'createdAt', 'updatedAt', 'attempts'] as const) if (typeof r[k] !== 'number') return `${k}: not a number`;
  if (!STATES.has(r.state as string)) return `state: unknown state ${JSON.stringify(r.state)}`;
  if (!SN_TYPE_SET.has(r.sn_type as string)) return `sn_type: unknown ${JSON.stringify(r.sn_type)}`;
  if (r.kind !== 'note' && r.kind !== 'call') return 'kind: not note or call';
  if (!isObj(r.source) || !isObj(r.stateAt)) return 'source/stateAt: not an object';
  for (const k of NEEDS[r.state as RecordState] ?? []) if (!isObj(r[k])) return `${k}: missing for state ${String(r.state)}`;
  const up = r.upload;
  if (up !== undefined && (!isObj(up) || !Array.isArray(up.parts) || typeof up.fileId !== 'string' || typeof up.uploadId !== 'string')) return 'upload: malformed';
  return undefined;
}

function checkVersion(file: string, header: Record<string, unknown>): number {
  const v = header.version;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new LedgerCorruptError(file, 1, 'the header has no valid format version');
  if (v > CURRENT_VERSION) throw new LedgerVersionError(file, v, CURRENT_VERSION);
  return v;
}

export function loadFiles(dir: string, logger: Logger, mode: Mode): LoadResult {
  const problems: Problem[] = [];
  const fail = (file: string, line: number, reason: string) => {
    if (mode === 'strict') throw new LedgerCorruptError(file, line, reason);
    problems.push({ file, line, reason });
  };
  const records = new Map<string, MutableRecord>();
  let snapSeq = 0;
  let fileVersion = CURRENT_VERSION;

  // --- snapshot ---
  const snapFile = path.join(dir, SNAPSHOT_FILE);
  const snapBuf = readIfExists(snapFile);
  if (snapBuf) {
    const { lines, complete } = splitLines(snapBuf.toString('utf8'));
    const head = lines.length ? decodeLine(lines[0]!) : ({ ok: false, reason: 'the file is empty' } as const);
    let headerOk = false;
    if (!head.ok || !isObj(head.value) || head.value.t !== 'snapshot' || head.value.format !== FORMAT) {
      fail(snapFile, 1, head.ok ? 'the first line is not a ledger snapshot header' : head.reason);
    } else {
      const version = checkVersion(snapFile, head.value);
      fileVersion = Math.min(fileVersion, version);
      snapSeq = typeof head.value.seq === 'number' ? head.value.seq : 0;
      headerOk = true;
      const expected = head.value.count;
      let seen = 0;
      let ended = false;
      for (let i = 1; i < lines.length; i++) {
        const lineNo = i + 1;
        if (ended) {
          fail(snapFile, lineNo, 'there is data after the end line');
          break;
        }
        if (i === lines.length - 1 && !complete) {
          fail(snapFile, lineNo, 'the file ends in the middle of a line (it was cut short)');
          break;
        }
        const d = decodeLine(lines[i]!);
        if (!d.ok || !isObj(d.value)) {
          fail(snapFile, lineNo, d.ok ? 'the line is not an object' : d.reason);
          continue;
        }
        if (d.value.t === 'end') {
          ended = true;
          if (d.value.count !== seen || expected !== seen) fail(snapFile, lineNo, `the snapshot says ${String(expected)} records but holds ${seen}`);
          continue;
        }
        if (d.value.t !== 'rec') {
          fail(snapFile, lineNo, `unknown line type ${JSON.stringify(d.value.t)}`);
          continue;
        }
        seen++;
        const rec = toRecord(d.value.r, version, mode === 'salvage');
        if (typeof rec === 'string') fail(snapFile, lineNo, rec);
        else records.set(rec.id, rec);
      }
      if (!ended) fail(snapFile, lines.length + 1, `the file was cut short (no end line; ${seen} of ${String(expected)} records present)`);
    }
    if (!headerOk) snapSeq = 0;
  }

  // --- journal ---
  const jFile = path.join(dir, JOURNAL_FILE);
  const jBuf = readIfExists(jFile);
  let seq = snapSeq;
  let journalEntries = 0;
  let journalGoodBytes = 0;
  let tornTail: LoadResult['tornTail'];
  if (jBuf === undefined) {
    if (snapBuf) fail(jFile, 0, 'the journal file is missing (changes since the last snapshot may be lost)');
  } else if (jBuf.length === 0 && !snapBuf) {
    // Crash while creating a brand-new ledger: nothing can have been saved yet.
  } else {
    const { lines, complete } = splitLines(jBuf.toString('utf8'));
    let last = lines.length - 1;
    // The last line is torn if it has no newline or does not decode: drop it (its write never returned).
    if (last >= 1) {
      const d = complete ? decodeLine(lines[last]!) : ({ ok: false } as const);
      if (!d.ok) {
        const goodEnd = complete ? jBuf.lastIndexOf(0x0a, jBuf.length - 2) + 1 : jBuf.lastIndexOf(0x0a) + 1;
        tornTail = { line: last + 1, bytes: jBuf.length - goodEnd };
        logger.warn('ledger: dropped a partly written last journal line (an interrupted write; nothing acknowledged is lost)', {
          file: jFile,
          line: last + 1,
          bytes: tornTail.bytes,
        });
        last--;
      }
    }
    const head = lines.length ? decodeLine(lines[0]!) : ({ ok: false, reason: 'the file is empty' } as const);
    if (!head.ok || !isObj(head.value) || head.value.t !== 'journal' || head.value.format !== FORMAT) {
      fail(jFile, 1, head.ok ? 'the first line is not a ledger journal header' : head.reason);
    } else {
      const version = checkVersion(jFile, head.value);
      fileVersion = Math.min(fileVersion, version);
      const base = typeof head.value.base === 'number' ? head.value.base : 0;
      if (base > snapSeq) fail(jFile, 1, `the journal continues from change ${base} but the snapshot ends at change ${snapSeq} (changes in between are missing)`);
      let expect = base + 1;
      for (let i = 1; i <= last; i++) {
        const lineNo = i + 1;
        const d = decodeLine(lines[i]!);
        if (!d.ok || !isObj(d.value)) {
          fail(jFile, lineNo, d.ok ? 'the line is not an object' : d.reason);
          continue;
        }
        const e = d.value;
        if (typeof e.s !== 'number' || (mode === 'strict' && e.s !== expect)) {
          fail(jFile, lineNo, `the change number is ${String(e.s)} where ${expect} was expected (a change is missing or repeated)`);
          if (typeof e.s === 'number') expect = e.s + 1;
          continue;
        }
        expect = e.s + 1;
        if (e.s <= seq) continue; // already in the snapshot (or repeated while salvaging)
        if (e.t === 'put') {
          const rec = toRecord(e.r, version, mode === 'salvage');
          if (typeof rec === 'string') {
            fail(jFile, lineNo, rec);
            continue;
          }
          records.set(rec.id, rec);
        } else if (e.t === 'part') {
          const rec = typeof e.id === 'string' ? records.get(e.id) : undefined;
          if (!rec || !rec.upload || typeof e.n !== 'number' || typeof e.etag !== 'string') {
            fail(jFile, lineNo, `an upload part entry refers to ${rec ? 'a recording without an upload session' : `an unknown recording ${JSON.stringify(e.id)}`}`);
            continue;
          }
          records.set(rec.id, withPart(rec, e.n, e.etag, typeof e.at === 'number' ? e.at : rec.updatedAt));
        } else {
          fail(jFile, lineNo, `unknown entry type ${JSON.stringify(e.t)}`);
          continue;
        }
        seq = e.s;
        journalEntries++;
      }
    }
    journalGoodBytes = tornTail ? jBuf.length - tornTail.bytes : jBuf.length;
  }
  return {
    records,
    seq,
    journalEntries,
    journalGoodBytes,
    journalExists: jBuf !== undefined && jBuf.length > 0,
    snapshotExists: snapBuf !== undefined,
    fileVersion,
    problems,
    ...(tornTail ? { tornTail } : {}),
  };
}

/** A copy of `rec` with part `n` recorded (replacing an earlier ETag for the same part). */
export function withPart(rec: MutableRecord, n: number, etag: string, now: number): MutableRecord {
  const up = rec.upload!;
  const parts = up.parts.filter((p) => p.partNumber !== n);
  parts.push({ partNumber: n, etag });
  parts.sort((a, b) => a.partNumber - b.partNumber);
  return { ...rec, updatedAt: now, upload: { ...up, parts } };
}

export { encodeLine };
