// The whole-file MD5 complete-upload needs: one streaming pass, never the whole file in memory.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function fileMd5(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('md5');
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024, signal });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
