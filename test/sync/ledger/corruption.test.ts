// Bad state files are reported in plain words with file and line, never silently reset; recovery
// salvages every readable record and keeps the original bytes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LedgerCorruptError,
  LedgerVersionError,
  openLedger,
  recoverLedger,
  type Ledger,
} from '../../../main/sync/ledger/index.js';
import type { Logger } from '../../../main/sync/log.js';
import { DEVICE, pulledPatch, recording, simulateCrash } from './fixtures.js';

let dir: string;
let journal: string;
let snapshot: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-bad-'));
  journal = path.join(dir, 'ledger.journal');
  snapshot = path.join(dir, 'ledger.snapshot');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function memLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: string, f?: Record<string, unknown>) =>
    lines.push(`${level} ${msg} ${JSON.stringify(f ?? {})}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A ledger with n discovered + pulled records, written through the journal only (no compaction). */
async function build(n: number, opts: { compact?: boolean } = {}): Promise<string[]> {
  const l = await openLedger(dir);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const rec = recording(i);
    const { id } = l.discover(rec, DEVICE);
    l.transition(id, 'pulling');
    l.transition(id, 'pulled', pulledPatch(rec, i));
    ids.push(id);
  }
  if (opts.compact) l.compact();
  abandon(l);
  return ids;
}

/** Leave the ledger as a killed process would: files as they are, lock released. */
function abandon(l: Ledger): void {
  simulateCrash(l);
}

async function expectCorrupt(file: string, line: number | undefined, reason: RegExp): Promise<LedgerCorruptError> {
  const before = new Map([snapshot, journal].filter((f) => fs.existsSync(f)).map((f) => [f, fs.readFileSync(f)]));
  const err = await openLedger(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LedgerCorruptError);
  const e = err as LedgerCorruptError;
  expect(e.file).toBe(file);
  if (line !== undefined) expect(e.line).toBe(line);
  expect(e.message).toMatch(reason);
  expect(e.message).toContain(file);
  expect(e.message).toMatch(/Nothing was changed or deleted/);
  // Untouched, byte for byte, and the lock was released again.
  for (const [f, bytes] of before) expect(fs.readFileSync(f).equals(bytes)).toBe(true);
  expect(fs.existsSync(path.join(dir, 'ledger.lock'))).toBe(false);
  return e;
}

describe('a crash mid-append (torn last line)', () => {
  it('drops the torn last line with a log line, keeps everything before it, and appends cleanly after', async () => {
    const ids = await build(3);
    const full = fs.readFileSync(journal);
    // Cut the last line in half (no newline): the last transition's write never returned.
    fs.writeFileSync(journal, full.subarray(0, full.length - 40));
    const log = memLogger();
    let l = await openLedger(dir, { logger: log });
    expect(log.lines.some((x) => /dropped a partly written last journal line/.test(x) && x.includes('"line":10'))).toBe(
      true,
    );
    expect(l.get(ids[2]!)?.state).toBe('pulling');
    expect(l.get(ids[1]!)?.state).toBe('pulled');
    l.transition(ids[2]!, 'discovered');
    abandon(l);
    l = await openLedger(dir);
    expect(l.get(ids[2]!)?.state).toBe('discovered');
    l.close();
  });

  it('treats a complete-looking last line with a bad checksum (or NUL bytes after power loss) as torn', async () => {
    const ids = await build(2);
    fs.appendFileSync(journal, Buffer.alloc(300, 0));
    let l = await openLedger(dir);
    expect(l.get(ids[1]!)?.state).toBe('pulled');
    abandon(l);
    const text = fs.readFileSync(journal, 'utf8');
    expect(text.endsWith('\n') && !text.includes('\0')).toBe(true);
    fs.appendFileSync(journal, '0badc0de {"t":"put","s":99}\n');
    l = await openLedger(dir);
    expect(l.size).toBe(2);
    l.close();
  });
});

describe('damage is reported, never reset', () => {
  it('a bad checksum in the middle of the journal', async () => {
    await build(3);
    const lines = fs.readFileSync(journal, 'utf8').split('\n');
    lines[4] = lines[4]!.replace('"attempts":0', '"attempts":1');
    fs.writeFileSync(journal, lines.join('\n'));
    await expectCorrupt(journal, 5, /checksum does not match/);
  });

  it('garbage in the middle of the journal', async () => {
    await build(2);
    const lines = fs.readFileSync(journal, 'utf8').split('\n');
    lines.splice(3, 0, 'hello this is not a ledger line');
    fs.writeFileSync(journal, lines.join('\n'));
    await expectCorrupt(journal, 4, /not in ledger format/);
  });

  it('a missing change (gap in sequence numbers)', async () => {
    await build(2);
    const lines = fs.readFileSync(journal, 'utf8').split('\n');
    lines.splice(2, 1);
    fs.writeFileSync(journal, lines.join('\n'));
    await expectCorrupt(journal, 3, /change number is 3 where 2 was expected/);
  });

  it('a truncated snapshot', async () => {
    await build(5, { compact: true });
    const buf = fs.readFileSync(snapshot);
    fs.writeFileSync(snapshot, buf.subarray(0, Math.floor(buf.length * 0.6)));
    await expectCorrupt(snapshot, undefined, /cut short/);
    // Cut exactly at a line end: the missing end line still gives it away.
    const lines = buf.toString('utf8').split('\n');
    fs.writeFileSync(snapshot, lines.slice(0, 3).join('\n') + '\n');
    await expectCorrupt(snapshot, undefined, /cut short \(no end line; 2 of 5 records present\)/);
  });

  it('a garbage snapshot', async () => {
    await build(1, { compact: true });
    fs.writeFileSync(snapshot, 'PK\u0003\u0004 not a ledger at all\n');
    await expectCorrupt(snapshot, 1, /not in ledger format/);
  });

  it('a missing journal next to a snapshot', async () => {
    await build(1, { compact: true });
    fs.rmSync(journal);
    await expectCorrupt(journal, 0, /journal file is missing/);
  });

  it('a file from a newer version is refused, untouched, with "update" advice; recovery refuses too', async () => {
    await build(2, { compact: true });
    const text = fs.readFileSync(snapshot, 'utf8');
    const lines = text.split('\n');
    const { crc32 } = await import('node:zlib');
    const head = JSON.parse(lines[0]!.slice(9)) as Record<string, unknown>;
    head.version = 7;
    const json = JSON.stringify(head);
    lines[0] = `${crc32(json).toString(16).padStart(8, '0')} ${json}`;
    fs.writeFileSync(snapshot, lines.join('\n'));
    const e = await expectCorrupt(snapshot, 1, /newer version of Plaud Sync \(format 7; this version reads up to 2\)/);
    expect(e).toBeInstanceOf(LedgerVersionError);
    await expect(recoverLedger(dir)).rejects.toBeInstanceOf(LedgerVersionError);
  });
});

describe('a record that passes its checksum but not its checks (edited by hand, or a bug)', () => {
  it('is reported with file and line when first used, not silently accepted', async () => {
    const ids = await build(2);
    const { crc32 } = await import('node:zlib');
    const lines = fs.readFileSync(journal, 'utf8').split('\n');
    // Line 4 is record 0's move to "pulled": drop its verified copy and re-sign the line.
    const body = lines[3]!.slice(9);
    const [head, rec] = body.split('\t') as [string, string];
    const r = JSON.parse(rec) as Record<string, unknown>;
    delete r.pulled;
    const edited = `${head}\t${JSON.stringify(r)}`;
    lines[3] = `${crc32(edited).toString(16).padStart(8, '0')} ${edited}`;
    fs.writeFileSync(journal, lines.join('\n'));
    const l = await openLedger(dir);
    try {
      expect(l.get(ids[1]!)?.state).toBe('pulled');
      expect(() => l.get(ids[0]!)).toThrow(LedgerCorruptError);
      expect(() => l.get(ids[0]!)).toThrow(
        /ledger\.journal is damaged at line 4: the record is not valid \(pulled: missing for state pulled\)/,
      );
    } finally {
      l.close();
    }
  });
});

describe('recoverLedger', () => {
  it('salvages every valid record around a damaged line, keeps the damaged files, and the ledger opens again', async () => {
    const ids = await build(4, { compact: true });
    // More changes after the snapshot, then damage one in the middle of the journal.
    let l = await openLedger(dir);
    for (const id of ids) l.transition(id, 'failed', { reason: 'r' });
    abandon(l);
    const jLines = fs.readFileSync(journal, 'utf8').split('\n');
    jLines[2] = jLines[2]!.slice(0, 30) + 'XX' + jLines[2]!.slice(32); // record ids[1]'s failure
    fs.writeFileSync(journal, jLines.join('\n'));
    const damagedJournal = fs.readFileSync(journal);
    await expectCorrupt(journal, 3, /checksum/);

    const report = await recoverLedger(dir, { now: () => Date.UTC(2026, 10, 25, 12) });
    expect(report.records).toBe(4);
    expect(report.dropped).toEqual([
      { file: journal, line: 3, reason: expect.stringMatching(/checksum/) as unknown as string },
    ]);
    expect(report.keptFiles).toHaveLength(2);
    const keptJournal = report.keptFiles.find((f) => f.includes('ledger.journal.damaged-'))!;
    expect(fs.readFileSync(keptJournal).equals(damagedJournal)).toBe(true);

    l = await openLedger(dir);
    // ids[1]'s failure was the damaged line: it keeps its snapshot state; the others have theirs.
    expect(ids.map((id) => l.get(id)?.state)).toEqual(['failed', 'pulled', 'failed', 'failed']);
    l.close();
  });

  it('salvages the readable part of a truncated snapshot', async () => {
    await build(6, { compact: true });
    const buf = fs.readFileSync(snapshot);
    fs.writeFileSync(snapshot, buf.subarray(0, Math.floor(buf.length * 0.5)));
    const report = await recoverLedger(dir);
    expect(report.records).toBeGreaterThanOrEqual(2);
    expect(report.records).toBeLessThan(6);
    expect(report.dropped.length).toBeGreaterThan(0);
    const l = await openLedger(dir);
    expect(l.size).toBe(report.records);
    l.close();
  });
});
