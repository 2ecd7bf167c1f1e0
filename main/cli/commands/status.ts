// `plaud-sync status`: what the ledger says, per device and per recording, plus recent problems.
// It reads the ledger without taking its lock, so it works while the daemon or the app runs.
import path from 'node:path';
import type { Command } from 'commander';
import { ledgerDir, RECORD_STATES, type LedgerRecord, type RecordState } from '../../sync/ledger/index.js';
import { readLedger } from '../../sync/ledger/read.js';
import { deviceDisplayName } from '../../sync/devices/traits.js';
import { KnownDevices, type KnownDevice } from '../../sync/engine/known-devices.js';
import { addStateDirOption, resolveStateDir } from '../engine-context.js';

export interface StatusReport {
  stateDir: string;
  devices: {
    id: string;
    sn: string;
    sn_type: string;
    model?: string;
    firmware?: string;
    lastSeenAt?: number;
    /** Recordings the recorder was still writing at the last look (copied once they have settled). */
    waitingForRecorder?: number;
    counts: Partial<Record<RecordState, number>>;
    pendingBytes: number;
  }[];
  recordings: {
    id: string;
    sn: string;
    path: string;
    kind: string;
    state: RecordState;
    cloudFileId: string | null;
    startMs: number;
    durationMs: number;
    attempts: number;
    error?: string;
    nextTryAt?: number | null;
    libraryPath?: string;
    /** Changed on the recorder after its upload began: `plaud-sync upload-newer-version ID` uploads the newer one. */
    changedOnDevice?: true;
  }[];
  counts: Record<RecordState, number>;
  problems: { id: string; path: string; error: string; at: number }[];
}

/** A recorder's line in the report, with what the known-devices file remembers of it (when it does). */
function deviceEntry(
  id: string,
  sn: string,
  snType: string,
  k: KnownDevice | undefined,
): StatusReport['devices'][number] {
  return {
    id,
    sn,
    sn_type: snType,
    ...(k
      ? {
          model: k.model,
          firmware: k.firmware,
          lastSeenAt: k.lastSeenAt,
          waitingForRecorder: k.lastVisit?.waitingForRecorder ?? 0,
        }
      : {}),
    counts: {},
    pendingBytes: 0,
  };
}

export async function buildStatus(stateDir: string): Promise<StatusReport> {
  const records: LedgerRecord[] = await readLedger(ledgerDir(stateDir));
  const known = new KnownDevices(stateDir);
  const counts = Object.fromEntries(RECORD_STATES.map((s) => [s, 0])) as Record<RecordState, number>;
  const byDevice = new Map<string, StatusReport['devices'][number]>();
  for (const r of records) {
    counts[r.state]++;
    let d = byDevice.get(r.deviceId);
    if (!d) {
      d = deviceEntry(r.deviceId, r.sn, r.sn_type, known.get(r.deviceId));
      byDevice.set(r.deviceId, d);
    }
    d.counts[r.state] = (d.counts[r.state] ?? 0) + 1;
    if (r.state !== 'synced' && r.state !== 'skipped') d.pendingBytes += r.pulled?.upload.size ?? r.size;
  }
  for (const k of known.list()) {
    if (!byDevice.has(k.id)) byDevice.set(k.id, deviceEntry(k.id, k.sn, k.sn_type, k));
  }
  const recordings = records
    .sort((a, b) => a.startMs - b.startMs)
    .map((r) => ({
      id: r.id,
      sn: r.sn,
      path: r.relBase,
      kind: r.kind,
      state: r.state,
      cloudFileId: r.synced?.cloudFileId ?? null,
      startMs: r.startMs,
      durationMs: r.durationMs,
      attempts: r.attempts,
      ...(r.failure ? { error: r.failure.reason, nextTryAt: r.failure.nextTryAt } : {}),
      ...(r.skipped ? { error: r.skipped.reason } : {}),
      ...(r.pulled ? { libraryPath: r.pulled.upload.path } : {}),
      ...(r.changedOnDevice ? { changedOnDevice: true as const } : {}),
    }));
  const problems = records
    .filter((r) => r.failure)
    .sort((a, b) => b.failure!.at - a.failure!.at)
    .slice(0, 20)
    .map((r) => ({ id: r.id, path: r.relBase, error: r.failure!.reason, at: r.failure!.at }));
  return { stateDir, devices: [...byDevice.values()], recordings, counts, problems };
}

export function register(program: Command): void {
  addStateDirOption(program.command('status'))
    .description('show recorders, recordings by state, pending bytes and recent problems')
    .option('--json', 'print one JSON object')
    .action(async (flags: { stateDir?: string; json?: boolean }) => {
      const report = await buildStatus(resolveStateDir(flags));
      if (flags.json) {
        process.stdout.write(JSON.stringify(report) + '\n');
        return;
      }
      const out: string[] = [`State folder: ${path.resolve(report.stateDir)}`];
      if (!report.devices.length) out.push('No recorders seen yet.');
      for (const d of report.devices) {
        const c =
          Object.entries(d.counts)
            .map(([s, n]) => `${n} ${s}`)
            .join(', ') || 'no recordings';
        out.push(`${deviceDisplayName(d)} ${d.sn}: ${c}; ${(d.pendingBytes / 1e6).toFixed(1)} MB pending`);
        if (d.waitingForRecorder) {
          const n = d.waitingForRecorder;
          out.push(
            `  ${n === 1 ? 'one recording was' : `${n} recordings were`} still being written at the last look: waiting for the recorder to finish writing (copied once finished)`,
          );
        }
      }
      const changed = report.recordings.filter((r) => r.changedOnDevice);
      if (changed.length) {
        out.push('Changed on the recorder after they were uploaded (not uploaded again by themselves):');
        for (const r of changed) out.push(`  ${r.path}: plaud-sync upload-newer-version ${r.id}`);
      }
      if (report.problems.length) {
        out.push('Recent problems:');
        for (const p of report.problems.slice(0, 10)) out.push(`  ${p.path}: ${p.error}`);
      }
      process.stdout.write(out.join('\n') + '\n');
    });
}
