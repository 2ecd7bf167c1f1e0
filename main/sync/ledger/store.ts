// The ledger's files and how they are read and written.
//
//   ledger.snapshot  compacted state: header line, one line per record, end line (written whole:
//                    temp file + fsync + rename + dir fsync, so it is either the old or the new one)
//   ledger.journal   append-only: header line, then one line per change since the snapshot
//                    (the full record on a state change, a small entry per finished upload part)
//
// Every line is checksummed (codec.ts). Every journal entry carries a sequence number `s`; the
// snapshot says up to which `s` it holds, so a crash between writing a snapshot and starting a fresh
// journal replays nothing twice. A torn LAST journal line is what a crash mid-append leaves: it is
// dropped (that write never returned, so nobody was told it was saved). Anything else unreadable is
// damage and is reported, never skipped, unless the caller asked to salvage (recover()).
// Over 400 lines: reading both files line by line, strictly or salvaging, is one procedure with one set of rules.
import fs from 'node:fs';
import path from 'node:path';
import { SN_TYPES } from '../types.js';
import { decodeLine, encodeLine, splitLines } from './codec.js';
import { LedgerCorruptError, LedgerVersionError } from './errors.js';
import { CURRENT_VERSION, mergeFormat1Records, migrateRecord } from './migrations.js';
import { RECORD_STATES, recordSchema, type MutableRecord, type RecordState } from './types.js';
import type { Logger } from '../log.js';

export const FORMAT = 'plaud-sync-ledger';
export const SNAPSHOT_FILE = 'ledger.snapshot';
export const JOURNAL_FILE = 'ledger.journal';
/** The v0 single-file layout, migrated on first open. */
export const V0_FILE = 'ledger.json';

/**
 * A record loaded from disk whose body is not parsed yet. Its bytes passed the checksum; the head
 * (id, serial, state) is known, so indexes and counts need no parse.
 */
export class LazyRecord {
  constructor(
    readonly id: string,
    readonly sn: string,
    readonly state: RecordState,
    readonly buf: Buffer,
    readonly start: number,
    readonly end: number,
    readonly file: string,
    readonly line: number,
  ) {}
  /** The body's JSON bytes (no copy). */
  get bytes(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }
}

export type Slot = MutableRecord | LazyRecord;

export interface Problem {
  file: string;
  line: number;
  reason: string;
}

export interface LoadResult {
  records: Map<string, Slot>;
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
export function writeFileAtomic(dir: string, name: string, content: string | Buffer | readonly Buffer[]): void {
  const tmp = path.join(dir, `${name}.tmp-${process.pid}`);
  // Owner-only: the ledger holds recording metadata and, while uploading, presigned URLs.
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    if (Array.isArray(content)) fs.writevSync(fd, content as Buffer[]);
    else fs.writeFileSync(fd, content as string | Buffer);
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

/** The head of a line carrying a whole record (snapshot `rec`, journal `put`). */
export function recordHead(t: 'rec' | 'put', r: Slot, s?: number): Record<string, unknown> {
  return s === undefined ? { t, id: r.id, sn: r.sn, st: r.state } : { t, s, id: r.id, sn: r.sn, st: r.state };
}

/** A record line; a record still unparsed is written from its bytes as they are. */
export function recordLine(t: 'rec' | 'put', r: Slot, s?: number): Buffer {
  return encodeLine(recordHead(t, r, s), r instanceof LazyRecord ? r.bytes : r);
}

/** The whole snapshot as buffers (pass to writeFileAtomic). */
export function snapshotBuffers(records: Iterable<Slot>, seq: number, now: number): Buffer[] {
  const body: Buffer[] = [];
  for (const r of records) body.push(recordLine('rec', r));
  return [
    encodeLine({ t: 'snapshot', format: FORMAT, version: CURRENT_VERSION, seq, count: body.length, at: now }),
    ...body,
    encodeLine({ t: 'end', count: body.length }),
  ];
}

export function journalHeader(base: number, now: number): Buffer {
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
  // Full schema check for migrated records and when salvaging. Otherwise the checksum already proves
  // the line is byte for byte what this program wrote, so only what the state machine relies on is
  // checked (a full schema parse of 10,000 records alone would take the whole 200 ms load budget).
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
  for (const k of ['id', 'sn', 'deviceId', 'relBase'] as const)
    if (typeof r[k] !== 'string') return `${k}: not a string`;
  for (const k of ['startMs', 'durationMs', 'endMs', 'size', 'createdAt', 'updatedAt', 'attempts'] as const)
    if (typeof r[k] !== 'number') return `${k}: not a number`;
  if (!STATES.has(r.state as string)) return `state: unknown state ${JSON.stringify(r.state)}`;
  if (!SN_TYPE_SET.has(r.sn_type as string)) return `sn_type: unknown ${JSON.stringify(r.sn_type)}`;
  if (r.kind !== 'note' && r.kind !== 'call') return 'kind: not note or call';
  if (!isObj(r.source) || !isObj(r.stateAt)) return 'source/stateAt: not an object';
  for (const k of NEEDS[r.state as RecordState] ?? [])
    if (!isObj(r[k])) return `${k}: missing for state ${String(r.state)}`;
  const up = r.upload;
  if (
    up !== undefined &&
    (!isObj(up) || !Array.isArray(up.parts) || typeof up.fileId !== 'string' || typeof up.uploadId !== 'string')
  )
    return 'upload: malformed';
  return undefined;
}

/** Parse a lazy record's body. Its bytes passed the checksum, so a failure here is damage made on purpose or a bug. */
export function materialize(l: LazyRecord): MutableRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(l.buf.toString('utf8', l.start, l.end));
  } catch {
    throw new LedgerCorruptError(l.file, l.line, 'the record is not valid JSON');
  }
  const rec = toRecord(raw, CURRENT_VERSION, false);
  if (typeof rec === 'string') throw new LedgerCorruptError(l.file, l.line, rec);
  if (rec.id !== l.id || rec.sn !== l.sn || rec.state !== l.state)
    throw new LedgerCorruptError(l.file, l.line, 'the record does not match its line header');
  return rec;
}

