// Ledger figures for 10,000 recordings: load time and state-change latency (fsync'd), for the chosen
// storage (checksummed append-only journal + compacted snapshot) and for the obvious alternative
// measured in the same run: rewrite the whole ledger as one JSON file atomically on every change
// (temp file + fsync + rename + dir fsync). Targets: load <= 200 ms, change p95 <= 5 ms.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openLedger, recordingId, type Ledger } from '../main/sync/ledger/index.js';
import { journalHeader, recordLine, snapshotBuffers, writeFileAtomic } from '../main/sync/ledger/store.js';
import { applyTransition } from '../main/sync/ledger/transitions.js';
import type { MutableRecord } from '../main/sync/ledger/types.js';
import { DEVICE, pulledPatch, recording, uploadPatch } from '../test/sync/ledger/fixtures.js';

const N = 10_000;
const JOURNAL_TAIL = 1_999; // worst case: one entry short of the default compaction threshold (2,000 entries / 4 MiB)

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (x: number) => `${x.toFixed(2)} ms`;

/** 10,000 records in realistic states: mostly synced, some queued, uploading, failed. */
function buildRecords(): MutableRecord[] {
  const out: MutableRecord[] = [];
  let t = Date.UTC(2026, 0, 1);
  for (let i = 0; i < N; i++) {
    const rec = recording(i);
    const size = rec.wav!.size + rec.asr!.size;
    let r: MutableRecord = {
      id: recordingId(rec.sn, rec.relBase),
      sn: rec.sn,
      sn_type: DEVICE.sn_type,
      deviceId: DEVICE.deviceId,
      kind: rec.kind,
      relBase: rec.relBase,
      take: 1,
      startMs: rec.startMs,
      durationMs: rec.durationMs,
      endMs: rec.endMs,
      size,
      source: { wav: rec.wav!, asr: { ...rec.asr!, format: 'raw-opus' } },
      state: 'discovered',
      createdAt: t,
      updatedAt: t,
      stateAt: { discovered: t },
      attempts: 0,
    };
    const step = (to: MutableRecord['state'], patch = {}) => (r = applyTransition(r, to, patch, ++t));
    const mix = i % 100;
    if (mix < 2) {
      out.push(r);
      continue;
    }
    step('pulling');
    step('pulled', pulledPatch(rec, i));
    if (mix < 5) {
      out.push(r);
      continue;
    }
    step('uploading', uploadPatch(i));
    r = { ...r, upload: { ...r.upload!, parts: [{ partNumber: 1, etag: `"${'e'.repeat(32)}"` }] } };
    if (mix < 7) {
      out.push(r);
      continue;
    }
    if (mix < 9) {
      step('failed', {
        reason: 'The Plaud server answered 503 (service unavailable).',
        code: 'server-error',
        nextTryAt: t + 60_000,
      });
      out.push(r);
      continue;
    }
    step('completing');
    step('synced', { cloudFileId: `cf${i.toString(16).padStart(30, '0')}` });
    out.push(r);
  }
  return out;
}

function copyDir(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
}

function letGo(l: Ledger): void {
  // As after a crash: no compaction on the way out, so each load sees the same files.
  const inner = l as unknown as { lock: { release(): void }; fd: number };
  inner.lock.release();
  fs.closeSync(inner.fd);
}

/** Wall times; CPU times (user+system) go to `cpu` (on a shared, loaded machine wall time overstates). */
async function timeLoad(src: string, work: string, runs: number, cpu: number[] = []): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const dir = path.join(work, `load-${path.basename(src)}-${k}`);
    copyDir(src, dir);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const l = await openLedger(dir);
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    if (l.size !== N) throw new Error(`loaded ${l.size} records, expected ${N}`);
    letGo(l);
  }
  return times;
}

