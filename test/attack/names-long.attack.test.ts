// ATTACK (attack3): templateProblem accepts a pattern whose rendered file name is too long for the disk in bytes.
// safeSegment cuts a segment at 120 characters, not bytes: 100 CJK characters are 300 bytes in UTF-8 and ext4/APFS
// take 255. The setting is accepted (no words in Settings), and every pull then fails on the playable file.
import fs from 'node:fs/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { pullRecording } from '../../main/sync/library/pull.js';
import { renderName, SAMPLE_FIELDS, templateProblem } from '../../main/sync/library/names.js';
import type { Recording } from '../../main/sync/types.js';
import { TEST_SERIAL } from '../support/recorder.js';
import { scratchLibrary } from '../support/scratch-library.js';

let work: string;
let vol: string;
let lib: string;
let recs: Recording[];
const TEMPLATE = `{recorder}/{date} {time} ${'会議'.repeat(50)}`;

beforeEach(async () => {
  ({ work, vol, lib, recs } = await scratchLibrary([{ startSec: 1709280000, seconds: 1 }], 'attack3-'));
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

it('a pattern Settings accepts gives names the disk takes', async () => {
  expect(templateProblem(TEMPLATE)).toBeUndefined(); // accepted
  const last = renderName(TEMPLATE, SAMPLE_FIELDS).split('/').pop()!;
  console.log({ chars: last.length, bytes: Buffer.byteLength(`${last}.opus.part`) });
  const p = pullRecording({ sn: TEST_SERIAL, mountPath: vol }, recs[0]!, {
    libraryDir: lib,
    format: 'opus',
    nameTemplate: TEMPLATE,
  });
  await expect(p).resolves.toBeDefined(); // observed: rejects, "name too long"
});

it('a long name is cut by bytes at a character boundary, never inside a character', () => {
  for (const seg of renderName(TEMPLATE, SAMPLE_FIELDS).split('/')) {
    expect(Buffer.byteLength(seg)).toBeLessThanOrEqual(120);
    expect(seg).not.toContain('\uFFFD');
    expect(Buffer.from(seg).toString('utf8')).toBe(seg);
  }
});