/** Check a record line's head and make its slot: lazy when possible, parsed when migrating or salvaging. */
function recordSlot(
  head: Record<string, unknown>,
  buf: Buffer,
  start: number,
  end: number,
  file: string,
  line: number,
  version: number,
  mode: Mode,
): Slot | string {
  if (start >= end) return 'the record line has no record';
  if (typeof head.id !== 'string' || typeof head.sn !== 'string' || !STATES.has(head.st as string))
    return 'the record line header is not valid';
  if (version === CURRENT_VERSION && mode === 'strict')
    return new LazyRecord(head.id, head.sn, head.st as RecordState, buf, start, end, file, line);
  let raw: unknown;
  try {
    raw = JSON.parse(buf.toString('utf8', start, end));
  } catch {
    return 'the record is not valid JSON';
  }
  const rec = toRecord(raw, version, mode === 'salvage');
  if (typeof rec === 'string') return rec;
  if (version === CURRENT_VERSION && (rec.id !== head.id || rec.state !== head.st))
    return 'the record does not match its line header';
  return rec;
}

function checkVersion(file: string, header: Record<string, unknown>): number {
  const v = header.version;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new LedgerCorruptError(file, 1, 'the header has no valid format version');
  if (v > CURRENT_VERSION) throw new LedgerVersionError(file, v, CURRENT_VERSION);
  return v;
}

