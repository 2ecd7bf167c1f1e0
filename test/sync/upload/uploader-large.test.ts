// One large upload (the only big-file test: the machine's cores are shared): 13 parts, with faults on the way.
import { promises as fs } from 'node:fs';
import { expect, it } from 'vitest';
import { PlaudCloudClient } from '../../../main/sync/cloud/client.js';
import { MultipartUploader, type UploadProgress } from '../../../main/sync/upload/uploader.js';
import { fileMd5 } from '../../../main/sync/upload/md5.js';
import { MiB, makeOpusLike, useEmulatorAndDir } from './helpers.js';

const ctx = useEmulatorAndDir();

it('uploads 61 MiB + 1 byte in 13 parts, byte-identical, through a 500 and a reset', { timeout: 180_000 }, async () => {
  const size = 61 * MiB + 1;
  const file = await makeOpusLike(ctx.dir, 'long-meeting.opus', size);
  const md5 = await fileMd5(file);
  ctx.emu.faults.failPart(7, { times: 1 });
  ctx.emu.faults.resetPart(12, { when: 'after' });
  const client = new PlaudCloudClient({
    apiBase: ctx.emu.baseUrl,
    credentials: { kind: 'token', token: ctx.emu.token },
  });
  let last: UploadProgress | undefined;
  const r = await new MultipartUploader(client, { concurrency: 4, backoff: { baseMs: 20, maxMs: 200 } }).upload(
    {
      path: file,
      filetype: 'opus',
      snType: 'notepro',
      sn: '881000000000000001',
      startTime: Date.UTC(2024, 5, 1),
      durationMs: 4 * 3600_000,
      md5,
    },
    {
      onProgress: (p) => {
        expect(p.bytesSent).toBeGreaterThanOrEqual(0);
        expect(p.bytesSent).toBeLessThanOrEqual(size);
        last = p;
      },
    },
  );
  expect(last).toMatchObject({ bytesSent: size, totalBytes: size, partsDone: 13, partsTotal: 13 });
  const stored = ctx.emu.files().filter((f) => f.fileId === r.fileId);
  expect(stored).toHaveLength(1);
  expect(stored[0]!.body.part_list.map((p: { PartNumber: number }) => p.PartNumber)).toEqual(
    Array.from({ length: 13 }, (_, i) => i + 1),
  );
  expect(stored[0]!.md5).toBe(md5);
  const puts = ctx.emu.requests().filter((q) => q.kind === 's3' && q.uploadId === r.uploadId);
  expect(puts.filter((q) => q.partNumber === 7).map((q) => q.status)).toEqual([500, 200]);
  const object = await ctx.emu.getObject(r.fileId);
  expect(object.equals(await fs.readFile(file))).toBe(true);
});
