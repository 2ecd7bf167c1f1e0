// The part MD5 is checked against the ETag S3 answers: bytes damaged on their way are caught. Once: the part is sent
// again and the cloud object is byte-identical. Always: the upload fails with a part-failed error naming the ETag.
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PlaudCloudClient } from '../../../main/sync/cloud/client.js';
import { MultipartUploader, UploadError, type UploadJob } from '../../../main/sync/upload/uploader.js';
import { MiB, makeOpusLike, useEmulatorAndDir } from './helpers.js';

const ctx = useEmulatorAndDir('plaud-etag-');
let two: string; // two parts: the second is checked with its own MD5
let one: string; // one part: checked against the file's MD5 known from the pull
beforeAll(async () => {
  two = await makeOpusLike(ctx.dir, 'two.opus', 5 * MiB + 4321);
  one = await makeOpusLike(ctx.dir, 'one.opus', 200 * 1024);
});
afterEach(() => ctx.emu.faults.clear());

const job = (file: string, extra: Partial<UploadJob> = {}): UploadJob => ({
  path: file,
  filetype: 'opus',
  snType: 'note',
  sn: '880123456789012345',
  startTime: 1_709_280_000_000,
  durationMs: 60_000,
  ...extra,
});
const uploader = () =>
  new MultipartUploader(
    new PlaudCloudClient({ apiBase: ctx.emu.baseUrl, credentials: { kind: 'token', token: ctx.emu.token } }),
    { backoff: { baseMs: 5, maxMs: 20 }, maxPartTries: 3 },
  );
const puts = (n: number) =>
  ctx.emu.requests().filter((r) => r.kind === 's3' && r.partNumber === n && r.status === 200).length;

describe('ETag check of every part', () => {
  it.each([
    ['a part of a multi-part file', () => two, 2, {}],
    ['a one-part file with its MD5 known', () => one, 1, { md5: 'from-pull' }],
  ])(
    '%s damaged once on its way is sent again; the cloud object is byte-identical',
    async (_what, file, part, extra) => {
      const f = file();
      const md5 =
        'md5' in extra
          ? createHash('md5')
              .update(await fs.readFile(f))
              .digest('hex')
          : undefined;
      const before = puts(part);
      ctx.emu.faults.corruptPart(part, { times: 1 });
      const r = await uploader().upload(job(f, md5 ? { md5 } : {}));
      expect(puts(part) - before).toBe(2);
      expect((await ctx.emu.getObject(r.fileId)).equals(await fs.readFile(f))).toBe(true);
    },
  );

  it('damaged every time: a part-failed error that names the ETag', async () => {
    ctx.emu.faults.corruptPart(2, { times: Infinity });
    const err = await uploader()
      .upload(job(two))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect(err).toMatchObject({ reason: 'part-failed' });
    expect((err as Error).message).toMatch(
      /Uploading part 2 failed after 3 tries: .*stored different bytes than were sent \(ETag mismatch: it answered ETag "[0-9a-f]{32}", the MD5 of the part is [0-9a-f]{32}\)/,
    );
  });
});