export function loadFiles(dir: string, logger: Logger, mode: Mode): LoadResult {
  const problems: Problem[] = [];
  const fail = (file: string, line: number, reason: string) => {
    if (mode === 'strict') throw new LedgerCorruptError(file, line, reason);
    problems.push({ file, line, reason });
  };
  const records = new Map<string, Slot>();
  let snapSeq = 0;
  let fileVersion = CURRENT_VERSION;

  // --- snapshot ---
  const snapFile = path.join(dir, SNAPSHOT_FILE);
  const snapBuf = readIfExists(snapFile);
  if (snapBuf) {
    const { starts, ends, complete } = splitLines(snapBuf);
    const n = starts.length;
    const head = n ? decodeLine(snapBuf, starts[0]!, ends[0]!) : ({ ok: false, reason: 'the file is empty' } as const);
    if (!head.ok || !isObj(head.head) || head.head.t !== 'snapshot' || head.head.format !== FORMAT) {
      fail(snapFile, 1, head.ok ? 'the first line is not a ledger snapshot header' : head.reason);
    } else {
      const version = checkVersion(snapFile, head.head);
      fileVersion = Math.min(fileVersion, version);
      snapSeq = typeof head.head.seq === 'number' ? head.head.seq : 0;
      const expected = head.head.count;
      let seen = 0;
      let ended = false;
      for (let i = 1; i < n; i++) {
        const lineNo = i + 1;
        if (ended) {
          fail(snapFile, lineNo, 'there is data after the end line');
          break;
        }
        if (i === n - 1 && !complete) {
          fail(snapFile, lineNo, 'the file ends in the middle of a line (it was cut short)');
          break;
        }
        const d = decodeLine(snapBuf, starts[i]!, ends[i]!);
        if (!d.ok || !isObj(d.head)) {
          fail(snapFile, lineNo, d.ok ? 'the line is not an object' : d.reason);
          continue;
        }
        if (d.head.t === 'end') {
          ended = true;
          if (d.head.count !== seen || expected !== seen)
            fail(snapFile, lineNo, `the snapshot says ${String(expected)} records but holds ${seen}`);
          continue;
        }
        if (d.head.t !== 'rec') {
          fail(snapFile, lineNo, `unknown line type ${JSON.stringify(d.head.t)}`);
          continue;
        }
        seen++;
        const slot = recordSlot(d.head, snapBuf, d.bodyStart, d.bodyEnd, snapFile, lineNo, version, mode);
        if (typeof slot === 'string') fail(snapFile, lineNo, slot);
        else records.set(slot.id, slot);
      }
      if (!ended)
        fail(snapFile, n + 1, `the file was cut short (no end line; ${seen} of ${String(expected)} records present)`);
    }
  }

  // --- journal ---
  const jFile = path.join(dir, JOURNAL_FILE);
  const jBuf = readIfExists(jFile);
  let seq = snapSeq;
  let journalEntries = 0;
  let tornTail: LoadResult['tornTail'];
  if (jBuf === undefined) {
    if (snapBuf) fail(jFile, 0, 'the journal file is missing (changes since the last snapshot may be lost)');
  } else if (jBuf.length === 0 && !snapBuf) {
    // Crash while creating a brand-new ledger: nothing can have been saved yet.
  } else {
    const { starts, ends, complete } = splitLines(jBuf);
    let last = starts.length - 1;
    // The last line is torn if it has no newline or does not decode: drop it (its write never returned).
    if (last >= 1 && (!complete || !decodeLine(jBuf, starts[last]!, ends[last]!).ok)) {
      tornTail = { line: last + 1, bytes: jBuf.length - starts[last]! };
      logger.warn(
        'ledger: dropped a partly written last journal line (an interrupted write; nothing acknowledged is lost)',
        {
          file: jFile,
          line: last + 1,
          bytes: tornTail.bytes,
        },
      );
      last--;
    }
    const head = starts.length
      ? decodeLine(jBuf, starts[0]!, ends[0]!)
      : ({ ok: false, reason: 'the file is empty' } as const);
    if (!head.ok || !isObj(head.head) || head.head.t !== 'journal' || head.head.format !== FORMAT) {
      fail(jFile, 1, head.ok ? 'the first line is not a ledger journal header' : head.reason);
    } else {
      const version = checkVersion(jFile, head.head);
      fileVersion = Math.min(fileVersion, version);
      const base = typeof head.head.base === 'number' ? head.head.base : 0;
      if (base > snapSeq)
        fail(
          jFile,
          1,
          `the journal continues from change ${base} but the snapshot ends at change ${snapSeq} (changes in between are missing)`,
        );
      let expect = base + 1;
      for (let i = 1; i <= last; i++) {
        const lineNo = i + 1;
        const d = decodeLine(jBuf, starts[i]!, ends[i]!);
        if (!d.ok || !isObj(d.head)) {
          fail(jFile, lineNo, d.ok ? 'the line is not an object' : d.reason);
          continue;
        }
        const e = d.head;
        if (typeof e.s !== 'number' || (mode === 'strict' && e.s !== expect)) {
          fail(
            jFile,
            lineNo,
            `the change number is ${String(e.s)} where ${expect} was expected (a change is missing or repeated)`,
          );
          if (typeof e.s === 'number') expect = e.s + 1;
          continue;
        }
        expect = e.s + 1;
        if (e.s <= seq) continue; // already in the snapshot (or repeated while salvaging)
        if (e.t === 'put') {
          const slot = recordSlot(e, jBuf, d.bodyStart, d.bodyEnd, jFile, lineNo, version, mode);
          if (typeof slot === 'string') {
            fail(jFile, lineNo, slot);
            continue;
          }
          records.set(slot.id, slot);
        } else if (e.t === 'part') {
          let slot = typeof e.id === 'string' ? records.get(e.id) : undefined;
          if (slot instanceof LazyRecord) slot = materialize(slot);
          if (!slot || !slot.upload || typeof e.n !== 'number' || typeof e.etag !== 'string') {
            fail(
              jFile,
              lineNo,
              `an upload part entry refers to ${slot ? 'a recording without an upload session' : `an unknown recording ${JSON.stringify(e.id)}`}`,
            );
            continue;
          }
          records.set(slot.id, withPart(slot, e.n, e.etag, typeof e.at === 'number' ? e.at : slot.updatedAt));
        } else {
          fail(jFile, lineNo, `unknown entry type ${JSON.stringify(e.t)}`);
          continue;
        }
        seq = e.s;
        journalEntries++;
      }
    }
  }
  return {
    records,
    seq,
    journalEntries,
    journalGoodBytes: jBuf ? jBuf.length - (tornTail?.bytes ?? 0) : 0,
    journalExists: jBuf !== undefined && jBuf.length > 0,
    snapshotExists: snapBuf !== undefined,
    fileVersion,
    problems,
    ...(tornTail ? { tornTail } : {}),
  };
}

/** Format 1 keyed records by size; one recording could have several. Re-key them as takes (migrations.ts). */
export function rekeyFormat1(loaded: { records: Map<string, Slot> }, logger: Logger): void {
  const { records, report } = mergeFormat1Records(
    [...loaded.records.values()].map((s) => (s instanceof LazyRecord ? materialize(s) : s)),
  );
  loaded.records = new Map(records.map((r) => [r.id, r]));
  for (const f of report.folded)
    logger.info('ledger: merged a format-1 record into the record of the same recording', f);
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
