// Child process for the lock and kill -9 tests (run with `node --import tsx`).
//   hold  DIR           open the ledger, print "ready", keep it open until killed
//   diskfull DIR        fill the (tmpfs) DIR until ENOSPC while changing records; print a JSON report
//   churn DIR SEED [group]  open the ledger (group: background fsyncs, as the engine does), then change records
// forever; before each write print
//                       "intent <id> <state>", after the write returns "committed <id> <state>"
// <state> is "<state>/<parts>/<deviceDelete>" so upload parts and the delete marker are checked too.
import fs from 'node:fs';
import { openLedger, recordingId, type LedgerRecord } from '../../../main/sync/ledger/index.js';
import { DEVICE, pulledPatch, recording, uploadPatch } from './fixtures.js';

const [mode, dir, seedArg, durability] = process.argv.slice(2);
const out = (line: string) => fs.writeSync(1, line + '\n');

export function describeRecord(r: Pick<LedgerRecord, 'state' | 'upload' | 'deviceDelete'>): string {
  return `${r.state}/${r.upload?.parts.length ?? 0}/${r.deviceDelete?.state ?? '-'}`;
}

// Small deterministic PRNG so a failing trial can be replayed from its seed.
let seed = Number(seedArg ?? 1) >>> 0 || 1;
const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;

async function main() {
  if (mode === 'hold') {
    await openLedger(dir!);
    out('ready');
    setInterval(() => {}, 1000);
    return;
  }
  // Small compaction threshold so kills also land during snapshot writes.
  const group = durability === 'group';
  const l = await openLedger(dir!, { compactEntries: 12, durability: group ? 'group' : 'each' });
  out('ready');
  let writes = 0;
  const index = (r: LedgerRecord) => Number(r.relBase.split('/').pop()) / 3600 - 1_709_280_000 / 3600;
  for (;;) {
    const open = l
      .all()
      .filter((r) => !(r.state === 'synced' && r.deviceDelete?.state === 'done') && r.state !== 'skipped');
    if (open.length < 8) {
      const i = l.size;
      const rec = recording(i);
      out(`intent ${recordIdFor(i)} discovered/0/-`);
      const r = l.discover(rec, DEVICE);
      out(`committed ${r.id} ${describeRecord(r)}`);
      continue;
    }
    const r = open[Math.floor(rand() * open.length)]!;
    const i = index(r);
    let next: () => LedgerRecord;
    let intent: string;
    const parts = r.upload?.parts.length ?? 0;
    switch (r.state) {
      case 'discovered':
        [intent, next] = ['pulling/0/-', () => l.transition(r.id, 'pulling')];
        break;
      case 'pulling':
        [intent, next] = ['pulled/0/-', () => l.transition(r.id, 'pulled', pulledPatch(recording(i), i))];
        break;
      case 'pulled':
        [intent, next] = ['uploading/0/-', () => l.transition(r.id, 'uploading', uploadPatch(i))];
        break;
      case 'uploading':
        if (parts < 3)
          [intent, next] = [
            `uploading/${parts + 1}/-`,
            () => l.recordPart(r.id, parts + 1, `"etag-${i}-${parts + 1}"`),
          ];
        else if (rand() < 0.2) [intent, next] = ['pulled/0/-', () => l.transition(r.id, 'pulled')];
        else [intent, next] = [`completing/${parts}/-`, () => l.transition(r.id, 'completing')];
        break;
      case 'completing':
        if (rand() < 0.3)
          [intent, next] = [
            `failed/${parts}/-`,
            () =>
              l.transition(r.id, 'failed', {
                reason: 'server error 500',
                code: 'server-error',
                nextTryAt: Date.now() + 1000,
              }),
          ];
        else [intent, next] = [`synced/${parts}/-`, () => l.transition(r.id, 'synced', { cloudFileId: `cloud-${i}` })];
        break;
      case 'failed':
        [intent, next] = [`completing/${parts}/-`, () => l.transition(r.id, 'completing')];
        break;
      default: // synced
        [intent, next] = [
          `synced/${parts}/${r.deviceDelete ? 'done' : 'pending'}`,
          () => l.markDeviceDelete(r.id, r.deviceDelete ? 'done' : 'pending'),
        ];
    }
    out(`intent ${r.id} ${intent}`);
    const after = next();
    out(`committed ${after.id} ${describeRecord(after)}`);
    // Group mode: let the background fsyncs run (and race the compactions) as the engine's event loop does.
    if (group && ++writes % 3 === 0) await (writes % 2 ? l.flushed() : new Promise((r) => setImmediate(r)));
  }
}

function recordIdFor(i: number): string {
  const rec = recording(i);
  return recordingId(rec.sn, rec.relBase);
}

/** diskfull DIR: DIR is a small, fresh tmpfs. Fill it, hit ENOSPC, free it, carry on; print one JSON report. */
async function diskFull() {
  const path = await import('node:path');
  const ldir = path.join(dir!, 'ledger');
  const l = await openLedger(ldir);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(l.discover(recording(i), DEVICE).id);
  const journal = path.join(ldir, 'ledger.journal');
  const filler = path.join(dir!, 'filler.bin');
  const fd = fs.openSync(filler, 'w');
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(4096, 1));
  } catch {
    /* full */
  }
  fs.closeSync(fd);
  let error = '';
  let errorName = '';
  let committed = 0;
  const states: string[] = [];
  for (let i = 0; i < 500 && !error; i++) {
    try {
      const r = l.transition(ids[0]!, i % 2 === 0 ? 'pulling' : 'discovered');
      states.push(r.state);
      committed++;
    } catch (e) {
      error = (e as Error).message;
      errorName = (e as Error).name;
    }
  }
  const inMemory = l.get(ids[0]!)!.state;
  const journalText = fs.readFileSync(journal, 'utf8');
  fs.rmSync(filler);
  const after = l.transition(ids[0]!, inMemory === 'pulling' ? 'discovered' : 'pulling').state;
  l.transition(ids[1]!, 'pulling');
  l.transition(ids[1]!, 'pulled', pulledPatch(recording(1), 1));
  l.close();
  const again = await openLedger(ldir);
  out(
    JSON.stringify({
      error,
      errorName,
      committed,
      lastCommitted: states.at(-1),
      inMemory,
      journalEndsClean: journalText.endsWith('\n'),
      after,
      reloaded: [again.get(ids[0]!)?.state, again.get(ids[1]!)?.state, again.size],
    }),
  );
  again.close();
}

if (mode === 'hold' || mode === 'churn') await main();
if (mode === 'diskfull') await diskFull();
