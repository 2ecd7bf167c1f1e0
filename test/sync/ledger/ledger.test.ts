import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  IllegalTransitionError,
  LedgerWriteError,
  openLedger,
  recordingId,
  type Ledger,
  type LedgerRecord,
} from '../../../main/sync/ledger/index.js';
import { DEVICE, SN, pulledPatch, recording, simulateCrash, uploadPatch } from './fixtures.js';

let dir: string;
let ledger: Ledger | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
});
afterEach(() => {
  ledger?.close();
  ledger = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Walk recording i all the way to synced. */
function syncOne(l: Ledger, i: number): LedgerRecord {
  const rec = recording(i);
  const { id } = l.discover(rec, DEVICE);
  l.transition(id, 'pulling');
  l.transition(id, 'pulled', pulledPatch(rec, i));
  l.transition(id, 'uploading', uploadPatch(i));
  l.recordPart(id, 1, `"etag-${i}"`);
  l.transition(id, 'completing');
  return l.transition(id, 'synced', { cloudFileId: `cloud-${i}` });
}

describe('ledger records and transitions', () => {
  it('discover creates one record keyed by serial, path and size, and is idempotent', async () => {
    ledger = await openLedger(dir);
    const rec = recording(1);
    const a = ledger.discover(rec, DEVICE);
    expect(a.id).toBe(recordingId(SN, rec.relBase));
    expect(a).toMatchObject({
      sn: SN,
      sn_type: 'note',
      deviceId: DEVICE.deviceId,
      kind: 'note',
      relBase: rec.relBase,
      take: 1,
      startMs: rec.startMs,
      state: 'discovered',
      attempts: 0,
    });
    const b = ledger.discover(rec, DEVICE);
    expect(b).toBe(a);
    expect(ledger.size).toBe(1);
    // Size is not identity: the same name with another size is the same record (the recording model decides takes).
    const grown = { ...rec, wav: { ...rec.wav!, size: rec.wav!.size + 64000 } };
    expect(ledger.discover(grown, DEVICE)).toBe(a);
    // A different recording that reused the name is a second take, with an id of its own.
    const c = ledger.discover(grown, DEVICE, { take: 2 });
    expect(c.id).toBe(recordingId(SN, rec.relBase, 2));
    expect(c.take).toBe(2);
    expect(ledger.takesOf(SN, rec.relBase).map((r) => r.id)).toEqual([a.id, c.id]);
    // A second recorder with the same file names does not collide.
    const other = ledger.discover(recording(1, '888999999999999999'), {
      sn_type: 'note',
      deviceId: 'note:888999999999999999',
    });
    expect(other.id).not.toBe(a.id);
    expect(ledger.bySn(SN)).toHaveLength(2);
    expect(ledger.bySn('888999999999999999')).toHaveLength(1);
  });

  it('walks the happy path and keeps every fact of each step', async () => {
    let t = 1000;
    ledger = await openLedger(dir, { now: () => ++t });
    const r = syncOne(ledger, 7);
    expect(r.state).toBe('synced');
    expect(r.pulled?.files).toHaveLength(2);
    expect(r.pulled?.upload).toMatchObject({ filetype: 'opus', durationMs: recording(7).durationMs });
    expect(r.upload).toMatchObject({ partSize: 5_242_880, parts: [{ partNumber: 1, etag: '"etag-7"' }] });
    expect(r.synced).toEqual({ cloudFileId: 'cloud-7', syncedAt: r.updatedAt, possibleDuplicate: false });
    expect(Object.keys(r.stateAt)).toEqual(['discovered', 'pulling', 'pulled', 'uploading', 'completing', 'synced']);
    expect(r.stateAt.discovered).toBeLessThan(r.stateAt.synced!);
    expect(Object.isFrozen(r) && Object.isFrozen(r.upload!.parts)).toBe(true);
    expect(ledger.counts()).toMatchObject({ synced: 1, discovered: 0 });
  });

  it('refuses illegal transitions with a clear message and changes nothing', async () => {
    ledger = await openLedger(dir);
    const { id } = ledger.discover(recording(2), DEVICE);
    expect(() => ledger!.transition(id, 'synced', { cloudFileId: 'x' })).toThrow(IllegalTransitionError);
    expect(() => ledger!.transition(id, 'synced', { cloudFileId: 'x' })).toThrow(
      /cannot go from "discovered" to "synced".*pulling, failed, skipped/,
    );
    ledger.transition(id, 'pulling');
    // Entering pulled without the verified copy is refused.
    expect(() => ledger!.transition(id, 'pulled')).toThrow(/without the verified library copy/);
    expect(() => ledger!.recordPart(id, 1, 'e')).toThrow(/not "uploading"/);
    expect(() => ledger!.transition('nope', 'pulling')).toThrow(/no recording nope/);
    expect(ledger.get(id)?.state).toBe('pulling');
    const s = syncOne(ledger, 3);
    expect(() => ledger!.transition(s.id, 'failed', { reason: 'x' })).toThrow(/"synced" is final/);
  });

  it('allows the engine resets: failed -> pulled/completing/uploading (resume), uploading -> pulled, pulling -> discovered', async () => {
    ledger = await openLedger(dir);
    const rec = recording(4);
    const { id } = ledger.discover(rec, DEVICE);
    ledger.transition(id, 'pulling');
    expect(ledger.transition(id, 'discovered').pulled).toBeUndefined(); // unplugged mid-pull
    ledger.transition(id, 'pulling');
    ledger.transition(id, 'pulled', pulledPatch(rec, 4));
    ledger.transition(id, 'uploading', uploadPatch(4));
    ledger.recordPart(id, 1, 'e1');
    const f = ledger.transition(id, 'failed', { reason: 'network down', code: 'offline', nextTryAt: 5000 });
    expect(f.failure).toMatchObject({
      reason: 'network down',
      code: 'offline',
      fromState: 'uploading',
      attempts: 1,
      nextTryAt: 5000,
    });
    const f2 = ledger.transition(id, 'failed', { reason: 'still down', nextTryAt: 9000 });
    expect(f2.failure).toMatchObject({ fromState: 'uploading', attempts: 2 });
    // Resume the same session: its finished parts are kept.
    const resumed = ledger.transition(id, 'uploading');
    expect(resumed.upload?.parts).toEqual([{ partNumber: 1, etag: 'e1' }]);
    expect(resumed.failure).toBeUndefined();
    expect(resumed.attempts).toBe(2);
    // Abandon the session (presigned URLs expired): back to pulled, session dropped, copy kept.
    const back = ledger.transition(id, 'pulled');
    expect(back.upload).toBeUndefined();
    expect(back.pulled?.files).toHaveLength(2);
    const fresh = ledger.transition(id, 'uploading', uploadPatch(40));
    expect(fresh.upload?.parts).toEqual([]);
    ledger.transition(id, 'completing');
    ledger.transition(id, 'failed', { reason: 'complete timed out' });
    expect(ledger.transition(id, 'completing').upload?.fileId).toBe(fresh.upload?.fileId);
    expect(
      ledger.transition(id, 'synced', { cloudFileId: 'c', possibleDuplicate: true }).synced?.possibleDuplicate,
    ).toBe(true);
  });

  it("keeps a session's presigned URLs while uploading and drops them once synced; files are owner-only", async () => {
    ledger = await openLedger(dir);
    const rec = recording(6);
    const { id } = ledger.discover(rec, DEVICE);
    ledger.transition(id, 'pulling');
    ledger.transition(id, 'pulled', pulledPatch(rec, 6));
    const urls = [{ partNumber: 1, url: 'https://s3.example/b/k?X-Amz-Signature=abc' }];
    const up = ledger.transition(id, 'uploading', { upload: { ...uploadPatch(6).upload!, urls, urlsExpireAt: 99 } });
    expect(up.upload?.urls).toEqual(urls);
    ledger.transition(id, 'completing');
    const done = ledger.transition(id, 'synced', { cloudFileId: 'c6' });
    expect(done.upload?.urls).toBeUndefined();
    expect(done.upload?.urlsExpireAt).toBeUndefined();
    expect(done.upload?.fileId).toBe(up.upload?.fileId);
    if (process.platform !== 'win32') expect(fs.statSync(path.join(dir, 'ledger.journal')).mode & 0o077).toBe(0);
  });

  it('records upload parts as small entries, replacing a re-sent part', async () => {
    ledger = await openLedger(dir);
    const rec = recording(5);
    const { id } = ledger.discover(rec, DEVICE);
    ledger.transition(id, 'pulling');
    ledger.transition(id, 'pulled', pulledPatch(rec, 5));
    ledger.transition(id, 'uploading', uploadPatch(5));
    const before = fs.statSync(path.join(dir, 'ledger.journal')).size;
    ledger.recordPart(id, 3, 'e3');
    ledger.recordPart(id, 1, 'e1');
    ledger.recordPart(id, 3, 'e3b');
    const grew = fs.statSync(path.join(dir, 'ledger.journal')).size - before;
    expect(grew).toBeLessThan(3 * 250); // three short lines, not three copies of the record
    expect(ledger.get(id)?.upload?.parts).toEqual([
      { partNumber: 1, etag: 'e1' },
      { partNumber: 3, etag: 'e3b' },
    ]);
    expect(() => ledger!.recordPart(id, 0, 'x')).toThrow(RangeError);
  });

  it('marks remove-after-sync only on synced records, pending before done', async () => {
    ledger = await openLedger(dir);
    const a = ledger.discover(recording(8), DEVICE);
    expect(() => ledger!.markDeviceDelete(a.id, 'pending')).toThrow(/only a synced recording/);
    const s = syncOne(ledger, 9);
    expect(ledger.markDeviceDelete(s.id, 'pending').deviceDelete).toMatchObject({ state: 'pending' });
    const done = ledger.markDeviceDelete(s.id, 'done');
    expect(done.deviceDelete?.state).toBe('done');
    expect(done.deviceDelete?.doneAt).toBeTypeOf('number');
    expect(() => ledger!.markDeviceDelete(s.id, 'pending')).toThrow(/already removed/);
  });

  it('calls onChange after each committed change, and a throwing listener does not break the write', async () => {
    ledger = await openLedger(dir);
    const seen: string[] = [];
    const off = ledger.onChange((r, prev) => seen.push(`${prev?.state ?? '-'}>${r.state}`));
    ledger.onChange(() => {
      throw new Error('listener bug');
    });
    const { id } = ledger.discover(recording(1), DEVICE);
    ledger.transition(id, 'pulling');
    off();
    ledger.transition(id, 'discovered');
    expect(seen).toEqual(['->discovered', 'discovered>pulling']);
    expect(ledger.get(id)?.state).toBe('discovered');
  });
});

describe('group durability (the engine)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('changes return without a blocking fsync; one background fsync covers a burst; flushed() waits for it', async () => {
    ledger = await openLedger(dir, { durability: 'group' });
    const blocking = vi.spyOn(fs, 'fdatasyncSync');
    const background = vi.spyOn(fs, 'fdatasync');
    for (let i = 0; i < 20; i++) syncOne(ledger, i);
    expect(blocking).not.toHaveBeenCalled();
    // 140 changes written in one go: the first started a background fsync, the rest wait for the next one.
    expect(background.mock.calls.length).toBeLessThanOrEqual(1);
    await ledger.flushed();
    expect(background.mock.calls.length).toBe(2);
    // Nothing left to flush: flushed() asks the disk for nothing more.
    await ledger.flushed();
    expect(background.mock.calls.length).toBe(2);
    ledger.close();
    ledger = await openLedger(dir);
    expect(ledger.counts().synced).toBe(20);
  });

  it("'each' (the default) fsyncs every change before it returns", async () => {
    ledger = await openLedger(dir);
    const blocking = vi.spyOn(fs, 'fdatasyncSync');
    syncOne(ledger, 1);
    expect(blocking).toHaveBeenCalledTimes(7);
  });

  it('a disk that refuses the background fsync: flushed() rejects with a plain error and no change is taken after', async () => {
    ledger = await openLedger(dir, { durability: 'group' });
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    vi.spyOn(fs, 'fdatasync').mockImplementation(
      ((_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) =>
        void setImmediate(() => cb(eio))) as unknown as typeof fs.fdatasync,
    );
    const { id } = ledger.discover(recording(1), DEVICE);
    await expect(ledger.flushed()).rejects.toBeInstanceOf(LedgerWriteError);
    await expect(ledger.flushed()).rejects.toThrow(/i\/o error/);
    expect(() => ledger!.transition(id, 'pulling')).toThrow(/i\/o error/);
    vi.restoreAllMocks();
    ledger.close();
    ledger = undefined;
  });

  it('a compaction while a background fsync is running keeps every change', async () => {
    ledger = await openLedger(dir, { durability: 'group', compactEntries: 5 });
    for (let i = 0; i < 12; i++) {
      syncOne(ledger, i);
      if (i % 4 === 0) await ledger.flushed();
    }
    await ledger.flushed();
    simulateCrash(ledger);
    ledger = await openLedger(dir);
    expect(ledger.counts().synced).toBe(12);
  });
});

