// How what the recorder holds now relates to a known take, on real files: the cases a new user hit (a short recording
// cut shorter, a WAV gone and its ASR come) must not become a second take uploaded silently.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headOf, relate, type Fingerprint, type Role } from '../../../main/sync/recording/fingerprint.js';
import { makeDeviceAsr, makeDeviceWav } from '../../support/fixtures/audio.js';

let dir: string;
let wav: Buffer;
let asr: Buffer;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-relate-'));
  wav = await makeDeviceWav(3);
  asr = await makeDeviceAsr(3); // 12,000 bytes: under the 64 KiB head, like any recording under 16 s
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

async function fingerprint(files: Partial<Record<Role, Buffer>>): Promise<Fingerprint> {
  const fp: Fingerprint = {};
  for (const role of ['wav', 'asr'] as const) {
    const b = files[role];
    if (!b) continue;
    const f = path.join(dir, `known.${role}`);
    await fs.writeFile(f, b);
    fp[role] = await headOf(f, role);
  }
  return fp;
}

async function relateTo(known: Fingerprint, now: Partial<Record<Role, Buffer>>) {
  for (const role of ['wav', 'asr'] as const)
    if (now[role]) await fs.writeFile(path.join(dir, `now.${role}`), now[role]!);
  const sizes = Object.fromEntries(Object.entries(now).map(([r, b]) => [r, { size: b!.length }]));
  return relate(known, sizes, (role, len) => headOf(path.join(dir, `now.${role}`), role, len));
}

describe('relate', () => {
  it('the same files are the same take; a partner added is the same take', async () => {
    expect(await relateTo(await fingerprint({ wav, asr }), { wav, asr })).toBe('same');
    expect(await relateTo(await fingerprint({ wav }), { wav, asr })).toBe('partner-added');
  });

  it('a short recording cut shorter is the same take, changed (not another recording)', async () => {
    const known = await fingerprint({ wav, asr });
    expect(await relateTo(known, { wav, asr: asr.subarray(0, 8000) })).toBe('changed');
    expect(await relateTo(known, { wav: wav.subarray(0, 0x200 + 2 * 64_000), asr: asr.subarray(0, 8000) })).toBe(
      'changed',
    );
  });

  it('a different recording under the name is different, even cut to the same sizes', async () => {
    const known = await fingerprint({ wav, asr });
    const other = await makeDeviceAsr(6);
    expect(await relateTo(known, { wav, asr: other.subarray(12_000, 24_000) })).toBe('different');
  });

  it('no file in common (the WAV gone, the ASR come) is for the user to decide, not a silent new take', async () => {
    expect(await relateTo(await fingerprint({ wav }), { asr })).toBe('changed');
  });
});
