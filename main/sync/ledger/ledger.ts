// The ledger: what happened to every recording, kept across crashes and restarts.
// Reads are from memory; every change is one journal line, written before the call returns, so a change the
// caller saw succeed survives a kill -9. Against power loss: by default ('each') the line is also fsync'd before
// the call returns. With durability 'group' (the sync engine) the fsync runs in the background, shared by every
// line written meanwhile, and the caller awaits flushed() wherever a change must be on disk before acting on it
// (before asking the cloud to complete an upload, before deleting from the recorder, before "safe to unplug").
// A blocking fsync per change cost the engine's one thread seconds per 200-recording sync. See store.ts for the files.
// Over 400 lines: one class whose writes, group-durability bookkeeping and indexes share private state; the files,
// migrations and the state machine are in store.ts, migrations.ts and transitions.ts.
import fs from 'node:fs';
import path from 'node:path';
import { nullLogger, type Logger } from '../log.js';
import type { Recording, SnType } from '../types.js';
import { LedgerCorruptError, LedgerUnavailableError, LedgerWriteError } from './errors.js';
import { acquireLock, type LockHandle } from './lock.js';
import { CURRENT_VERSION, migrateRecord } from './migrations.js';
import { recordingId, sourceBytes } from '../recording/identity.js';
import {
  JOURNAL_FILE,
  LazyRecord,
  SNAPSHOT_FILE,
  V0_FILE,
  encodeLine,
  fsyncDir,
  journalHeader,
  loadFiles,
  rekeyFormat1,
  materialize,
  recordLine,
  snapshotBuffers,
  withPart,
  writeFileAtomic,
  type Slot,
} from './store.js';
import { IllegalTransitionError, applyTransition } from './transitions.js';
import {
  RECORD_STATES,
  recordSchema,
  type AmendPatch,
  type LedgerRecord,
  type MutableRecord,
  type RecordState,
  type StateCounts,
  type TransitionPatch,
} from './types.js';

export interface OpenLedgerOptions {
  logger?: Logger;
  /**
   * Compact when the journal holds this many entries (default 2,000) ... This bounds the worst-case
   * load (snapshot + a journal tail of whole records); a compaction of 10,000 records costs a few
   * hundred ms once per 2,000 changes.
   */
  compactEntries?: number;
  /** ... or this many bytes (default 4 MiB). */
  compactBytes?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** 'each' (default): every change is fsync'd before it returns. 'group': fsync'd in the background; see flushed(). */
  durability?: 'each' | 'group';
}

export type ChangeListener = (record: LedgerRecord, previous: LedgerRecord | undefined) => void;

export { recordingId };

