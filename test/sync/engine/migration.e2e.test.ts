// An existing user updates: the state folder and library made by the previous release (ledger format 1, records keyed
// by size, one recording uploaded twice by the bug this release fixes) are migrated, the recorder is plugged in, and
// nothing is uploaded, nothing is lost. The fixture was written by that release (fixtures/make-v1-state.ts).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncEngine } from '../../../main/sync/engine/engine.js';
import { readLedger, recordingId } from '../../../main/sync/ledger/index.js';
import { MemorySecretStore } from '../../../main/sync/secrets-memory.js';
import { defaultSettings, type Settings } from '../../../main/sync/settings.js';
import { startEmulator, type Emulator } from '../../support/emulator/index.js';
import { TestWatcher } from '../../support/test-watcher.js';
import { unreadableNames, visibleLibraryNames } from '../../support/library-names.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../ledger/fixtures/v1-state.tgz');
// The format-1 records hold absolute library paths, so the fixture lives where it was made.
const ROOT = '/tmp/plaud-v1-fixture';
const SERIAL = '888000000000000099';

describe('a format-1 state folder and library, migrated and synced', () => {
  let emu: Emulator;
  beforeAll(async () => {
    fs.rmSync(ROOT, { recursive: true, force: true });
    execFileSync('tar', ['xzf', FIXTURE, '-C', path.dirname(ROOT)]);
    emu = await startEmulator();
  });
  afterAll(async () => {
    await emu?.stop();
    fs.rmSync(ROOT, { recursive: true, force: true });
  });

  it('uploads nothing, keeps every cloud file it knew of, and counts recordings rather than records', async () => {
    const stateDir = path.join(ROOT, 'state');
    const ledgerDir = path.join(stateDir, 'ledger');
    // Before: four format-1 records for three recordings (the WAV-only one was uploaded again when its ASR came).
    const before = await readLedger(ledgerDir);
    expect(before).toHaveLength(3); // read as it will be after migration
    const snapHead = JSON.parse(
      fs.readFileSync(path.join(ledgerDir, 'ledger.snapshot'), 'utf8').split('\n')[0]!.slice(9),
    );
    expect(snapHead.version).toBe(1);
    const libraryBefore = listFiles(path.join(ROOT, 'library'));
    const libraryBeforeContents = contentsOf(
      path.join(ROOT, 'library'),
      libraryBefore.filter((n) => /\.(WAV|ASR|opus)$/.test(n)),
    );

    const watcher = new TestWatcher();
    const settings: Settings = {
      ...defaultSettings(path.join(ROOT, 'library')),
      apiBase: emu.baseUrl,
      credentials: { kind: 'token' },
    };
    const e = new SyncEngine({
      stateDir,
      settings,
      secrets: new MemorySecretStore({ apiToken: emu.token }),
      watcher,
      stateIntervalMs: 20,
    });
    await e.start();
    try {
      await watcher.plug(path.join(ROOT, 'recorder'));
      await new Promise((r) => setTimeout(r, 300));
      await e.whenIdle();
      expect(emu.files()).toHaveLength(0);
      const records = e.records();
      expect(records).toHaveLength(3);
      expect(records.every((r) => r.state === 'synced' && r.take === 1 && !r.id.includes('#'))).toBe(true);
      expect(e.getState().totals.synced).toBe(3);
      const doubled = records.find((r) => r.relBase.endsWith('/1720001200'))!;
      expect(doubled.id).toBe(recordingId(SERIAL, 'NOTES/20240703/1720001200'));
      // Both cloud files of the recording uploaded twice by the old release are remembered.
      expect(doubled.alsoUploaded).toHaveLength(1);
      expect(doubled.alsoUploaded![0]!.cloudFileId).not.toBe(doubled.synced!.cloudFileId);
    } finally {
      await e.stop();
    }
    // The old files are kept beside the new ones, and the new ledger is format 2.
    const names = fs.readdirSync(ledgerDir);
    expect(names.some((n) => /^ledger\.snapshot\.v1-.*\.bak$/.test(n))).toBe(true);
    const head = JSON.parse(fs.readFileSync(path.join(ledgerDir, 'ledger.snapshot'), 'utf8').split('\n')[0]!.slice(9));
    expect(head.version).toBe(2);
    // The library kept every audio file it had, byte for byte: the recorder's files moved into the hidden originals
    // folder, the playable files to readable names. Nothing was copied, so nothing is there twice.
    const lib = path.join(ROOT, 'library');
    const audio = (names: string[]) => names.filter((n) => /\.(WAV|ASR|opus)$/.test(n));
    expect(contentsOf(lib, audio(listFiles(lib)))).toEqual(libraryBeforeContents);
    for (const f of audio(libraryBefore).filter((n) => /\.(WAV|ASR)$/.test(n)))
      expect(fs.existsSync(path.join(lib, '.originals', f)), f).toBe(true);
    expect(fs.existsSync(path.join(lib, SERIAL))).toBe(false);
    expect(unreadableNames(lib)).toEqual([]);
    expect(visibleLibraryNames(lib)).toEqual([
      'Plaud Note 0099',
      ...['1720000000', '1720000600', '1720001200']
        .map((epoch) => {
          const d = new Date(Number(epoch) * 1000);
          const p2 = (n: number) => String(n).padStart(2, '0');
          const kind = epoch === '1720000600' ? 'Call' : 'Note';
          return `Plaud Note 0099/${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}.${p2(d.getMinutes())} ${kind}.opus`;
        })
        .sort(),
    ]);
    // The ledger followed the move: every path it keeps exists.
    for (const r of await readLedger(ledgerDir)) {
      expect(fs.existsSync(r.pulled!.upload.path), r.pulled!.upload.path).toBe(true);
      for (const f of r.pulled!.files) expect(fs.existsSync(f.libraryPath), f.libraryPath).toBe(true);
    }
  }, 60_000);
});

/** The MD5s of the files, sorted: the same audio, wherever it now lives. */
function contentsOf(dir: string, names: string[]): string[] {
  return names
    .map((n) =>
      createHash('md5')
        .update(fs.readFileSync(path.join(dir, n)))
        .digest('hex'),
    )
    .sort();
}

function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}
