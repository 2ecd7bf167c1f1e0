import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LEDGER_VERSION, LedgerCorruptError, openLedger } from '../../../main/sync/ledger/index.js';
import { MIGRATIONS } from '../../../main/sync/ledger/migrations.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'v0-ledger.json');
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-mig-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('format versions and migrations', () => {
  it('has a migration for every version below the current one', () => {
    for (let v = 0; v < LEDGER_VERSION; v++) expect(MIGRATIONS.some((m) => m.from === v)).toBe(true);
  });

  it('migrates a v0 ledger.json, keeps the original, and the result survives a reopen', async () => {
    fs.copyFileSync(fixture, path.join(dir, 'ledger.json'));
    const original = fs.readFileSync(fixture);
    let l = await openLedger(dir);
    expect(l.size).toBe(4);
    const [synced] = l.takesOf('888123456789012345', 'NOTES/20240301/1709280000');
    expect(synced).toMatchObject({
      id: '888123456789012345/NOTES/20240301/1709280000',
      take: 1,
      state: 'synced',
      sn_type: 'note',
      deviceId: 'note:888123456789012345',
      kind: 'note',
      startMs: 1709280000000,
      durationMs: 60000,
      endMs: 1709280060000,
      synced: { cloudFileId: 'f-0001', syncedAt: 1709290000000, possibleDuplicate: false },
    });
    expect(synced!.pulled?.upload).toMatchObject({ md5: '9e107d9d372bb6826bd81d3542a419d6', filetype: 'mp3' });
    const [call] = l.takesOf('888123456789012345', 'CALLS/20240302/1709366400');
    expect(call).toMatchObject({
      state: 'pulled',
      kind: 'call',
      source: { asr: { format: 'raw-opus', size: 480000 } },
    });
    expect(call!.pulled?.upload.filetype).toBe('opus');
    const [err] = l.takesOf('882000000000000001', 'NOTES/20240303/1709452800');
    expect(err).toMatchObject({
      state: 'failed',
      sn_type: 'notepin',
      attempts: 1,
      failure: { reason: 'device unplugged during copy', nextTryAt: null },
    });
    // An interrupted v0 copy is not trusted: it is pulled again.
    expect(l.takesOf('882000000000000001', 'NOTES/20240304/1709539200')[0]?.state).toBe('discovered');
    // Migrated records take part in the state machine like any other.
    l.transition(err!.id, 'discovered');
    l.close();

    const kept = fs.readdirSync(dir).filter((f) => f.startsWith('ledger.json.v0-migrated-'));
    expect(kept).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, kept[0]!)).equals(original)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'ledger.json'))).toBe(false);
    const head = fs.readFileSync(path.join(dir, 'ledger.snapshot'), 'utf8').split('\n')[0]!;
    expect(JSON.parse(head.slice(9))).toMatchObject({ version: LEDGER_VERSION });

    l = await openLedger(dir);
    expect(l.size).toBe(4);
    expect(l.get(err!.id)?.state).toBe('discovered');
    l.close();
  });

  it('reports a damaged v0 file instead of starting empty', async () => {
    fs.writeFileSync(path.join(dir, 'ledger.json'), '{"version":0,"recordings":{"a":');
    await expect(openLedger(dir)).rejects.toThrow(LedgerCorruptError);
    expect(fs.readFileSync(path.join(dir, 'ledger.json'), 'utf8')).toBe('{"version":0,"recordings":{"a":');
    expect(fs.existsSync(path.join(dir, 'ledger.snapshot'))).toBe(false);
  });
});