export async function run(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-bench-'));
  try {
    const records = buildRecords();
    const byId = new Map(records.map((r) => [r.id, r]));

    // --- chosen: snapshot only, and snapshot + a long journal tail ---
    const snapOnly = path.join(work, 'snap');
    fs.mkdirSync(snapOnly);
    writeFileAtomic(snapOnly, 'ledger.snapshot', snapshotBuffers(records, 0, Date.now()));
    writeFileAtomic(snapOnly, 'ledger.journal', journalHeader(0, Date.now()));
    const snapBytes = fs.statSync(path.join(snapOnly, 'ledger.snapshot')).size;

    const withTail = path.join(work, 'tail');
    fs.mkdirSync(withTail);
    fs.copyFileSync(path.join(snapOnly, 'ledger.snapshot'), path.join(withTail, 'ledger.snapshot'));
    const lines = [journalHeader(0, Date.now())];
    for (let s = 1; s <= JOURNAL_TAIL; s++) {
      const r = records[(s * 7919) % N]!;
      lines.push(recordLine('put', { ...r, updatedAt: r.updatedAt + s }, s));
    }
    fs.writeFileSync(path.join(withTail, 'ledger.journal'), Buffer.concat(lines));
    const tailBytes = fs.statSync(path.join(withTail, 'ledger.journal')).size;

    const loadSnapCpu: number[] = [];
    const loadTailCpu: number[] = [];
    const loadSnap = await timeLoad(snapOnly, work, 7, loadSnapCpu);
    const loadTail = await timeLoad(withTail, work, 5, loadTailCpu);

    // State changes on the 10,000-record ledger: the engine's real mix (new recording, pull steps,
    // upload session, parts, completion, failure), each fsync'd before it returns.
    const changeDir = path.join(work, 'changes');
    copyDir(snapOnly, changeDir);
    const l = await openLedger(changeDir);
    const lat: number[] = [];
    const partLat: number[] = [];
    const timed = (fn: () => unknown, into = lat) => {
      const t0 = performance.now();
      fn();
      into.push(performance.now() - t0);
    };
    for (let j = 0; j < 60; j++) {
      const i = N + j;
      const rec = recording(i);
      let id = '';
      timed(() => (id = l.discover(rec, DEVICE).id));
      timed(() => l.transition(id, 'pulling'));
      timed(() => l.transition(id, 'pulled', pulledPatch(rec, i)));
      timed(() => l.transition(id, 'uploading', uploadPatch(i)));
      for (let p = 1; p <= 3; p++) timed(() => l.recordPart(id, p, `"${'f'.repeat(32)}"`), partLat);
      timed(() => l.transition(id, 'completing'));
      if (j % 10 === 0) timed(() => l.transition(id, 'failed', { reason: 'timeout', nextTryAt: Date.now() }));
      if (j % 10 === 0) timed(() => l.transition(id, 'completing'));
      timed(() => l.transition(id, 'synced', { cloudFileId: `cf-${i}` }));
    }
    // Floor for any durable change on this disk: append ~1.5 KB and fdatasync, nothing else.
    const floorLat: number[] = [];
    const floorFd = fs.openSync(path.join(work, 'floor.bin'), 'a');
    const line = Buffer.alloc(1500, 0x61);
    for (let k = 0; k < 200; k++) {
      const a = performance.now();
      fs.writeSync(floorFd, line);
      fs.fdatasyncSync(floorFd);
      floorLat.push(performance.now() - a);
    }
    fs.closeSync(floorFd);
    const t0 = performance.now();
    l.compact();
    const compactMs = performance.now() - t0;
    letGo(l);
    const all = [...lat, ...partLat];

    // --- alternative: rewrite the whole JSON file atomically per change ---
    const altDir = path.join(work, 'alt');
    fs.mkdirSync(altDir);
    const writeAll = () =>
      writeFileAtomic(altDir, 'ledger.json', JSON.stringify({ version: 1, records: [...byId.values()] }));
    writeAll();
    const altBytes = fs.statSync(path.join(altDir, 'ledger.json')).size;
    const altLoad: number[] = [];
    const altLoadCpu: number[] = [];
    for (let k = 0; k < 7; k++) {
      const c0 = process.cpuUsage();
      const a = performance.now();
      const doc = JSON.parse(fs.readFileSync(path.join(altDir, 'ledger.json'), 'utf8')) as { records: unknown[] };
      // Same checks as the journal's load (shape of what the state machine relies on), so the
      // comparison is of storage, not of validation.
      const m = new Map<string, MutableRecord>();
      for (const raw of doc.records) {
        const r = raw as MutableRecord;
        if (typeof r.id !== 'string' || typeof r.state !== 'string') throw new Error('bad record');
        m.set(r.id, r);
      }
      altLoad.push(performance.now() - a);
      const c = process.cpuUsage(c0);
      altLoadCpu.push((c.user + c.system) / 1000);
    }
    const altLat: number[] = [];
    const ids = [...byId.keys()];
    for (let k = 0; k < 15; k++) {
      const id = ids[k]!;
      const a = performance.now();
      byId.set(id, { ...byId.get(id)!, updatedAt: Date.now() });
      writeAll();
      altLat.push(performance.now() - a);
    }

    const med = (xs: number[]) => pct(xs, 50);
    console.log(
      `machine: ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)} (wall times on a loaded machine overstate; CPU time shown too)`,
    );
    console.log(
      `records: ${N}; snapshot ${(snapBytes / 1e6).toFixed(1)} MB; worst-case journal tail ${JOURNAL_TAIL} entries, ${(tailBytes / 1e6).toFixed(1)} MB`,
    );
    console.log(
      `journal+snapshot  load (snapshot only)       first (cold process) ${ms(loadSnap[0]!)}  warm median ${ms(med(loadSnap.slice(1)))}  cpu median ${ms(med(loadSnapCpu))}  (target <= 200 ms)`,
    );
    console.log(
      `journal+snapshot  load (snapshot + ${JOURNAL_TAIL} tail) median ${ms(med(loadTail))}  max ${ms(Math.max(...loadTail))}  cpu median ${ms(med(loadTailCpu))}`,
    );
    console.log(
      `journal+snapshot  state change (fsync'd), ${lat.length} transitions: p50 ${ms(pct(lat, 50))}  p95 ${ms(pct(lat, 95))}  p99 ${ms(pct(lat, 99))}  max ${ms(Math.max(...lat))}  (target p95 <= 5 ms)`,
    );
    console.log(
      `journal+snapshot  upload part entry, ${partLat.length} parts: p50 ${ms(pct(partLat, 50))}  p95 ${ms(pct(partLat, 95))}; all changes p95 ${ms(pct(all, 95))}`,
    );
    console.log(
      `baseline: bare 1.5 KB append + fdatasync on the same disk: p50 ${ms(pct(floorLat, 50))}  p95 ${ms(pct(floorLat, 95))}  -> ledger change p95 / bare fsync p95 = ${(pct(lat, 95) / pct(floorLat, 95)).toFixed(2)}x`,
    );
    console.log(`journal+snapshot  compaction of ${N} records (once per 2,000 changes): ${ms(compactMs)}`);
    console.log(
      `alternative (whole JSON rewrite per change, ${(altBytes / 1e6).toFixed(1)} MB)  load median ${ms(med(altLoad))}  cpu ${ms(med(altLoadCpu))}  change p50 ${ms(pct(altLat, 50))}  p95 ${ms(pct(altLat, 95))}`,
    );
    console.log(
      `ratios journal/alternative: load ${(med(loadSnap) / med(altLoad)).toFixed(2)}x (with tail ${(med(loadTail) / med(altLoad)).toFixed(2)}x), ` +
        `change p95 ${(pct(lat, 95) / pct(altLat, 95)).toFixed(3)}x (alternative is ${(pct(altLat, 95) / pct(lat, 95)).toFixed(0)}x slower per change)`,
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
