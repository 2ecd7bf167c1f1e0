// One PUT of one part's bytes to its presigned S3 URL. No auth header (the URL carries the signature),
// an exact Content-Length, byte progress as the socket takes the data, and an idle timeout so a stalled
// connection becomes a retryable error instead of a silent hang.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { CloudError, networkError, statusError } from '../cloud/errors.js';

const httpAgent = new http.Agent({ keepAlive: true });
const httpsAgent = new https.Agent({ keepAlive: true });
const SLICE = 256 * 1024;

export interface PutPartOptions {
  signal?: AbortSignal;
  /** No byte moving in either direction for this long fails the attempt. Default 60 s. */
  idleTimeoutMs?: number;
  /** Called with the number of newly sent bytes. */
  onBytes?: (n: number) => void;
  /** MD5 hex of `body`; when S3 answers a plain-MD5 ETag it must match (catches corruption in transit). */
  md5?: string;
  /**
   * When `md5` is an expectation known beforehand rather than a hash of `body` (a one-part file's MD5 from the
   * pull), this hashes `body` only if the ETag differs, to tell bytes changed in transit from a file changed on disk.
   */
  md5OfBody?: () => string;
}

/** PUT `body` to `url`; resolves with the ETag exactly as S3 returned it. Throws CloudError. */
export function putPart(url: string, body: Buffer, partNumber: number, opts: PutPartOptions = {}): Promise<string> {
  const what = `Uploading part ${partNumber}`;
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise<string>((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    let settled = false;
    const finish = (err: unknown, etag?: string) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(etag!);
    };
    const req = mod.request(u, {
      method: 'PUT',
      agent: u.protocol === 'https:' ? httpsAgent : httpAgent,
      headers: { 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream' },
    });
    const onAbort = () => {
      req.destroy();
      finish(opts.signal!.reason);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.setTimeout(opts.idleTimeoutMs ?? 60_000, () => {
      req.destroy();
      finish(
        new CloudError(
          'timeout',
          `${what} stalled: no progress for ${Math.round((opts.idleTimeoutMs ?? 60_000) / 1000)} s.`,
          { operation: what },
        ),
      );
    });
    req.on('error', (err) => finish(networkError(what, err)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (c: Buffer) => {
        if (kept < 4096) {
          chunks.push(c);
          kept += c.length;
        }
      });
      res.on('error', (err) => finish(networkError(what, err)));
      res.on('end', () => {
        if (status >= 200 && status < 300) {
          const etag = res.headers.etag;
          if (!etag)
            return finish(
              new CloudError('bad-response', `${what}: the storage server did not return an ETag.`, {
                operation: what,
                retryable: true,
              }),
            );
          const plain = /^"?([0-9a-fA-F]{32})"?$/.exec(etag);
          if (
            opts.md5 &&
            plain &&
            plain[1]!.toLowerCase() !== opts.md5 &&
            (!opts.md5OfBody || plain[1]!.toLowerCase() !== opts.md5OfBody())
          ) {
            return finish(
              new CloudError(
                'bad-response',
                `${what}: the storage server stored different bytes than were sent (ETag mismatch: it answered ETag ${etag}, the MD5 of the part is ${opts.md5}).`,
                { operation: what, retryable: true },
              ),
            );
          }
          return finish(null, etag);
        }
        const text = Buffer.concat(chunks).toString('utf8');
        const code = /<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1];
        const err = statusError(what, status, res.headers as Record<string, unknown>, code);
        // S3 says RequestTimeout (400) when our bytes came too slowly: worth another try.
        if (status === 400 && code === 'RequestTimeout') {
          return finish(
            new CloudError('timeout', `${what}: the storage server timed out waiting for data.`, {
              status,
              operation: what,
            }),
          );
        }
        finish(Object.assign(err, { s3Code: code }));
      });
    });
    void (async () => {
      for (let off = 0; off < body.length && !settled; off += SLICE) {
        const slice = body.subarray(off, Math.min(off + SLICE, body.length));
        const ok = req.write(slice, (e) => {
          if (!e && !settled) opts.onBytes?.(slice.length);
        });
        if (!ok) {
          await new Promise<void>((r) => {
            const done = () => {
              req.off('drain', done);
              req.off('close', done);
              r();
            };
            req.on('drain', done);
            req.on('close', done);
          });
        }
      }
      if (!settled) req.end();
    })();
  });
}

export function md5Hex(buf: Buffer): string {
  return createHash('md5').update(buf).digest('hex');
}