/** Total bytes of a recording's source files (shown and used for progress; not identity). */
export function recordingSize(rec: Pick<Recording, 'wav' | 'asr'>): number {
  return sourceBytes(rec);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

export class Ledger {
  readonly dir: string;
  readonly journalPath: string;
  readonly snapshotPath: string;
  /** Records loaded from disk stay unparsed (LazyRecord) until first used. */
  private records: Map<string, Slot>;
  private bySnIndex = new Map<string, Set<string>>();
  private stateCounts: StateCounts;
  private listeners = new Set<ChangeListener>();
  private fd: number;
  private seq: number;
  private journalEntries: number;
  private journalBytes: number;
  private compactAfterEntries: number;
  private compactAfterBytes: number;
  private broken: Error | undefined;
  private closed = false;
  private readonly group: boolean;
  // Group durability bookkeeping: journal lines written, lines known to be on disk, callers waiting for some.
  private writtenLines = 0;
  private durableLines = 0;
  private syncRunning = false;
  private syncWaiters: { upTo: number; resolve: () => void; reject: (err: unknown) => void }[] = [];
  /** Bumped whenever the journal descriptor is replaced, so a background fsync of the old one is not trusted. */
  private fdGeneration = 0;
  private readonly logger: Logger;
  private readonly now: () => number;

  /** @internal use openLedger() */
  constructor(
    dir: string,
    private readonly lock: LockHandle,
    init: { records: Map<string, Slot>; seq: number; journalEntries: number; journalBytes: number; fd: number },
    opts: OpenLedgerOptions,
  ) {
    this.dir = dir;
    this.journalPath = path.join(dir, JOURNAL_FILE);
    this.snapshotPath = path.join(dir, SNAPSHOT_FILE);
    this.records = init.records;
    this.seq = init.seq;
    this.journalEntries = init.journalEntries;
    this.journalBytes = init.journalBytes;
    this.fd = init.fd;
    this.logger = opts.logger ?? nullLogger;
    this.now = opts.now ?? Date.now;
    this.compactAfterEntries = opts.compactEntries ?? 2000;
    this.compactAfterBytes = opts.compactBytes ?? 4 * 1024 * 1024;
    this.group = opts.durability === 'group';
    this.stateCounts = Object.fromEntries(RECORD_STATES.map((s) => [s, 0])) as StateCounts;
    for (const r of this.records.values()) {
      if (!(r instanceof LazyRecord)) deepFreeze(r);
      this.index(r);
    }
  }

  // ---------- reads ----------

  get(id: string): LedgerRecord | undefined {
    const slot = this.records.get(id);
    return slot && this.parsed(slot);
  }

  all(): LedgerRecord[] {
    return [...this.records.values()].map((s) => this.parsed(s));
  }

  bySn(sn: string): LedgerRecord[] {
    const ids = this.bySnIndex.get(sn);
    return ids ? [...ids].map((id) => this.parsed(this.records.get(id)!)) : [];
  }

  /** Records in any of the given states (e.g. unfinished work to resume at start-up); parses only those. */
  inState(...states: RecordState[]): LedgerRecord[] {
    const want = new Set(states);
    const out: LedgerRecord[] = [];
    for (const s of this.records.values()) if (want.has(s.state)) out.push(this.parsed(s));
    return out;
  }

  /** Every take recorded under this name on this device, first take first. */
  takesOf(sn: string, relBase: string): LedgerRecord[] {
    const out: LedgerRecord[] = [];
    for (let take = 1; ; take++) {
      const r = this.get(recordingId(sn, relBase, take));
      if (!r) break;
      out.push(r);
    }
    return out;
  }

  counts(): StateCounts {
    return { ...this.stateCounts };
  }

  get size(): number {
    return this.records.size;
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---------- writes (each is durable when it returns) ----------

  /**
   * Add a take of a recording seen on a device (take 1 unless the name was reused: see recording/reconcile.ts).
   * Idempotent: an existing record is returned unchanged.
   */
  discover(
    rec: Recording,
    device: { sn_type: SnType; deviceId: string },
    extra: { take?: number; supersedes?: string } = {},
  ): LedgerRecord {
    const size = recordingSize(rec);
    const take = extra.take ?? 1;
    const id = recordingId(rec.sn, rec.relBase, take);
    const existing = this.records.get(id);
    if (existing) return this.parsed(existing);
    const now = this.now();
    const source: MutableRecord['source'] = {};
    if (rec.wav) source.wav = { relPath: rec.wav.relPath, size: rec.wav.size, mtimeMs: rec.wav.mtimeMs };
    if (rec.asr)
      source.asr = { relPath: rec.asr.relPath, size: rec.asr.size, mtimeMs: rec.asr.mtimeMs, format: rec.asr.format };
    const record: MutableRecord = {
      id,
      sn: rec.sn,
      sn_type: device.sn_type,
      deviceId: device.deviceId,
      kind: rec.kind,
      relBase: rec.relBase,
      take,
      startMs: rec.startMs,
      durationMs: rec.durationMs,
      endMs: rec.endMs,
      size,
      source,
      ...(extra.supersedes ? { supersedes: extra.supersedes } : {}),
      state: 'discovered',
      createdAt: now,
      updatedAt: now,
      stateAt: { discovered: now },
      attempts: 0,
    };
    const checked = recordSchema.safeParse(record);
    if (!checked.success)
      throw new TypeError(
        `Recording ${id} cannot be added to the ledger: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    return this.put(record, undefined);
  }

  /** Move a record to a new state. Throws IllegalTransitionError for a move the state machine forbids. */
  transition(id: string, to: RecordState, patch: TransitionPatch = {}): LedgerRecord {
    const prev = this.mustGet(id);
    const next = applyTransition(prev, to, patch, this.now());
    return this.put(next, prev);
  }

  /** Change what a take's record knows of the recorder and the library, without a state change. */
  amend(id: string, patch: AmendPatch): LedgerRecord {
    const prev = this.mustGet(id);
    const next: MutableRecord = { ...prev, updatedAt: this.now() };
    if (patch.source) next.source = patch.source;
    if (patch.size !== undefined) next.size = patch.size;
    if (patch.durationMs !== undefined) {
      next.durationMs = patch.durationMs;
      next.endMs = next.startMs + patch.durationMs;
    }
    if (patch.fingerprint) next.fingerprint = patch.fingerprint;
    if (patch.offDevice === null) delete next.offDevice;
    else if (patch.offDevice !== undefined) next.offDevice = patch.offDevice;
    if (patch.changedOnDevice === null) delete next.changedOnDevice;
    else if (patch.changedOnDevice !== undefined) next.changedOnDevice = patch.changedOnDevice;
    if (patch.pulledFiles || patch.pulledUploadPath || patch.pulledUpload) {
      if (!next.pulled)
        throw new IllegalTransitionError(
          id,
          prev.state,
          prev.state,
          `Recording ${id} has no library copy to add files to.`,
        );
      next.pulled = { ...next.pulled };
      if (patch.pulledFiles) next.pulled.files = patch.pulledFiles;
      if (patch.pulledUploadPath) next.pulled.upload = { ...next.pulled.upload, path: patch.pulledUploadPath };
      if (patch.pulledUpload) next.pulled.upload = { ...next.pulled.upload, ...patch.pulledUpload };
    }
    const checked = recordSchema.safeParse(next);
    if (!checked.success)
      throw new TypeError(
        `Recording ${id} cannot be changed that way: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    return this.put(next, prev);
  }

  /** Record one finished upload part. A small journal entry; the record must be 'uploading'. */
  recordPart(id: string, partNumber: number, etag: string): LedgerRecord {
    const prev = this.mustGet(id);
    if (prev.state !== 'uploading' || !prev.upload) {
      throw new IllegalTransitionError(
        id,
        prev.state,
        prev.state,
        `Recording ${id} is "${prev.state}", not "uploading": an upload part cannot be recorded for it.`,
      );
    }
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000)
      throw new RangeError(`Part number ${partNumber} is not between 1 and 10000.`);
    if (typeof etag !== 'string' || etag.length === 0)
      throw new TypeError(`Part ${partNumber} of ${id} has an empty ETag.`);
    const now = this.now();
    const next = withPart(prev, partNumber, etag, now);
    this.append(encodeLine({ t: 'part', s: this.seq + 1, id, n: partNumber, etag, at: now }));
    return this.commit(next, prev);
  }

  /** Remove-after-sync marker: 'pending' before the device file is deleted, 'done' after. */
  markDeviceDelete(id: string, state: 'pending' | 'done'): LedgerRecord {
    const prev = this.mustGet(id);
    if (prev.state !== 'synced')
      throw new IllegalTransitionError(
        id,
        prev.state,
        prev.state,
        `Recording ${id} is "${prev.state}": only a synced recording may be removed from the recorder.`,
      );
    if (prev.deviceDelete?.state === 'done') {
      if (state === 'done') return prev as LedgerRecord;
      throw new IllegalTransitionError(
        id,
        prev.state,
        prev.state,
        `Recording ${id} was already removed from the recorder.`,
      );
    }
    const now = this.now();
    const next: MutableRecord = {
      ...prev,
      updatedAt: now,
      deviceDelete:
        state === 'pending'
          ? { state, requestedAt: prev.deviceDelete?.requestedAt ?? now }
          : { state, requestedAt: prev.deviceDelete?.requestedAt ?? now, doneAt: now },
    };
    return this.put(next, prev);
  }

  /**
   * Resolves once every change made so far is on disk (fsync'd). With durability 'each' that is always already
   * true. Rejects with LedgerWriteError if the disk refused; the ledger then takes no more changes.
   */
  flushed(): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.durableLines >= this.writtenLines) return Promise.resolve();
    const upTo = this.writtenLines;
    return new Promise<void>((resolve, reject) => {
      this.syncWaiters.push({ upTo, resolve, reject });
      this.startSyncs();
    });
  }

  /** Write a snapshot now and start an empty journal (also done automatically). */
  compact(): void {
    this.assertWritable();
    // Journal lines not yet fsync'd go to disk first; a background fsync still running on the old descriptor
    // is then moot, and its result is ignored (fdGeneration).
    this.syncNow();
    this.fdGeneration++;
    const now = this.now();
    writeFileAtomic(this.dir, SNAPSHOT_FILE, snapshotBuffers(this.records.values(), this.seq, now));
    // The snapshot holds everything up to this.seq; a crash here replays nothing twice (entries <= seq are skipped).
    const header = journalHeader(this.seq, now);
    // Close before replacing: Windows may refuse to rename over a file that is open.
    fs.closeSync(this.fd);
    try {
      writeFileAtomic(this.dir, JOURNAL_FILE, header);
    } catch (err) {
      // The old journal is still in place and still valid next to the new snapshot: keep using it.
      this.fd = fs.openSync(this.journalPath, 'r+');
      throw err;
    }
    this.fd = fs.openSync(this.journalPath, 'r+');
    this.journalEntries = 0;
    this.journalBytes = header.length;
  }

  close(): void {
    if (this.closed) return;
    try {
      if (!this.broken) this.syncNow();
    } catch (err) {
      this.logger.error('ledger: could not flush the journal on close', { err });
    }
    try {
      if (!this.broken && this.journalEntries > 0) this.compact();
    } catch (err) {
      this.logger.warn('ledger: could not compact on close (the journal is intact)', { err });
    }
    this.fdGeneration++;
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.lock.release();
    this.listeners.clear();
  }

  // ---------- internals ----------

  private mustGet(id: string): MutableRecord {
    this.assertWritable();
    const r = this.records.get(id);
    if (!r) throw new RangeError(`There is no recording ${id} in the ledger.`);
    return this.parsed(r) as MutableRecord;
  }

  /** Parse a record loaded from disk on first use (its bytes passed the checksum at load). */
  private parsed(slot: Slot): LedgerRecord {
    if (!(slot instanceof LazyRecord)) return slot;
    const rec = deepFreeze(materialize(slot));
    this.records.set(rec.id, rec);
    return rec;
  }

  private assertWritable(): void {
    if (this.closed) throw new Error('The ledger is closed.');
    if (this.broken) throw this.broken;
  }

  private put(next: MutableRecord, prev: MutableRecord | undefined): LedgerRecord {
    this.append(recordLine('put', next, this.seq + 1));
    return this.commit(next, prev);
  }

  /** The journal line is on disk: make the change visible. */
  private commit(next: MutableRecord, prev: MutableRecord | undefined): LedgerRecord {
    this.seq++;
    this.journalEntries++;
    deepFreeze(next);
    if (prev) this.unindex(prev);
    this.records.set(next.id, next);
    this.index(next);
    for (const l of this.listeners) {
      try {
        l(next, prev);
      } catch (err) {
        this.logger.error('ledger: a change listener threw', { err, id: next.id });
      }
    }
    if (this.journalEntries >= this.compactAfterEntries || this.journalBytes >= this.compactAfterBytes) {
      try {
        this.compact();
      } catch (err) {
        // The change itself is safe in the journal; try compacting again after another batch.
        this.compactAfterEntries = this.journalEntries + Math.max(100, this.compactAfterEntries >> 2);
        this.compactAfterBytes = this.journalBytes + Math.max(65536, this.compactAfterBytes >> 2);
        this.logger.warn('ledger: compaction failed; will retry later (nothing is lost)', { err });
      }
    }
    return next;
  }

  private append(buf: Buffer): void {
    this.assertWritable();
    try {
      let off = 0;
      while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off, this.journalBytes + off);
      if (this.group) {
        this.writtenLines++;
        this.startSyncs();
      } else {
        fs.fdatasyncSync(this.fd);
      }
    } catch (err) {
      // Cut whatever part of the line got in, so the next append does not follow a torn line.
      try {
        fs.ftruncateSync(this.fd, this.journalBytes);
        fs.fdatasyncSync(this.fd);
      } catch {
        this.broken = new LedgerWriteError(this.journalPath, err);
      }
      throw new LedgerWriteError(this.journalPath, err);
    }
    this.journalBytes += buf.length;
  }

  /** Group durability: one background fsync at a time, repeated while lines keep arriving. */
  private startSyncs(): void {
    if (this.syncRunning || this.closed || this.broken) return;
    this.syncRunning = true;
    void (async () => {
      try {
        while (this.durableLines < this.writtenLines && !this.broken && !this.closed) {
          const target = this.writtenLines;
          const fd = this.fd;
          const generation = this.fdGeneration;
          try {
            await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
          } catch (err) {
            // A compaction or close swapped the descriptor meanwhile, after syncing everything itself.
            if (generation !== this.fdGeneration) continue;
            this.failSync(err);
            return;
          }
          if (generation === this.fdGeneration) this.markDurable(target);
        }
      } finally {
        this.syncRunning = false;
      }
    })();
  }

  private markDurable(lines: number): void {
    if (lines > this.durableLines) this.durableLines = lines;
    this.syncWaiters = this.syncWaiters.filter((w) => {
      if (w.upTo > this.durableLines) return true;
      w.resolve();
      return false;
    });
  }

  private failSync(err: unknown): void {
    this.broken = new LedgerWriteError(this.journalPath, err);
    this.logger.error('ledger: the journal could not be flushed to disk; no more changes are taken', { err });
    for (const w of this.syncWaiters) w.reject(this.broken);
    this.syncWaiters = [];
  }

  /** Flush what is written, blocking (compaction, close). */
  private syncNow(): void {
    if (this.durableLines >= this.writtenLines) return;
    try {
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      this.failSync(err);
      throw this.broken;
    }
    this.markDurable(this.writtenLines);
  }

  private index(r: Slot): void {
    let ids = this.bySnIndex.get(r.sn);
    if (!ids) this.bySnIndex.set(r.sn, (ids = new Set()));
    ids.add(r.id);
    this.stateCounts[r.state]++;
  }

  private unindex(r: Slot): void {
    this.bySnIndex.get(r.sn)?.delete(r.id);
    this.stateCounts[r.state]--;
  }
}

