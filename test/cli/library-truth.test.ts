// The library as the second source of truth: its manifests record the cloud file id of each synced recording, so a
// fresh state folder over an existing library (a new computer, a reinstall) and a ledger that lost records to damage
// (recover-ledger) upload nothing the cloud already has.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { jsonLines, runCli } from '../support/cli.js';
import { layOutRecorder } from '../support/recorder.js';

const SERIAL = '888777000000000055';

describe('the library remembers what the cloud has', () => {
  let emu: Emulator;
  let tmp: string;
  let root: string;
  let library: string;

  beforeAll(async () => {
    emu = await startEmulator();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-cli-truth-'));
    root = path.join(tmp, 'media');
    library = path.join(tmp, 'library');
    await fs.mkdir(path.join(root, 'PLAUD_NOTE'), { recursive: true });
    await layOutRecorder(path.join(root, 'PLAUD_NOTE'), {
      serial: SERIAL,
      recordings: [
        { startSec: 1_725_000_000, seconds: 2 },
        { startSec: 1_725_000_700, seconds: 1, kind: 'call' },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await emu?.stop();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const sync = (state: string) =>
    runCli(
      ['sync', '--mount-root', root, '--state-dir', state, '--library', library, '--api-base', emu.baseUrl, '--json'],
      { env: { PLAUD_API_TOKEN: emu.token } },
    );
  const mine = () => emu.files().filter((f) => f.body.sn === SERIAL);

  it('records each cloud file id in the manifest; a fresh state folder over the library uploads nothing again', async () => {
    const a = path.join(tmp, 'state-a');
    const first = await sync(a);
    expect(first.code, first.stderr).toBe(0);
    expect(mine()).toHaveLength(2);
    const manifests = ((await fs.readdir(library, { recursive: true })) as string[]).filter((f) =>
      f.endsWith('.manifest.json'),
    );
    expect(manifests).toHaveLength(2);
    const ids = new Set(mine().map((f) => f.fileId));
    for (const m of manifests) {
      const doc = JSON.parse(await fs.readFile(path.join(library, m), 'utf8'));
      expect(ids.has(doc.cloud?.fileId), `${m} names its cloud file`).toBe(true);
      expect(doc.uploading).toBeUndefined();
    }

    const b = path.join(tmp, 'state-b');
    const again = await sync(b);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(jsonLines(again.stdout).at(-1)).toMatchObject({ type: 'summary', synced: 2, pending: 0 });
    expect(mine()).toHaveLength(2);
  }, 120_000);

  it('recover-ledger puts back what the damaged ledger lost from the library, and says what the next sync does', async () => {
    const a = path.join(tmp, 'state-a');
    const snap = path.join(a, 'ledger', 'ledger.snapshot');
    // Compact first so both records are in the snapshot, then damage one record's line.
    const lines = (await fs.readFile(snap, 'utf8')).split('\n');
    const i = lines.findIndex((l) => l.includes('"t":"rec"'));
    expect(i).toBeGreaterThan(0);
    lines[i] = lines[i]!.replace('"synced"', '"synceD"');
    await fs.writeFile(snap, lines.join('\n'));
    const broken = await runCli(['status', '--json', '--state-dir', a]);
    expect(broken.code).not.toBe(0);

    const rec = await runCli(['recover-ledger', '--state-dir', a, '--library', library, '--json']);
    expect(rec.code, rec.stderr).toBe(0);
    const report = JSON.parse(rec.stdout);
    expect(report.dropped.length).toBeGreaterThanOrEqual(1);
    expect(report).toMatchObject({
      restoredFromLibrary: { synced: 1, toUpload: 0 },
      nextSync: { upload: 0, alreadyInCloud: 1 },
      records: 2,
    });
    const human = await runCli(['status', '--state-dir', a]);
    expect(human.code).toBe(0);

    const after = await sync(a);
    expect(after.code, after.stderr + after.stdout).toBe(0);
    expect(mine()).toHaveLength(2);
  }, 120_000);

  it('a damaged manifest is kept aside, never overwritten silently, and the possible second upload is said', async () => {
    const files = ((await fs.readdir(library, { recursive: true })) as string[]).filter((f) =>
      f.endsWith('.manifest.json'),
    );
    const damaged = path.join(library, files[0]!);
    await fs.writeFile(damaged, '{garbage');
    const c = path.join(tmp, 'state-c');
    const res = await sync(c);
    const summary = jsonLines(res.stdout).at(-1)!;
    expect((summary.problems as { code: string }[]).map((p) => p.code)).toContain('possible-duplicate');
    const kept = (await fs.readdir(path.dirname(damaged))).filter((n) => n.includes('.manifest.json.unreadable-'));
    expect(kept).toHaveLength(1);
    expect(await fs.readFile(path.join(path.dirname(damaged), kept[0]!), 'utf8')).toBe('{garbage');
  }, 120_000);
});
