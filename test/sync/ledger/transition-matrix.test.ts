// Every move the documented state machine does not allow throws and leaves the record exactly as it was, in memory
// and on disk. The allowed table is written out here on purpose, not read from TRANSITIONS: a move slipped into the
// code (say uploading -> synced, skipping completing) must fail this test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  IllegalTransitionError,
  openLedger,
  type Ledger,
  type RecordState,
  type TransitionPatch,
} from '../../../main/sync/ledger/index.js';
import { DEVICE, pulledPatch, recording, uploadPatch } from './fixtures.js';

const STATES: RecordState[] = [
  'discovered',
  'pulling',
  'pulled',
  'uploading',
  'completing',
  'synced',
  'failed',
  'skipped',
];
const ALLOWED: Record<RecordState, RecordState[]> = {
  discovered: ['pulling', 'failed', 'skipped'],
  pulling: ['pulled', 'discovered', 'failed', 'skipped'],
  // -> discovered: a partner file or a longer version appeared before the upload began (recording model);
  // -> synced: the library's manifest says the cloud already has the take (library as the second source of truth).
  pulled: ['uploading', 'synced', 'discovered', 'failed', 'skipped'],
  uploading: ['completing', 'pulled', 'failed'],
  completing: ['synced', 'pulled', 'failed'],
  synced: [],
  failed: ['failed', 'discovered', 'pulling', 'pulled', 'uploading', 'completing', 'skipped'],
  skipped: ['discovered'],
};
/** Everything any move could ask for, so only the state machine itself can refuse. */
const fullPatch = (i: number): TransitionPatch => ({
  ...pulledPatch(recording(i), i),
  ...uploadPatch(i),
  cloudFileId: `cloud-${i}`,
  reason: 'test',
  code: 'test',
});
/** A legal path from discovered to each state. */
const PATH_TO: Record<RecordState, RecordState[]> = {
  discovered: [],
  pulling: ['pulling'],
  pulled: ['pulling', 'pulled'],
  uploading: ['pulling', 'pulled', 'uploading'],
  completing: ['pulling', 'pulled', 'uploading', 'completing'],
  synced: ['pulling', 'pulled', 'uploading', 'completing', 'synced'],
  failed: ['pulling', 'pulled', 'uploading', 'failed'],
  skipped: ['skipped'],
};

let dir: string;
let ledger: Ledger;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-matrix-'));
  ledger = await openLedger(dir);
});
afterEach(() => {
  ledger.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function recordIn(state: RecordState): string {
  const i = ++n;
  const id = ledger.discover(recording(i), DEVICE).id;
  for (const step of PATH_TO[state]) ledger.transition(id, step, fullPatch(i));
  expect(ledger.get(id)!.state).toBe(state);
  return id;
}

describe('ledger transition matrix', () => {
  const forbidden = STATES.flatMap((from) =>
    STATES.filter((to) => !ALLOWED[from].includes(to)).map((to) => [from, to] as const),
  );
  const allowed = STATES.flatMap((from) => ALLOWED[from].map((to) => [from, to] as const));

  it('covers every pair of states', () => {
    expect(forbidden.length + allowed.length).toBe(STATES.length ** 2);
    expect(forbidden).toContainEqual(['uploading', 'synced']);
  });

  it.each(forbidden)('%s -> %s throws and changes nothing, not even on disk', async (from, to) => {
    const id = recordIn(from);
    const before = structuredClone(ledger.get(id));
    const journalBefore = fs.readFileSync(path.join(dir, 'ledger.journal'));
    expect(() => ledger.transition(id, to, fullPatch(n))).toThrow(IllegalTransitionError);
    expect(ledger.get(id)).toEqual(before);
    expect(fs.readFileSync(path.join(dir, 'ledger.journal')).equals(journalBefore)).toBe(true);
    ledger.close();
    ledger = await openLedger(dir);
    expect(ledger.get(id)).toEqual(before);
  });

  it.each(allowed)('%s -> %s is allowed', (from, to) => {
    const id = recordIn(from);
    expect(ledger.transition(id, to, fullPatch(n)).state).toBe(to);
  });
});
