// List the recordings on a mounted recorder: NOTES/ and CALLS/, date folders, <epoch-seconds>.WAV + .ASR pairs.
// Everything on the volume is untrusted: names are validated before they are joined into a path, nothing is
// followed through a symlink (lstat only), and every odd entry is skipped with a reason a user can read.
//
// Cost: one readdir per folder, one lstat per file, and one small header read per WAV and per ASR (512 and 4 bytes).
// These are done with synchronous calls in time slices (yielding to the event loop every few milliseconds): for tiny
// metadata reads the thread-pool round trip of the async API costs 4-5 times the work itself, and 10,000 recordings
// must list in well under a second. A second stat (to catch a file still growing) is taken only for files whose mtime
// is recent, after one short pause shared by all of them, so a volume of old recordings pays nothing for it.
//
// A recording the caller already knows (`known`: the engine passes what its ledger saw) whose files have the same
// sizes and modification times as then is described from that, without its header reads: on a recorder holding
// hundreds of recordings those reads were most of the time between plug-in and the first new byte (each is an open
// and a read of the device, about 1.6 ms at USB speed in the device model). Whether such a file still holds the same
// audio is not the scan's question: the engine's quick check reads the start of every known recording after the pull.
//
// Readiness is per recording, never per file: when any file of a recording is still being written (changed within the
// busy window, or growing between the two looks), the whole recording waits (`unsettled`) and none of its files is
// offered, so a recording is never pulled or uploaded from one file while its partner is still being written.
import fss from 'node:fs';
import fs from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { parseWavHeader, inspectWav, type WavInfo } from '../audio/wav.js';
import { asrInfoFromHead } from '../audio/asr.js';
import { AudioFormatError } from '../audio/errors.js';
import type { Recording, RecordingKind, SkippedEntry } from '../types.js';
import { mapPool } from '../worker-pool.js';

export const RECORDING_FOLDERS = ['NOTES', 'CALLS'] as const;
export type RecordingFolder = (typeof RECORDING_FOLDERS)[number];
export const KIND_OF_FOLDER: Record<RecordingFolder, RecordingKind> = { NOTES: 'note', CALLS: 'call' };
export const FOLDER_OF_KIND: Record<RecordingKind, RecordingFolder> = { note: 'NOTES', call: 'CALLS' };

/** Start times outside this window are not believable recorder clocks (2000-01-01 .. 2100-01-01). */
export const MIN_START_SEC = 946_684_800;
export const MAX_START_SEC = 4_102_444_800;

export interface ScanOptions {
  /** A file modified less than this long ago is treated as still being written (default 5 s). */
  busyWindowMs?: number;
  /** Files modified less than this long ago get a second stat to see whether they still grow (default 120 s). */
  restatWindowMs?: number;
  /** Pause between the two stats (default 400 ms). */
  restatDelayMs?: number;
  /** Longest stretch of synchronous file calls before yielding to the event loop (default 8 ms). */
  sliceMs?: number;
  /** For tests: the clock. */
  now?: () => number;
  /**
   * What the caller knows of a recording (by relBase, e.g. "NOTES/20240301/1709280000"): its files as last seen and
   * what their headers said then, one entry per take. A recording whose files match one of them exactly is described
   * from it and its headers are not read.
   */
  known?: (relBase: string) => readonly KnownRecording[];
}

/** A recording as an earlier scan saw it: its files' sizes and times, and the facts read from their headers. */
export interface KnownRecording {
  durationMs: number;
  wav?: { size: number; mtimeMs: number };
  asr?: { size: number; mtimeMs: number; format: 'raw-opus' | 'ogg-opus' };
}

export interface ScanResult {
  recordings: Recording[];
  skipped: SkippedEntry[];
  /** Recordings with a file still being written: looked at again later, whole. */
  unsettled: SkippedEntry[];
  /** Things worth logging that did not stop a recording (e.g. a WAV header that disagrees with its audio). */
  notes: SkippedEntry[];
  /** Recordings described from `known`, their headers not read. */
  knownUnchanged: number;
}

interface FileSeen {
  relPath: string;
  abs: string;
  size: number;
  mtimeMs: number;
}

const FILE_NAME = /^(\d{1,12})\.(wav|asr)$/i;

