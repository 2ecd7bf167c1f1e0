// Single-writer lock: a lock file holding the owner's pid. The app and the CLI daemon must never
// write the same ledger at once. A lock left by a dead process (crash, kill -9) is taken over.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LedgerLockedError } from './errors.js';
import type { Logger } from '../log.js';

interface LockInfo {
  pid: number;
  host: string;
  startedAt: number;
  /** Process start time from /proc (Linux), to tell a reused pid from the owner. */
  procStart?: string;
  app: string;
}

/** Ledger dirs this process holds (a second open in the same process is refused too). */
const heldHere = new Set<string>();

/** The fields of /proc/PID/stat after the ")" that ends the command name (field 3, the state, first). */
function procStatFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function procStart(pid: number): string | undefined {
  return procStatFields(pid)?.[19]; // field 22, starttime
}

/**
 * A killed process stays a zombie until its parent reaps it, and a zombie still answers kill(pid, 0). It holds
 * nothing any more, so a restart straight after a crash must not wait for the reaping (Linux: state Z or X).
 */
function isZombie(pid: number): boolean {
  const state = procStatFields(pid)?.[0];
  return state === 'Z' || state === 'X' || state === 'x';
}

function alive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true; // another machine (shared folder): cannot tell, assume alive
  if (info.pid === process.pid) return false; // not held here (checked before), so a leftover from a reused pid
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (isZombie(info.pid)) return false;
  if (info.procStart !== undefined) {
    const now = procStart(info.pid);
    if (now !== undefined && now !== info.procStart) return false; // pid reused by another process
  }
  return true;
}

export interface LockHandle {
  release(): void;
}

/** Take the single-writer lock file `name` in `dir` (the ledger's, or the library's: see the engine). */
export function acquireLock(dir: string, logger: Logger, name = 'ledger.lock'): LockHandle {
  const file = path.join(dir, name);
  const key = path.resolve(dir);
  if (heldHere.has(key)) throw new LedgerLockedError(file, process.pid, 'this same process');
  const mine: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: Date.now(),
    procStart: procStart(process.pid),
    app: process.argv[1] ?? 'node',
  };
  for (let tries = 0; tries < 5; tries++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      try {
        fs.writeSync(fd, JSON.stringify(mine) + '\n');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      heldHere.add(key);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          heldHere.delete(key);
          try {
            const now = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
            if (now.pid === mine.pid && now.startedAt === mine.startedAt) fs.unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let info: LockInfo | undefined;
    try {
      info = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    } catch {
      // Unreadable or half-written lock: its writer died between create and write (or is writing now).
      const st = safeStat(file);
      if (st && Date.now() - st.mtimeMs < 2000) {
        sleepMs(50);
        continue;
      }
    }
    if (info && typeof info.pid === 'number' && alive(info)) {
      throw new LedgerLockedError(
        file,
        info.pid,
        `${path.basename(info.app)} on ${info.host}, since ${new Date(info.startedAt).toISOString()}`,
      );
    }
    // Stale: move it aside atomically (only one taker can rename this file), then retry the create.
    const aside = `${file}.stale-${process.pid}-${Date.now()}`;
    try {
      fs.renameSync(file, aside);
    } catch {
      continue; // someone else moved it first; retry
    }
    let moved: LockInfo | undefined;
    try {
      moved = JSON.parse(fs.readFileSync(aside, 'utf8')) as LockInfo;
    } catch {
      /* unreadable: it was the stale one */
    }
    if (moved && info && (moved.pid !== info.pid || moved.startedAt !== info.startedAt)) {
      // Between our read and our rename another process took over and wrote a fresh lock: put it back.
      try {
        fs.linkSync(aside, file);
      } catch {
        /* a third process holds it now */
      }
      fs.rmSync(aside, { force: true });
      continue;
    }
    fs.rmSync(aside, { force: true });
    logger.warn('ledger: took over a stale lock', { lockFile: file, deadPid: info?.pid });
  }
  throw new LedgerLockedError(file, -1, 'another process that keeps re-taking the lock');
}

function safeStat(f: string): fs.Stats | undefined {
  try {
    return fs.statSync(f);
  } catch {
    return undefined;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
