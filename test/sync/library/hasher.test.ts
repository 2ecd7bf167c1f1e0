import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createStreamHasher } from '../../../main/sync/library/hasher.js';

describe('createStreamHasher', () => {
  it('gives the real MD5 and CRC-32 for many chunks, with more jobs at once than workers, reusing one chunk buffer', async () => {
    const data = [randomBytes(5_000_000), randomBytes(3_333_333), randomBytes(1)];
    const jobs = data.map(async (d) => {
      const h = createStreamHasher();
      const chunk = Buffer.alloc(65536);
      for (let off = 0; off < d.length; off += chunk.length) {
        const n = d.copy(chunk, 0, off, Math.min(d.length, off + chunk.length));
        await h.update(chunk.subarray(0, n));
        chunk.fill(0xee); // the hasher must have taken its own copy
      }
      return h.digest();
    });
    const got = await Promise.all(jobs);
    expect(got).toEqual(data.map((d) => ({ md5: createHash('md5').update(d).digest('hex'), crc: crc32(d) })));
  });

  it('an abandoned job leaves the worker usable for the next one', async () => {
    const a = createStreamHasher();
    await a.update(Buffer.from('half a file'));
    a.abandon();
    const b = createStreamHasher();
    await b.update(Buffer.from('abc'));
    expect((await b.digest()).md5).toBe('900150983cd24fb0d6963f7d28e17f72');
  });
});
