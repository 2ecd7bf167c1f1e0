import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerLockedError, openLedger } from '../../../main/sync/ledger/index.js';

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child-writer.ts');
let dir: string;
let child: ChildProcess | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-lock-'));
});
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }
  child = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

function startHolder(): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['--import', 'tsx', childScript, 'hold', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    c.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve(c));
    c.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
}

describe('single-writer lock', () => {
  it('refuses a second writer while a live process holds the ledger, then takes over once it is killed', async () => {
    child = await startHolder();
    const err = await openLedger(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LedgerLockedError);
    expect((err as LedgerLockedError).pid).toBe(child.pid);
    expect((err as Error).message).toMatch(
      new RegExp(`in use by another Plaud Sync process .*pid ${child.pid}.*quit the other one`),
    );
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    // The dead holder's lock is stale now: it is taken over.
    const l = await openLedger(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'ledger.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    l.close();
    expect(fs.existsSync(path.join(dir, 'ledger.lock'))).toBe(false);
  });

  it('refuses a second open in the same process', async () => {
    const l = await openLedger(dir);
    await expect(openLedger(dir)).rejects.toThrow(/this same process/);
    l.close();
    (await openLedger(dir)).close();
  });

  it('takes over a lock left by a dead pid, and one whose pid was reused by another process', async () => {
    // A pid that is surely not running: spawn and reap a short process, reuse its pid.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    fs.writeFileSync(
      path.join(dir, 'ledger.lock'),
      JSON.stringify({ pid: dead.pid, host: os.hostname(), startedAt: 1, app: 'x' }),
    );
    const warned: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => warned.push(m) };
    let l = await openLedger(dir, { logger });
    expect(warned).toContain('ledger: took over a stale lock');
    l.close();
    // Our parent is alive, but its process start time does not match the recorded one: a reused pid.
    if (fs.existsSync(`/proc/${process.ppid}/stat`)) {
      fs.writeFileSync(
        path.join(dir, 'ledger.lock'),
        JSON.stringify({ pid: process.ppid, host: os.hostname(), startedAt: 1, procStart: '1', app: 'x' }),
      );
      l = await openLedger(dir);
      l.close();
    }
    // The same live parent pid with no start time recorded is treated as alive.
    fs.writeFileSync(
      path.join(dir, 'ledger.lock'),
      JSON.stringify({ pid: process.ppid, host: os.hostname(), startedAt: 1, app: 'x' }),
    );
    await expect(openLedger(dir)).rejects.toBeInstanceOf(LedgerLockedError);
  });
});
