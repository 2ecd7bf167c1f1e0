// The S3 endpoint clients see: verifies the presigned signature like S3, applies part faults, stores parts in s3rver's
// store and passes anything else on to s3rver. Presigned URLs are signed for this endpoint's host, so the signature a
// client sends is checked for the host it actually talks to.
import http from 'node:http';
import { Transform } from 'node:stream';
import type { Faults } from './faults.js';
import { Listener } from './listener.js';
import type { S3Backend } from './s3-backend.js';
import { S3_CREDENTIALS } from './s3-backend.js';
import { s3ErrorXml, verifyPresigned } from './sigv4.js';
import type { EmulatorState } from './state.js';
import { UploadThrottle } from './upload-throttle.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PartProxy {
  readonly listener: Listener;

  constructor(
    private readonly backend: S3Backend,
    private readonly faults: Faults,
    private readonly state: EmulatorState,
    readonly throttle = new UploadThrottle(),
  ) {
    this.listener = new Listener((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.answer(req, res, 500, 'InternalError', String(err));
        else res.destroy();
      });
    });
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.listener.port}`;
  }

  private logEntry(req: http.IncomingMessage, status: number, partNumber?: number, uploadId?: string): void {
    const path = (req.url ?? '/').split('?')[0]!;
    this.state.record({ method: req.method ?? '?', path, status, kind: 's3', partNumber, uploadId });
  }

  /** Reads (and discards) the request body before answering, so the client sees the answer, not a broken pipe. */
  private async drain(req: http.IncomingMessage): Promise<void> {
    if (req.readableEnded) return;
    await new Promise<void>((resolve) => {
      req.on('end', resolve);
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.resume();
    });
  }

  private answer(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
    partNumber?: number,
    uploadId?: string,
  ): void {
    const body = s3ErrorXml(code, message);
    res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body), ...headers });
    res.end(body);
    this.logEntry(req, status, partNumber, uploadId);
  }

  private reset(req: http.IncomingMessage, partNumber?: number, uploadId?: string): void {
    this.logEntry(req, 0, partNumber, uploadId);
    req.socket.destroy();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const uploadId = url.searchParams.get('uploadId') ?? undefined;
    const partParam = url.searchParams.get('partNumber');
    const isPart = req.method === 'PUT' && uploadId !== undefined && partParam !== null;
    const partNumber = isPart ? Number(partParam) : undefined;
    const fail = async (status: number, code: string, message: string, headers?: Record<string, string>) => {
      await this.drain(req);
      this.answer(req, res, status, code, message, headers, partNumber, uploadId);
    };

    if (isPart) {
      const delay = this.faults.takeDelay('parts');
      if (delay > 0) await sleep(delay);
      const limited = this.faults.takeRateLimit('parts');
      if (limited) {
        const code = limited.status === 503 ? 'SlowDown' : 'TooManyRequests';
        return fail(limited.status, code, 'Please reduce your request rate.', {
          'Retry-After': String(limited.retryAfterSeconds),
        });
      }
    }
    const reset = partNumber !== undefined ? this.faults.takePartReset(partNumber) : undefined;
    if (reset?.when === 'before') return this.reset(req, partNumber, uploadId);
    const failure = partNumber !== undefined ? this.faults.takePartFailure(partNumber) : undefined;
    if (failure) return fail(failure.status, 'InternalError', 'We encountered an internal error. Please try again.');

    const sig = verifyPresigned(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
      S3_CREDENTIALS,
    );
    if (!sig.ok) return fail(sig.status, sig.code, sig.message);

    if (isPart) {
      if (uploadId && this.faults.expiredUploads.has(uploadId)) return fail(403, 'AccessDenied', 'Request has expired');
      const session = [...this.state.sessions.values()].find((s) => s.uploadId === uploadId);
      if (!session || session.state !== 'pending') {
        return fail(
          404,
          'NoSuchUpload',
          'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
        );
      }
      if (!Number.isInteger(partNumber) || partNumber! < 1 || partNumber! > 10000) {
        return fail(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
      }
      // S3 refuses part uploads without a length (chunked transfer encoding).
      if (req.headers['content-length'] === undefined) {
        return fail(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
      }
    }

    if (isPart) return this.storePart(req, res, reset?.when === 'after', partNumber!, uploadId!);
    await this.forward(req, res);
  }

  /**
   * A part goes straight into s3rver's store, through the same store call s3rver's own UploadPart handler makes,
   * and is answered as S3 answers it (200, the part's MD5 as quoted ETag). Forwarding it over a second loopback
   * hop cost a third of the upload time and measured the emulator instead of the client.
   */
  private async storePart(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    resetAfter: boolean,
    partNumber: number,
    uploadId: string,
  ): Promise<void> {
    const declared = Number(req.headers['content-length']);
    let stored: { size: number; md5: string };
    const corrupt = this.faults.takePartCorruption(partNumber);
    try {
      const body = this.throttle.wrap(req);
      stored = await this.backend.putPart(uploadId, partNumber, corrupt ? body.pipe(flipFirstBit()) : body);
    } catch {
      // The client went away mid-part (or offline() cut it): nothing was stored, nobody to answer.
      if (!req.socket.destroyed)
        this.answer(
          req,
          res,
          400,
          'IncompleteBody',
          'You did not provide the number of bytes specified by the Content-Length HTTP header',
          {},
          partNumber,
          uploadId,
        );
      else this.logEntry(req, 0, partNumber, uploadId);
      return;
    }
    if (stored.size !== declared) {
      return this.answer(
        req,
        res,
        400,
        'IncompleteBody',
        'You did not provide the number of bytes specified by the Content-Length HTTP header',
        {},
        partNumber,
        uploadId,
      );
    }
    // The part is stored; with a reset-after fault the client never hears so.
    if (resetAfter) return this.reset(req, partNumber, uploadId);
    res.writeHead(200, { ETag: `"${stored.md5}"`, 'Content-Length': 0 });
    res.end();
    this.logEntry(req, 200, partNumber, uploadId);
  }

  /** Anything but a part PUT (the File Model's presigned GET, for one) is passed on to s3rver. */
  private forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = new URL(this.backend.endpoint);
    return new Promise<void>((resolve, reject) => {
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
          upRes.on('end', () => {
            this.logEntry(req, upRes.statusCode ?? 502);
            resolve();
          });
          upRes.on('error', reject);
        },
      );
      upstream.on('error', reject);
      req.on('aborted', () => upstream.destroy());
      req.pipe(upstream);
    });
  }
}

/** Flips the lowest bit of the first byte that passes: one bit of damage, as a bad link or NIC might do. */
function flipFirstBit(): Transform {
  let done = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (!done && chunk.length > 0) {
        chunk = Buffer.from(chunk);
        chunk[0] = chunk[0]! ^ 1;
        done = true;
      }
      cb(null, chunk);
    },
  });
}
