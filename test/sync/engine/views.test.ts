// The state model's mapping from real ledger records (a real ledger on disk) to what the window and the CLI show:
// copy and upload are separate phases with their own bytes, speed and time left; History points at the playable file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger, type Ledger } from '../../../main/sync/ledger/index.js';
import {
  PullSpeeds,
  SpeedMeter,
  historyEntry,
  phaseTotals,
  queryHistory,
  queueItem,
  type Activity,
  type QueueContext,
} from '../../../main/sync/engine/views.js';
import { DEVICE, SN, pulledPatch, recording, uploadPatch } from '../ledger/fixtures.js';

const MB = 1_000_000;
let dir: string;
let ledger: Ledger;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'views-'));
  ledger = await openLedger(dir);
});
afterEach(() => {
  ledger.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function ctx(over: Partial<QueueContext> = {}, activity = new Map<string, Activity>()): QueueContext {
  return { paused: false, online: true, accountReady: true, activity, connectedSns: new Set([SN]), ...over };
}

/** A clock the test moves, and a meter fed the way the engine feeds it (cumulative bytes, sampled). */
function measured(bytesPerSec: number, seconds: number) {
  let t = 0;
  const m = new SpeedMeter(5_000, () => t);
  for (let s = 0; s <= seconds; s++) {
    t = s * 1000;
    m.add(s * bytesPerSec);
  }
  return m.bps();
}

describe('progress phases', () => {
  it('a 100 MB copy at 30 MB/s and a 5 MB upload at 1 MB/s each get their own time left (never mixed)', () => {
    const copying = ledger.discover(recording(1), DEVICE);
    ledger.transition(copying.id, 'pulling');
    const up = ledger.discover(recording(2), DEVICE);
    ledger.transition(up.id, 'pulling');
    ledger.transition(up.id, 'pulled', pulledPatch(recording(2), 2));
    ledger.transition(up.id, 'uploading', uploadPatch(2));

    // The copy's speed is measured from the recorder's pull count (30 MB more each second).
    let t = 0;
    const speeds = new PullSpeeds(5_000, () => t);
    const pull = (done: number) => ({ state: 'pulling', bytesDone: done, bytesTotal: 190 * MB });
    let copy = { speedBps: 0, etaSec: null as number | null };
    for (let s = 0; s <= 3; s++) {
      t = s * 1000;
      copy = speeds.sample('d', pull(s * 30 * MB));
    }
    // 90 MB copied of 190 MB: 100 MB left at 30 MB/s.
    expect(copy).toEqual({ speedBps: 30 * MB, etaSec: 4 });

    const activity = new Map<string, Activity>([
      [copying.id, { kind: 'pull', bytesDone: 90 * MB, bytesTotal: 190 * MB, speedBps: 0 }],
      [up.id, { kind: 'upload', bytesDone: 0, bytesTotal: 5 * MB, speedBps: measured(1 * MB, 3) }],
    ]);
    const items = ledger.all().map((r) => queueItem(r, ctx({}, activity)));
    expect(items.find((i) => i.id === copying.id)).toMatchObject({
      phase: 'copy',
      state: 'pulling',
      bytesDone: 90 * MB,
      bytesTotal: 190 * MB,
    });
    expect(items.find((i) => i.id === up.id)).toMatchObject({
      phase: 'upload',
      state: 'uploading',
      speedBps: 1 * MB,
      etaSec: 5,
    });

    const phases = phaseTotals(
      [{ state: 'pulling', bytesDone: 90 * MB, bytesTotal: 190 * MB, speedBps: copy.speedBps }],
      items,
    );
    expect(phases.copy).toEqual({ bytesDone: 90 * MB, bytesTotal: 190 * MB, speedBps: 30 * MB, etaSec: 4 });
    // The upload phase holds only the library file's bytes: 5 MB at 1 MB/s, not the recorder's 100 MB at 1 MB/s.
    expect(phases.upload).toEqual({ bytesDone: 0, bytesTotal: 5 * MB, speedBps: 1 * MB, etaSec: 5 });

    // A new pull starts counting again: the old samples say nothing about it; an idle recorder has no speed.
    t = 4000;
    expect(speeds.sample('d', pull(0))).toEqual({ speedBps: 0, etaSec: null });
    expect(speeds.sample('d', { state: 'done', bytesDone: 5, bytesTotal: 5 })).toEqual({ speedBps: 0, etaSec: null });
  });

  it('a completing upload counts all its bytes as done; offline nothing is "uploading" and nothing has a time left', () => {
    const a = ledger.discover(recording(3), DEVICE);
    ledger.transition(a.id, 'pulling');
    ledger.transition(a.id, 'pulled', pulledPatch(recording(3), 3));
    ledger.transition(a.id, 'uploading', uploadPatch(3));
    ledger.transition(a.id, 'completing');
    const size = ledger.get(a.id)!.pulled!.upload.size;
    const done = queueItem(ledger.get(a.id)!, ctx());
    expect(done).toMatchObject({ phase: 'upload', bytesDone: size, bytesTotal: size });

    const b = ledger.discover(recording(4), DEVICE);
    ledger.transition(b.id, 'pulling');
    ledger.transition(b.id, 'pulled', pulledPatch(recording(4), 4));
    ledger.transition(b.id, 'uploading', uploadPatch(4));
    const activity = new Map<string, Activity>([
      [b.id, { kind: 'upload', bytesDone: 100, bytesTotal: 1000, speedBps: 500 }],
    ]);
    const offline = ledger.all().map((r) => queueItem(r, ctx({ online: false }, activity)));
    expect(offline.map((i) => i.state)).toEqual(['waiting-network', 'waiting-network']);
    expect(offline.every((i) => i.speedBps === 0 && i.etaSec === null)).toBe(true);
    const phases = phaseTotals([], offline);
    expect(phases.copy).toBeUndefined();
    expect(phases.upload).toMatchObject({ speedBps: 0, etaSec: null });

    // A retry waiting for its time while offline waits for the network, not for a countdown at 0 s.
    ledger.transition(b.id, 'failed', { reason: 'HTTP 500', code: 'server', nextTryAt: 1 });
    expect(queueItem(ledger.get(b.id)!, ctx({ online: false })).state).toBe('waiting-network');
    expect(queueItem(ledger.get(b.id)!, ctx({ online: true })).state).toBe('waiting-retry');
  });

  it('a recording not copied yet is in the copy phase with the recorder bytes, and a cancelled one is left out of the totals', () => {
    const a = ledger.discover(recording(5), DEVICE);
    const item = queueItem(ledger.get(a.id)!, ctx());
    expect(item).toMatchObject({ phase: 'copy', state: 'queued', bytesDone: 0, bytesTotal: ledger.get(a.id)!.size });
    const b = ledger.discover(recording(6), DEVICE);
    ledger.transition(b.id, 'pulling');
    ledger.transition(b.id, 'pulled', pulledPatch(recording(6), 6));
    ledger.transition(b.id, 'failed', { reason: 'Cancelled by you.', code: 'cancelled', nextTryAt: null });
    const items = ledger.all().map((r) => queueItem(r, ctx()));
    expect(items.find((i) => i.id === b.id)!.state).toBe('cancelled');
    expect(phaseTotals([], items).upload).toBeUndefined();
  });
});

describe('history entries', () => {
  it('point at the playable file with its size, never at the recorder originals; an id finds its own entry', () => {
    const rec = recording(7);
    const { id } = ledger.discover(rec, DEVICE);
    ledger.transition(id, 'pulling');
    ledger.transition(id, 'pulled', pulledPatch(rec, 7));
    ledger.transition(id, 'uploading', uploadPatch(7));
    ledger.transition(id, 'completing');
    const r = ledger.transition(id, 'synced', { cloudFileId: 'cloud-7' });
    const h = historyEntry(r)!;
    expect(h.localPath).toBe(r.pulled!.upload.path);
    expect(h.localPath).toMatch(/\.opus$/);
    expect(h.sizeBytes).toBe(r.pulled!.upload.size);
    expect(queryHistory(ledger.all(), { text: id }).entries.map((e) => e.id)).toEqual([id]);
  });
});