/**
 * Open (or create) the ledger in `dir` (normally `<state dir>/ledger`). Takes the single-writer lock,
 * loads snapshot + journal, migrates older formats. Throws LedgerCorruptError for a damaged file
 * (leaving it untouched), LedgerLockedError when another live process has the ledger open.
 */
export async function openLedger(dir: string, opts: OpenLedgerOptions = {}): Promise<Ledger> {
  const logger = opts.logger ?? nullLogger;
  const now = opts.now ?? Date.now;
  let lock: LockHandle;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    lock = acquireLock(dir, logger);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code && !(err instanceof Error && err.name.startsWith('Ledger')))
      throw new LedgerUnavailableError(dir, err);
    throw err;
  }
  try {
    removeLeftoverTemps(dir, logger);
    migrateV0IfPresent(dir, logger, now());
    const loaded = loadFiles(dir, logger, 'strict');
    if (loaded.fileVersion < 2) rekeyFormat1(loaded, logger);
    let journalBytes = loaded.journalGoodBytes;
    if (!loaded.journalExists) {
      const header = journalHeader(loaded.seq, now());
      writeFileAtomic(dir, JOURNAL_FILE, header);
      journalBytes = Buffer.byteLength(header);
    } else if (loaded.tornTail) {
      // Cut the torn tail before appending after it (otherwise it would sit mid-file and read as damage).
      const fd = fs.openSync(path.join(dir, JOURNAL_FILE), 'r+');
      try {
        fs.ftruncateSync(fd, loaded.journalGoodBytes);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    // Positional writes at the known good end, not O_APPEND (some FUSE filesystems refuse O_APPEND writes).
    const fd = fs.openSync(path.join(dir, JOURNAL_FILE), 'r+');
    const ledger = new Ledger(
      dir,
      lock,
      { records: loaded.records, seq: loaded.seq, journalEntries: loaded.journalEntries, journalBytes, fd },
      opts,
    );
    if (loaded.fileVersion < CURRENT_VERSION) {
      // Keep the old files, then write everything in the current format.
      const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
      for (const f of [SNAPSHOT_FILE, JOURNAL_FILE]) {
        const p = path.join(dir, f);
        if (fs.existsSync(p)) fs.copyFileSync(p, `${p}.v${loaded.fileVersion}-${stamp}.bak`);
      }
      ledger.compact();
      logger.info('ledger: migrated to the current format', {
        from: loaded.fileVersion,
        to: CURRENT_VERSION,
        records: ledger.size,
      });
    }
    return ledger;
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** A temp file from a write that a crash interrupted before its rename: never part of the ledger. */
function removeLeftoverTemps(dir: string, logger: Logger): void {
  for (const f of fs.readdirSync(dir)) {
    if (/^ledger\.(snapshot|journal)\.tmp-\d+$/.test(f)) {
      fs.rmSync(path.join(dir, f), { force: true });
      logger.info('ledger: removed a temp file left by an interrupted write', { file: f });
    }
  }
}

/** The v0 layout was a single ledger.json. Convert it once, keeping the original under a new name. */
function migrateV0IfPresent(dir: string, logger: Logger, now: number): void {
  const v0 = path.join(dir, V0_FILE);
  if (!fs.existsSync(v0) || fs.existsSync(path.join(dir, SNAPSHOT_FILE)) || fs.existsSync(path.join(dir, JOURNAL_FILE)))
    return;
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(v0, 'utf8'));
  } catch (err) {
    throw new LedgerCorruptError(v0, undefined, `it is not valid JSON (${(err as Error).message})`);
  }
  const d = doc as { version?: unknown; recordings?: unknown };
  if (
    typeof doc !== 'object' ||
    doc === null ||
    (d.version !== undefined && d.version !== 0) ||
    typeof d.recordings !== 'object' ||
    d.recordings === null
  ) {
    throw new LedgerCorruptError(
      v0,
      undefined,
      'it is not a version 0 ledger (expected { version: 0, recordings: {...} })',
    );
  }
  const records: MutableRecord[] = [];
  for (const [key, raw] of Object.entries(d.recordings as Record<string, unknown>)) {
    const res = recordSchema.safeParse(migrateRecord(raw as Record<string, unknown>, 0));
    if (!res.success)
      throw new LedgerCorruptError(
        v0,
        undefined,
        `recording ${key} cannot be migrated (${res.error.issues[0]?.message ?? 'invalid'})`,
      );
    records.push(res.data);
  }
  // v0 keyed records like format 1 (by size): re-key them as takes too.
  const rekeyed = { records: new Map<string, Slot>(records.map((r) => [r.id, r])) };
  rekeyFormat1(rekeyed, logger);
  writeFileAtomic(dir, SNAPSHOT_FILE, snapshotBuffers(rekeyed.records.values(), 0, now));
  writeFileAtomic(dir, JOURNAL_FILE, journalHeader(0, now));
  const kept = `${v0}.v0-migrated-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  fs.renameSync(v0, kept);
  fsyncDir(dir);
  logger.info('ledger: migrated a version 0 ledger.json', { records: records.length, keptAs: kept });
}
