// A ledger owner that was killed but not yet reaped (a zombie) holds nothing: the next process takes the ledger
// over at once instead of saying it is "in use by another Plaud Sync process".
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerLockedError, openLedger } from '../../../main/sync/ledger/index.js';

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child-writer.ts');
const onLinux = process.platform === 'linux';
if (!onLinux) console.warn('zombie lock test skipped: it reads /proc/PID/stat, which only Linux has');
let parent: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (parent && parent.exitCode === null && parent.signalCode === null) {
    const gone = new Promise((r) => parent!.once('exit', r));
    parent.kill('SIGKILL'); // the zombie goes with its parent (init reaps it)
    await gone;
  }
  parent = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function procState(pid: number): string | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

describe.skipIf(!onLinux)('ledger lock and a zombie owner', () => {
  it('takes over a lock whose owner was killed but not reaped', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-zombie-'));
    // The shell starts the holder, prints its pid, then becomes `sleep`, which never reaps children: once the
    // holder is killed it stays a zombie for as long as the sleep runs.
    parent = spawn(
      'sh',
      ['-c', `"${process.execPath}" --import tsx "${childScript}" hold "${dir}" & echo "pid $!"; exec sleep 120`],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const holder = await new Promise<number>((resolve, reject) => {
      let out = '';
      let pid: number | undefined;
      parent!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        pid ??= Number(/pid (\d+)/.exec(out)?.[1]) || undefined;
        if (pid && out.includes('ready')) resolve(pid);
      });
      parent!.once('exit', (code) => reject(new Error(`holder's parent exited early (${code}): ${out}`)));
    });
    const locked = await openLedger(dir).catch((e: unknown) => e);
    expect(locked).toBeInstanceOf(LedgerLockedError);

    process.kill(holder, 'SIGKILL');
    const t0 = Date.now();
    while (procState(holder) !== 'Z' && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(procState(holder)).toBe('Z');
    expect(() => process.kill(holder, 0)).not.toThrow(); // why the old check said "alive"

    const ledger = await openLedger(dir);
    ledger.close();
  }, 60_000);
});
