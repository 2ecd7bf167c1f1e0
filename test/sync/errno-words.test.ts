// One system error reads the same wherever it is reported: the ledger, the library and the upload file all take
// their words from main/sync/errno-words.ts. The errors here come from the real filesystem (a missing path, a file in
// the way, a read-only FAT volume over FUSE); codes a test cannot provoke safely here (a full disk, permission as
// root) are given as Node's error shape, which is what the callers receive.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errnoCode, errnoMeaning } from '../../main/sync/errno-words.js';
import { LedgerUnavailableError, LedgerWriteError } from '../../main/sync/ledger/errors.js';
import { libraryWriteError, sourceError } from '../../main/sync/library/errors.js';
import { prepareUploadFile } from '../../main/sync/audio/prepare.js';
import { makeDeviceAsr } from '../support/fixtures/audio.js';
import { fuseUnavailableReason, makeFatImage, mountFat } from '../support/fuse.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'errno-words-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The error a real call throws. */
function thrown(f: () => unknown): NodeJS.ErrnoException {
  try {
    f();
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error('expected the call to throw');
}

const errno = (code: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: simulated by the caller's shape`), { code });

describe('errnoMeaning', () => {
  const file = path.join(work, 'a-file');
  fs.writeFileSync(file, 'x');

  it('names real filesystem errors in plain words, with their code and kind', () => {
    expect(errnoMeaning(thrown(() => fs.readFileSync(path.join(work, 'nope'))))).toEqual({
      code: 'ENOENT',
      kind: 'missing',
      words: 'the file or folder is not there',
    });
    expect(errnoMeaning(thrown(() => fs.mkdirSync(path.join(file, 'sub'))))).toMatchObject({
      code: 'ENOTDIR',
      kind: 'in-the-way',
    });
    expect(errnoMeaning(thrown(() => fs.mkdirSync(work)))).toMatchObject({ code: 'EEXIST', kind: 'in-the-way' });
  });

  it('answers nothing for what the table does not cover, or for kinds the caller did not ask for', () => {
    expect(errnoMeaning(new Error('plain'))).toBeUndefined();
    expect(errnoMeaning(errno('ECONNREFUSED'))).toBeUndefined();
    expect(errnoMeaning(undefined)).toBeUndefined();
    expect(errnoMeaning(errno('toString'))).toBeUndefined(); // a code is looked up as data, never as a property
    expect(errnoMeaning(errno('ENOSPC'), ['permission'])).toBeUndefined();
    expect(errnoMeaning(errno('ENOSPC'), ['disk-full'])).toMatchObject({
      kind: 'disk-full',
      words: 'the disk is full',
    });
    expect(errnoCode({ code: 42 })).toBeUndefined();
  });
});

describe('one cause, one wording, in every error that reports it', () => {
  const causes = ['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO'].map(errno);
  causes.push(thrown(() => fs.mkdirSync(path.join(work, 'a-file', 'sub'))));

  it('the ledger says the same words for every code the table knows', () => {
    for (const c of causes) {
      const words = errnoMeaning(c)!.words;
      expect(new LedgerWriteError('/s/ledger.journal', c).message).toBe(
        `Could not save the sync ledger (/s/ledger.journal): ${words}. The last change was not saved; free some space or fix the disk, then restart.`,
      );
      expect(new LedgerUnavailableError('/s', c).message).toContain(`Cannot open the sync ledger in /s: ${words}.`);
    }
    // An unknown cause keeps its own message: nothing is lost.
    expect(new LedgerWriteError('/s/j', new Error('odd failure')).message).toContain(': odd failure.');
  });

  it('the library names the words and the code of an unwritable folder and of any other failure', () => {
    for (const code of ['EROFS', 'EACCES', 'EPERM']) {
      const e = libraryWriteError(errno(code), '/lib', 'the recording');
      expect(e.code).toBe('LIBRARY_UNWRITABLE');
      expect(e.message).toContain(`cannot be written: ${errnoMeaning(errno(code))!.words} (${code})`);
    }
    expect(libraryWriteError(errno('ENOSPC'), '/lib', 'x').code).toBe('DISK_FULL');
    expect(libraryWriteError(errno('EIO'), '/lib', 'x').message).toContain(
      `(${errnoMeaning(errno('EIO'))!.words}, EIO)`,
    );
    // Read from the recorder: a vanished file or a dead device is the recorder going away; a refusal is not.
    for (const code of ['EIO', 'ENOENT', 'ESTALE', 'EBADF'])
      expect(sourceError(errno(code), 'x').code).toBe('DEVICE_GONE');
    const refused = sourceError(errno('EACCES'), 'the recording');
    expect(refused.code).toBe('IO');
    expect(refused.message).toBe('Could not read the recording from the recorder (permission denied, EACCES).');
  });

  const noFuse = fuseUnavailableReason();
  if (noFuse) console.warn(`read-only FAT volume test skipped: ${noFuse}`);
  it.skipIf(!!noFuse)(
    'the upload file on a read-only disk says so, with the same words, and keeps the code',
    async () => {
      const image = path.join(work, 'ro.img');
      await makeFatImage(image, 40, 'RO');
      const mnt = await mountFat(image, path.join(work, 'ro'), { readOnly: true });
      try {
        const asrPath = path.join(work, 'a.ASR');
        fs.writeFileSync(asrPath, await makeDeviceAsr(1));
        const destPath = path.join(mnt.dir, 'x.opus');
        const err = (await prepareUploadFile({ asrPath, format: 'opus', destPath }).catch(
          (e: unknown) => e,
        )) as NodeJS.ErrnoException;
        const m = errnoMeaning(err.cause);
        expect(m?.kind).toMatch(/read-only|permission/);
        expect(err.code).toBe(m!.code);
        expect(err.message).toBe(
          `${m!.words[0]!.toUpperCase()}${m!.words.slice(1)}: could not write the upload file ${destPath}.`,
        );
      } finally {
        await mnt.unmount();
      }
    },
    60_000,
  );
});
