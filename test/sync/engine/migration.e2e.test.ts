// An existing user updates: the state folder and library made by the previous release (ledger format 1, records keyed
// by size, one recording uploaded twice by the bug this release fixes) are migrated, the recorder is plugged in, and
// nothing is uploaded, nothing is lost. The fixture was written by that release (fixtures/make-v1-state.ts).
import { execFileSync } from 'node:child_process';
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
    // The library kept every file it had (new manifests may gain fingerprints; no audio file moved or vanished).
    const after = listFiles(path.join(ROOT, 'library'));
    for (const f of libraryBefore.filter((n) => !n.endsWith('.manifest.json'))) expect(after).toContain(f);
  }, 60_000);
});

function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}
