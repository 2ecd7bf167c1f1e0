// The plain-words way out of a damaged ledger, as a user runs it: `plaud-sync recover-ledger`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LedgerCorruptError, ledgerDir, openLedger } from '../../../main/sync/ledger/index.js';
import { collect, spawnCli } from '../../support/cli.js';
import { DEVICE, recording } from './fixtures.js';

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-cli-'));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));

describe('plaud-sync recover-ledger', () => {
  it('rebuilds a damaged ledger from its readable records and names the kept files', { timeout: 60_000 }, async () => {
    const dir = ledgerDir(stateDir);
    const l = await openLedger(dir);
    for (let i = 0; i < 3; i++) l.discover(recording(i), DEVICE);
    l.close();
    const l2 = await openLedger(dir);
    const extra = l2.discover(recording(9), DEVICE);
    l2.transition(extra.id, 'pulling');
    l2.discover(recording(10), DEVICE);
    (l2 as unknown as { lock: { release(): void } }).lock.release();
    const journal = path.join(dir, 'ledger.journal');
    const lines = fs.readFileSync(journal, 'utf8').split('\n');
    lines[2] = lines[2]!.replace('"pulling"', '"PULLING"'); // line 3: the transition of recording 9
    fs.writeFileSync(journal, lines.join('\n'));
    await expect(openLedger(dir)).rejects.toBeInstanceOf(LedgerCorruptError);

    const res = await collect(spawnCli(['recover-ledger', '--state-dir', stateDir]));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Recovered 5 recording\(s\) into a clean ledger\./);
    expect(res.stdout).toMatch(
      /1 damaged line\(s\) could not be used:\n {2}.*ledger\.journal line 3: its checksum does not match/,
    );
    expect(res.stdout).toMatch(
      /The damaged files were kept as: .*ledger\.snapshot\.damaged-.*ledger\.journal\.damaged-/,
    );

    const again = await openLedger(dir);
    expect(again.size).toBe(5);
    expect(again.get(extra.id)?.state).toBe('discovered');
    again.close();
  });
});
