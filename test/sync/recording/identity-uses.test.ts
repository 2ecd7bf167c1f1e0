// A recording's id is made by recordingId() (main/sync/recording/identity.ts) and nowhere else: an id spelled by hand
// in the app, a test or a benchmark drifts the day the format changes (it did once: format 1 had `#size`), and a test
// built on a hand-made id then checks a shape the app no longer makes.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecordingId, recordingId } from '../../../main/sync/recording/identity.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * The one place allowed to spell an id by hand besides identity.ts: reading format-1 ledgers, whose ids had `#size`.
 */
const ALLOWED = new Set(['main/sync/recording/identity.ts', 'main/sync/ledger/migrations.ts']);

/**
 * An `id` (or `...Id`) on the same line as a template that spells a recorder path: `${sn}/${relBase}`,
 * `${sn}/NOTES/...`.
 */
const HAND_MADE_ID = /(\bid|Id)\b.*`[^`]*(?:\/NOTES\/|\/CALLS\/|'NOTES'|'CALLS'|\$\{[^}]*relBase\})[^`]*`/;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

describe('recording ids', () => {
  it('the scanner finds a hand-made id in each form it was written in', () => {
    for (const line of [
      'id: `${d.sn}/${relBase}`,',
      "id: `${sn}/${k === 'call' ? 'CALLS' : 'NOTES'}/${s}`,",
      'expect(r.id).toBe(`${SERIAL}/NOTES/20240703/1`);',
      'id: `888/NOTES/20251101/${n}`,',
    ])
      expect(line, line).toMatch(HAND_MADE_ID);
    expect('id: recordingId(d.sn, relBase),').not.toMatch(HAND_MADE_ID);
    expect('libraryPath: `${lib}/${sn}/NOTES/x.WAV`,').not.toMatch(HAND_MADE_ID);
  });

  it('are made by recordingId() only, in main/, test/ and bench/', () => {
    const found = ['main', 'test', 'bench'].flatMap((d) =>
      sources(path.join(ROOT, d)).flatMap((file) => {
        const rel = path.relative(ROOT, file);
        if (ALLOWED.has(rel) || rel === path.relative(ROOT, import.meta.filename)) return [];
        return fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, i) => (HAND_MADE_ID.test(line) ? [`${rel}:${i + 1}: ${line.trim()}`] : []));
      }),
    );
    expect(found).toEqual([]);
  });

  it('recordingId and parseRecordingId are inverses for every take', () => {
    for (const take of [1, 2, 17]) {
      const id = recordingId('888317426694681884', 'CALLS/20240301/1709280000', take);
      expect(parseRecordingId(id)).toEqual({ sn: '888317426694681884', relBase: 'CALLS/20240301/1709280000', take });
    }
  });
});
