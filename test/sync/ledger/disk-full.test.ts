// A full disk while writing the ledger: the change is refused with a clear error, nothing half-written
// is left in the journal, and once space is free the ledger carries on. ENOSPC comes from a real,
// tiny tmpfs mounted in a private mount namespace (`unshare -rm`, no root needed where user
// namespaces are enabled). fusefat cannot be used here: it refuses writes to an existing file.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-full-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function canMountTmpfs(): string | undefined {
  const probe = path.join(work, 'probe');
  fs.mkdirSync(probe);
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1"', 'sh', probe], {
    encoding: 'utf8',
  });
  if (r.error) return `unshare is not installed (${r.error.message})`;
  if (r.status !== 0) return `cannot mount a tmpfs in a private namespace here: ${r.stderr.trim()}`;
  return undefined;
}
const why = process.platform === 'linux' ? canMountTmpfs() : 'needs Linux mount namespaces';
if (why) console.log(`skipping the ledger disk-full test: ${why}`);

describe.skipIf(!!why)('ledger on a full disk', () => {
  it('refuses the change with "the disk is full", keeps the journal clean, and continues once space is free', () => {
    const mnt = path.join(work, 'mnt');
    fs.mkdirSync(mnt);
    const r = spawnSync(
      'unshare',
      [
        '-rm',
        'sh',
        '-c',
        'mount -t tmpfs -o size=192k tmpfs "$1" && exec "$2" --import tsx "$3" diskfull "$1"',
        'sh',
        mnt,
        process.execPath,
        path.join(here, 'child-writer.ts'),
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      error: string;
      errorName: string;
      committed: number;
      lastCommitted: string;
      inMemory: string;
      journalEndsClean: boolean;
      after: string;
      reloaded: [string, string, number];
    };
    expect(report.errorName).toBe('LedgerWriteError');
    expect(report.error).toMatch(
      /Could not save the sync ledger \(.*ledger\.journal\): the disk is full\. The last change was not saved/,
    );
    // The refused change never reached memory; the journal has no partial line for the next append to follow.
    expect(report.inMemory).toBe(report.lastCommitted ?? 'discovered');
    expect(report.journalEndsClean).toBe(true);
    // After space is freed, the ledger goes on and a reload shows exactly the committed states.
    expect(report.after).not.toBe(report.inMemory);
    expect(report.reloaded).toEqual([report.after, 'pulled', 5]);
  });
});