describe('opening', () => {
  it('says in plain words when the ledger folder cannot be made', async () => {
    const file = path.join(dir, 'not-a-folder');
    fs.writeFileSync(file, 'x');
    const { LedgerUnavailableError } = await import('../../../main/sync/ledger/index.js');
    const err = await openLedger(path.join(file, 'ledger')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LedgerUnavailableError);
    expect((err as Error).message).toMatch(
      /Cannot open the sync ledger in .*not-a-folder.ledger: a file is in the way of the folder/,
    );
  });
});

describe('persistence', () => {
  it('reloads exactly what was written, through the journal and through a snapshot', async () => {
    ledger = await openLedger(dir, { compactEntries: 25 });
    for (let i = 0; i < 12; i++) syncOne(ledger, i); // 84 entries: several compactions
    const fail = ledger.discover(recording(50), DEVICE);
    ledger.transition(fail.id, 'failed', { reason: 'device read error', code: 'device-read-error', nextTryAt: 123 });
    const up = ledger.discover(recording(51), DEVICE);
    ledger.transition(up.id, 'pulling');
    ledger.transition(up.id, 'pulled', pulledPatch(recording(51), 51));
    ledger.transition(up.id, 'uploading', uploadPatch(51));
    ledger.recordPart(up.id, 1, 'p1');
    ledger.recordPart(up.id, 2, 'p2');
    const before = ledger.all();
    // Simulate a crash: no close() (no final compaction), just drop the lock like a dead process would.
    const snapshotText = fs.readFileSync(path.join(dir, 'ledger.snapshot'), 'utf8');
    expect(snapshotText.split('\n')[0]).toContain('"t":"snapshot"');
    simulateCrash(ledger);
    ledger = await openLedger(dir);
    expect(ledger.all().sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      before.sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(ledger.counts()).toMatchObject({ synced: 12, failed: 1, uploading: 1 });
    ledger.close();
    // After a clean close everything is in the snapshot and the journal is just its header.
    expect(fs.readFileSync(path.join(dir, 'ledger.journal'), 'utf8').trim().split('\n')).toHaveLength(1);
    ledger = await openLedger(dir);
    expect(ledger.size).toBe(14);
    expect(ledger.get(up.id)?.upload?.parts.map((p) => p.etag)).toEqual(['p1', 'p2']);
  });

  it('removes a temp snapshot left by a crash mid-compaction and loads the real files', async () => {
    ledger = await openLedger(dir);
    const { id } = ledger.discover(recording(3), DEVICE);
    simulateCrash(ledger);
    fs.writeFileSync(path.join(dir, 'ledger.snapshot.tmp-424242'), 'half a snapshot');
    ledger = await openLedger(dir);
    expect(ledger.get(id)?.state).toBe('discovered');
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('replays nothing twice when a crash comes between the snapshot and the fresh journal', async () => {
    ledger = await openLedger(dir);
    syncOne(ledger, 1);
    const journalBefore = fs.readFileSync(path.join(dir, 'ledger.journal'));
    ledger.compact(); // snapshot written, journal reset
    // Put the old journal back, as if the crash came right after the snapshot's rename.
    fs.writeFileSync(path.join(dir, 'ledger.journal'), journalBefore);
    const parts = ledger.get(recordingId(SN, recording(1).relBase))!.upload!.parts;
    simulateCrash(ledger);
    ledger = await openLedger(dir);
    expect(ledger.all()[0]!.upload!.parts).toEqual(parts);
    expect(ledger.counts().synced).toBe(1);
    // And writing continues with the right sequence numbers.
    const r = ledger.discover(recording(2), DEVICE);
    simulateCrash(ledger);
    ledger = await openLedger(dir);
    expect(ledger.get(r.id)?.state).toBe('discovered');
  });
});

describe('readLedger (no lock, for status while the daemon runs)', () => {
  it('reads what a live writer has committed, while the writer holds the lock and compacts', async () => {
    const { readLedger } = await import('../../../main/sync/ledger/index.js');
    ledger = await openLedger(dir, { compactEntries: 7 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      ids.push(ledger.discover(recording(i), DEVICE).id);
      ledger.transition(ids[i]!, 'pulling');
      const seen = await readLedger(dir);
      expect(seen).toHaveLength(i + 1);
      expect(seen.find((r) => r.id === ids[i])?.state).toBe('pulling');
    }
    // A compaction caught half-way (new snapshot, old journal) reads correctly too.
    const oldJournal = fs.readFileSync(path.join(dir, 'ledger.journal'));
    ledger.transition(ids[0]!, 'discovered');
    ledger.compact();
    fs.writeFileSync(path.join(dir, 'ledger.journal'), oldJournal);
    const seen = await readLedger(dir);
    expect(seen.find((r) => r.id === ids[0])?.state).toBe('discovered');
    expect(fs.existsSync(path.join(dir, 'ledger.lock'))).toBe(true);
  });

  it('still reports real damage after its retries', async () => {
    const { readLedger, LedgerCorruptError } = await import('../../../main/sync/ledger/index.js');
    ledger = await openLedger(dir);
    ledger.discover(recording(1), DEVICE);
    ledger.discover(recording(2), DEVICE);
    const lines = fs.readFileSync(path.join(dir, 'ledger.journal'), 'utf8').split('\n');
    lines[1] = 'garbage';
    fs.writeFileSync(path.join(dir, 'ledger.journal'), lines.join('\n'));
    await expect(readLedger(dir, { attempts: 2 })).rejects.toBeInstanceOf(LedgerCorruptError);
  });
});