/** Why a directory entry's name is unsafe or meaningless, or undefined when it is fine to join. */
export function unsafeNameReason(name: string): string | undefined {
  if (name.includes('\0')) return 'its name contains a NUL byte';
  if (name.includes('/') || name.includes('\\'))
    return 'its name contains a path separator and could escape its folder';
  if (name === '.' || name === '..' || name.includes('..')) return "its name contains '..' and could escape its folder";
  return undefined;
}

/** YYYYMMDD that is a real calendar date. */
export function isDateFolderName(name: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 2000 || y > 2099 || mo < 1 || mo > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

export { mapPool } from '../worker-pool.js';

/** One scratch buffer for every header read (the parsers copy out what they keep). */
const scratch = Buffer.alloc(512);

function readHead(abs: string, len: number): Buffer {
  const fd = fss.openSync(abs, 'r');
  try {
    const n = fss.readSync(fd, scratch, 0, Math.min(len, scratch.length), 0);
    return scratch.subarray(0, n);
  } finally {
    fss.closeSync(fd);
  }
}

/** Runs synchronous steps, yielding to the event loop once a slice of `sliceMs` is used up. */
class TimeSlicer {
  private start = performance.now();
  constructor(private readonly sliceMs: number) {}
  /** True when the slice is used up: the caller then awaits yield() (no promise per step otherwise). */
  due(): boolean {
    return performance.now() - this.start >= this.sliceMs;
  }
  async yield(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    this.start = performance.now();
  }
}

function plainError(err: unknown): string {
  if (err instanceof AudioFormatError) return err.message;
  const e = err as NodeJS.ErrnoException;
  return e.code ? `it could not be read (${e.code})` : String(err);
}

/** The WAV's audio facts from its first 512 bytes (the recorder's whole header); falls back to a full header read. */
function wavInfo(f: FileSeen): WavInfo | Promise<WavInfo> {
  const head = readHead(f.abs, 512);
  try {
    return parseWavHeader(head, f.size, f.abs);
  } catch (err) {
    // A header longer than the recorder's 512 bytes: read more (rare, so async is fine here).
    if (err instanceof AudioFormatError && err.code === 'WAV_BAD_CHUNK' && head.length < f.size)
      return inspectWav(f.abs);
    throw err;
  }
}

/** ASR duration: raw packets are checked by size and first TOC byte (the full check happens at upload time). */
type AsrFacts = { format: 'raw-opus' | 'ogg-opus'; durationMs: number };
function asrInfo(f: FileSeen): AsrFacts | Promise<AsrFacts> {
  return asrInfoFromHead(readHead(f.abs, 4), f.size, f.abs);
}

/** Scan a mounted recorder. Never throws for odd content; throws only if the volume root itself cannot be read. */
export async function scanVolume(mountPath: string, sn: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const now = opts.now ?? Date.now;
  const busyWindowMs = opts.busyWindowMs ?? 5_000;
  const restatWindowMs = opts.restatWindowMs ?? 120_000;
  const restatDelayMs = opts.restatDelayMs ?? 400;
  const slicer = new TimeSlicer(opts.sliceMs ?? 8);
  const skipped: SkippedEntry[] = [];
  const notes: SkippedEntry[] = [];
  const skip = (relPath: string, reason: string) => skipped.push({ relPath, reason });

  const rootEntries = await fs.readdir(mountPath, { withFileTypes: true });
  // Date folders to list, with the canonical folder name (FAT shows case as stored; accept any).
  const dateDirs: { folder: RecordingFolder; rel: string; abs: string; date: string }[] = [];
  for (const folder of RECORDING_FOLDERS) {
    const entry = rootEntries.find((e) => e.name.toUpperCase() === folder);
    if (!entry) continue;
    if (entry.isSymbolicLink()) {
      skip(entry.name, 'it is a symbolic link; links on a recorder are never followed');
      continue;
    }
    if (!entry.isDirectory()) continue;
    let days;
    try {
      days = fss.readdirSync(path.join(mountPath, entry.name), { withFileTypes: true });
    } catch (err) {
      skip(entry.name, `the folder could not be read (${(err as NodeJS.ErrnoException).code ?? err})`);
      continue;
    }
    for (const d of days) {
      const rel = `${entry.name}/${d.name}`;
      const bad = unsafeNameReason(d.name);
      if (bad) skip(rel, `skipped: ${bad}`);
      else if (d.isSymbolicLink()) skip(rel, 'it is a symbolic link; links on a recorder are never followed');
      else if (!d.isDirectory()) skip(rel, 'not a date folder (expected a folder named YYYYMMDD)');
      else if (!isDateFolderName(d.name))
        skip(rel, `"${d.name}" is not a date folder name (expected YYYYMMDD, a real date)`);
      else dateDirs.push({ folder, rel, abs: path.join(mountPath, entry.name, d.name), date: d.name });
    }
  }

  // Group candidate files by recording (folder/date/base).
  interface Group {
    folder: RecordingFolder;
    date: string;
    relDir: string;
    base: string;
    wav?: FileSeen;
    asr?: FileSeen;
    unsettled?: string;
  }
  const groups = new Map<string, Group>();
  const toStat: { group: Group; ext: 'wav' | 'asr'; rel: string; abs: string }[] = [];
  for (const dd of dateDirs) {
    if (slicer.due()) await slicer.yield();
    let names;
    try {
      names = fss.readdirSync(dd.abs);
    } catch (err) {
      skip(dd.rel, `the folder could not be read (${(err as NodeJS.ErrnoException).code ?? err})`);
      continue;
    }
    for (const name of names) {
      const rel = `${dd.rel}/${name}`;
      const bad = unsafeNameReason(name);
      if (bad) {
        skip(rel, `skipped: ${bad}`);
        continue;
      }
      const m = FILE_NAME.exec(name);
      if (!m) {
        if (/\.(wav|asr)$/i.test(name))
          skip(rel, 'its name is not a start time in seconds (expected digits, e.g. 1709280000.WAV)');
        else skip(rel, 'not a recording file (only .WAV and .ASR are read)');
        continue;
      }
      const base = m[1]!;
      const sec = Number(base);
      if (sec < MIN_START_SEC || sec > MAX_START_SEC) {
        skip(rel, `its name ${base} is not a believable start time (outside the years 2000 to 2100)`);
        continue;
      }
      const key = `${dd.folder}/${dd.date}/${base}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { folder: dd.folder, date: dd.date, relDir: dd.rel, base }));
      const ext = m[2]!.toLowerCase() as 'wav' | 'asr';
      if (g[ext]) {
        skip(
          rel,
          `a second ${ext.toUpperCase()} file for the same recording (names differ only in case); the first one is used`,
        );
        continue;
      }
      // Placeholder until stat; filled below.
      g[ext] = { relPath: rel, abs: path.join(dd.abs, name), size: -1, mtimeMs: 0 };
      toStat.push({ group: g, ext, rel, abs: path.join(dd.abs, name) });
    }
  }

  // One lstat per file.
  const t0 = now();
  const recent: { group: Group; ext: 'wav' | 'asr'; size: number; mtimeMs: number }[] = [];
  for (const item of toStat) {
    if (slicer.due()) await slicer.yield();
    const { group, ext, rel, abs } = item;
    let st;
    try {
      st = fss.lstatSync(abs);
    } catch (err) {
      delete group[ext];
      skip(rel, `it could not be read (${(err as NodeJS.ErrnoException).code ?? err})`);
      continue;
    }
    if (st.isSymbolicLink()) {
      delete group[ext];
      skip(rel, 'it is a symbolic link; links on a recorder are never followed');
      continue;
    }
    if (!st.isFile()) {
      delete group[ext];
      skip(rel, 'not a regular file');
      continue;
    }
    const age = Math.abs(t0 - st.mtimeMs);
    if (age < busyWindowMs) {
      // The whole recording waits, not just this file (see the top of this file).
      group.unsettled ??= `${rel.split('/').pop()} is still being written (changed ${Math.round(age / 1000)} s ago)`;
      continue;
    }
    if (st.size === 0) {
      delete group[ext];
      skip(rel, 'it is empty (0 bytes)');
      continue;
    }
    group[ext] = { relPath: rel, abs, size: st.size, mtimeMs: st.mtimeMs };
    if (age < restatWindowMs) recent.push({ group, ext, size: st.size, mtimeMs: st.mtimeMs });
  }

  // Second look at recently changed files only: a file that still grows is not ready.
  if (recent.length) {
    await new Promise((r) => setTimeout(r, restatDelayMs));
    await mapPool(recent, 8, async ({ group, ext, size, mtimeMs }) => {
      const f = group[ext];
      if (!f) return;
      try {
        const st = await fs.lstat(f.abs);
        if (st.size !== size || st.mtimeMs !== mtimeMs) {
          group.unsettled ??= `${f.relPath.split('/').pop()} is still growing (${size} then ${st.size} bytes)`;
        }
      } catch (err) {
        delete group[ext];
        skip(f.relPath, `it could not be read (${(err as NodeJS.ErrnoException).code ?? err})`);
      }
    });
  }

  // Headers, and build the Recording.
  const recordings: Recording[] = [];
  const unsettled: SkippedEntry[] = [];
  let knownUnchanged = 0;
  for (const g of groups.values()) {
    if (slicer.due()) await slicer.yield();
    if (g.unsettled) {
      unsettled.push({
        relPath: `${g.relDir}/${g.base}`,
        reason: `${g.unsettled}; the recording is copied once all its files have settled`,
      });
      continue;
    }
    let asr: Recording['asr'];
    let wav: Recording['wav'];
    let asrMs: number | undefined;
    let wavMs: number | undefined;
    const relBase = `${g.relDir}/${g.base}`;
    // The take whose files are exactly these (the same files present, the same sizes and times), if any. (The same
    // comparison as recording/identity.ts sameFiles: the devices part may not import the recording part.)
    const same = (k: { size: number; mtimeMs: number } | undefined, f: FileSeen | undefined) =>
      k === undefined || f === undefined ? k === f : k.size === f.size && k.mtimeMs === f.mtimeMs;
    const seen = opts.known?.(relBase).find((k) => same(k.wav, g.wav) && same(k.asr, g.asr));
    if (seen) {
      knownUnchanged++;
      if (g.wav) wav = { relPath: g.wav.relPath, size: g.wav.size, mtimeMs: g.wav.mtimeMs };
      if (g.asr) asr = { relPath: g.asr.relPath, size: g.asr.size, mtimeMs: g.asr.mtimeMs, format: seen.asr!.format };
      asrMs = seen.durationMs;
    } else if (g.asr) {
      try {
        const r = asrInfo(g.asr);
        const i = r instanceof Promise ? await r : r;
        asr = { relPath: g.asr.relPath, size: g.asr.size, mtimeMs: g.asr.mtimeMs, format: i.format };
        asrMs = i.durationMs;
      } catch (err) {
        skip(g.asr.relPath, plainError(err));
      }
    }
    if (g.wav && !seen) {
      try {
        const r = wavInfo(g.wav);
        const i = r instanceof Promise ? await r : r;
        if (i.dataBytes === 0)
          throw new AudioFormatError('WAV_NO_DATA', 'The WAV file holds no audio after its header.', g.wav.abs);
        wav = { relPath: g.wav.relPath, size: g.wav.size, mtimeMs: g.wav.mtimeMs };
        wavMs = i.durationMs;
        if (i.headerDataBytes !== undefined) {
          notes.push({
            relPath: g.wav.relPath,
            reason: `its header announces ${i.headerDataBytes} bytes of audio but ${i.dataBytes} are present; the audio present is used`,
          });
        }
      } catch (err) {
        skip(g.wav.relPath, plainError(err));
      }
    }
    if (!asr && !wav) continue;
    const startMs = Number(g.base) * 1000;
    const durationMs = asrMs ?? wavMs ?? 0;
    const rec: Recording = {
      key: `${sn}/${g.folder}/${g.date}/${g.base}`,
      sn,
      kind: KIND_OF_FOLDER[g.folder],
      relBase,
      startMs,
      durationMs,
      endMs: startMs + durationMs,
    };
    if (wav) rec.wav = wav;
    if (asr) rec.asr = asr;
    recordings.push(rec);
  }
  recordings.sort((a, b) => a.startMs - b.startMs || a.key.localeCompare(b.key));
  skipped.sort((a, b) => a.relPath.localeCompare(b.relPath));
  unsettled.sort((a, b) => a.relPath.localeCompare(b.relPath));
  return { recordings, skipped, unsettled, notes, knownUnchanged };
}
