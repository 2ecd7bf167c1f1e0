// The Plaud API endpoints: token exchange, presigned URLs, complete-upload, device binding, and a test listing.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { GetObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describeHead, sniffAudio } from './content.js';
import type { ApiEndpoint, CustomAnswer, Faults } from './faults.js';
import { Listener } from './listener.js';
import type { S3Backend } from './s3-backend.js';
import {
  BindRequest,
  checkCompleteMetadata,
  CompleteUploadRequest,
  detailMessage,
  PresignRequest,
  zodDetail,
  type CompleteUploadBody,
  type DetailItem,
} from './schemas.js';
import type { EmulatorState, UploadSession } from './state.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_BODY = 1024 * 1024;
const MAX_PARTS = 10_000;
const DEFAULT_URL_EXPIRY = 3600;

export interface StoredFile {
  id: string;
  fileId: string;
  uploadId: string;
  key: string;
  size: number;
  md5: string;
  body: CompleteUploadBody;
  createdAt: string;
}

export interface Binding {
  owner_id: string;
  sn: string;
  sn_type: string;
  bound: boolean;
}

export interface ApiConfig {
  clientId: string;
  clientSecret: string;
  partSize: number;
  casing: 'pascal' | 'snake';
  strict: boolean;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Destroy the connection instead of answering (the request may have taken effect). */
  reset?: boolean;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: DetailItem[],
  ) {
    super(message);
  }
}

function errorBody(code: string, message: string, detail?: DetailItem[]): Record<string, unknown> {
  // FastAPI-style `detail` (what the Plaud API framework answers) plus a plain `message` and a stable `error` code.
  return { error: code, message, detail: detail ?? message };
}

const ROUTES: Record<string, ApiEndpoint> = {
  'POST /apis/oauth/api-token': 'token',
  'POST /api/files/upload-s3/generate-presigned-urls': 'presign',
  'POST /api/files/upload-s3/complete-upload': 'complete',
  'POST /api/devices/bind': 'bind',
  'POST /api/devices/unbind': 'unbind',
};

const ISO_SECONDS = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export class PlaudApi {
  readonly listener: Listener;
  readonly tokens = new Set<string>();
  readonly stored: StoredFile[] = [];
  readonly bindings = new Map<string, Binding>();

  constructor(
    private readonly config: ApiConfig,
    private readonly backend: S3Backend,
    /** Signs URLs for the part proxy's host, the one clients talk to. */
    private readonly presigner: S3Client,
    private readonly faults: Faults,
    private readonly state: EmulatorState,
  ) {
    this.listener = new Listener((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent)
          this.send(req, res, { status: 500, body: errorBody('internal', `emulator error: ${String(err)}`) });
        else res.destroy();
      });
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.listener.port}`;
  }

  issueToken(): string {
    const token = `emu_${randomBytes(18).toString('base64url')}`;
    this.tokens.add(token);
    return token;
  }

  private send(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    reply: Reply,
    raw?: string,
    contentType?: string,
  ): void {
    const path = (req.url ?? '/').split('?')[0]!;
    if (reply.reset) {
      this.state.record({ method: req.method ?? '?', path, status: 0, kind: 'api' });
      req.socket.destroy();
      return;
    }
    const text = raw ?? JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'Content-Type': contentType ?? 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...reply.headers,
    });
    res.end(text);
    this.state.record({ method: req.method ?? '?', path, status: reply.status, kind: 'api' });
  }

  /** A custom answer, streamed with backpressure so even a huge one costs no memory here. */
  private async sendCustom(req: http.IncomingMessage, res: http.ServerResponse, a: CustomAnswer): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const chunk = Buffer.from(typeof a.body === 'function' ? a.body({ path, headers: req.headers }) : a.body);
    res.writeHead(a.status, {
      'Content-Type': a.contentType,
      ...(a.chunked ? {} : { 'Content-Length': String(chunk.length * a.repeat) }),
    });
    this.state.record({ method: req.method ?? '?', path, status: a.status, kind: 'api' });
    for (let i = 0; i < a.repeat; i++) {
      if (res.destroyed) return; // the client stopped reading: fine, that is what a size cap does
      if (!res.write(chunk)) {
        await new Promise<void>((r) => {
          res.once('drain', r);
          res.once('close', r);
        });
      }
    }
    res.end();
  }

  private async readJson(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) throw new HttpError(413, 'body_too_large', 'request body is larger than 1 MiB');
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
    }
  }

  private bearer(req: http.IncomingMessage): string | null {
    const h = req.headers.authorization;
    const m = h ? /^Bearer\s+(.+)$/i.exec(h.trim()) : null;
    return m ? m[1]!.trim() : null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path === '/__emulator/files') {
      return this.send(req, res, { status: 200, body: this.stored });
    }
    if (req.method === 'GET' && path === '/__emulator/health') {
      return this.send(req, res, { status: 200, body: { ok: true } });
    }
    const endpoint = ROUTES[`${req.method} ${path}`];
    if (!endpoint) {
      return this.send(req, res, {
        status: 404,
        body: errorBody('not_found', `no such endpoint: ${req.method} ${path}`),
      });
    }
    const delay = this.faults.takeDelay(endpoint);
    if (delay > 0) await sleep(delay);
    const limited = this.faults.takeRateLimit(endpoint);
    if (limited) {
      req.resume();
      return this.send(req, res, {
        status: limited.status,
        body: errorBody('rate_limited', 'too many requests, retry later'),
        headers: { 'Retry-After': String(limited.retryAfterSeconds) },
      });
    }

    const custom = this.faults.takeCustomAnswer(endpoint);
    if (custom) {
      req.resume();
      return this.sendCustom(req, res, custom);
    }

    let reply: Reply;
    const garbage = this.faults.takeGarbage(endpoint);
    try {
      if (endpoint === 'token') {
        // The token endpoint reads its credentials from the header, not the body.
        req.resume();
        reply = garbage && !garbage.tookEffect ? { status: 200, body: null } : this.exchange(req);
      } else {
        this.authorize(req);
        if (garbage && !garbage.tookEffect) {
          req.resume();
          reply = { status: 200, body: null };
        } else {
          const body = await this.readJson(req);
          reply = await this.dispatch(endpoint, body);
        }
      }
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      req.resume();
      reply = { status: err.status, body: errorBody(err.code, err.message, err.detail) };
    }
    if (garbage && !reply.reset) {
      if (garbage.kind === 'truncated')
        return this.send(req, res, reply, '{"id": "' + randomBytes(4).toString('hex') + '", "parts": [{');
      if (garbage.kind === 'html') {
        return this.send(req, res, reply, '<html><body><h1>502 Bad Gateway</h1></body></html>', 'text/html');
      }
      return this.send(req, res, reply, JSON.stringify({ code: 0, msg: 'success', payload: 'unexpected' }));
    }
    return this.send(req, res, reply);
  }

  private authorize(req: http.IncomingMessage): void {
    const token = this.bearer(req);
    if (!token) throw new HttpError(401, 'unauthorized', 'missing Authorization: Bearer <api token> header');
    if (!this.tokens.has(token))
      throw new HttpError(401, 'invalid_token', 'the API token is invalid or has been revoked');
  }

  private dispatch(endpoint: Exclude<ApiEndpoint, 'token'>, body: unknown): Promise<Reply> | Reply {
    switch (endpoint) {
      case 'presign':
        return this.presign(body);
      case 'complete':
        return this.complete(body);
      case 'bind':
        return this.bind(body, true);
      case 'unbind':
        return this.bind(body, false);
    }
  }

  private exchange(req: http.IncomingMessage): Reply {
    const given = this.bearer(req);
    if (!given)
      throw new HttpError(401, 'unauthorized', 'missing Authorization: Bearer base64(client_id:secret_key) header');
    const expected = Buffer.from(Buffer.from(`${this.config.clientId}:${this.config.clientSecret}`).toString('base64'));
    const got = Buffer.from(given);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw new HttpError(401, 'invalid_client', 'client id or secret key is wrong');
    }
    return { status: 200, body: { api_token: this.issueToken() } };
  }

  private parse<T>(
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } },
    body: unknown,
  ): T {
    const r = schema.safeParse(body);
    if (!r.success) {
      const detail = zodDetail(r.error);
      throw new HttpError(422, 'validation_failed', detailMessage(detail), detail);
    }
    return r.data;
  }

  private async presign(body: unknown): Promise<Reply> {
    const { filesize, filetype } = this.parse(PresignRequest, body);
    const partSize = this.config.partSize;
    const partCount = Math.ceil(filesize / partSize);
    if (partCount > MAX_PARTS) {
      throw new HttpError(
        400,
        'file_too_large',
        `filesize ${filesize} needs ${partCount} parts of ${partSize} bytes; at most ${MAX_PARTS} are allowed`,
      );
    }
    const fileId = randomBytes(12).toString('hex');
    const key = `audiofiles/${fileId}.${filetype}`;
    const uploadId = await this.backend.createUpload(key, filetype === 'opus' ? 'audio/ogg' : 'audio/mpeg');
    const session: UploadSession = {
      fileId,
      uploadId,
      key,
      filesize,
      filetype,
      partSize,
      partCount,
      createdAt: new Date().toISOString(),
      state: 'pending',
      lock: Promise.resolve(),
    };
    this.state.sessions.set(uploadId, session);
    const expiresIn = this.faults.urlExpirySeconds ?? DEFAULT_URL_EXPIRY;
    const urls: string[] = [];
    for (let n = 1; n <= partCount; n++) {
      urls.push(
        await getSignedUrl(
          this.presigner,
          new UploadPartCommand({ Bucket: this.backend.bucket, Key: key, UploadId: uploadId, PartNumber: n }),
          {
            expiresIn,
          },
        ),
      );
    }
    const answer =
      this.config.casing === 'pascal'
        ? {
            FileId: fileId,
            UploadId: uploadId,
            ChunkSize: partSize,
            Parts: urls.map((u, i) => ({ PartNumber: i + 1, PresignedUrl: u })),
          }
        : {
            file_id: fileId,
            upload_id: uploadId,
            chunk_size: partSize,
            parts: urls.map((u, i) => ({ part_number: i + 1, presigned_url: u })),
          };
    return { status: 200, body: answer };
  }

  private async complete(body: unknown): Promise<Reply> {
    const before = this.faults.takeCompleteFailure('before');
    if (before)
      return {
        status: before.status,
        body: errorBody('internal', 'internal server error (injected before completion)'),
      };
    const b = this.parse(CompleteUploadRequest, body);
    const session = this.state.sessions.get(b.upload_id);
    if (!session || session.state === 'aborted') {
      throw new HttpError(
        404,
        'upload_not_found',
        `upload_id ${b.upload_id} is unknown or was aborted; start a new upload`,
      );
    }
    if (session.fileId !== b.file_id) {
      throw new HttpError(400, 'file_id_mismatch', `file_id ${b.file_id} does not belong to upload_id ${b.upload_id}`);
    }
    // One completion per upload at a time; a second one waits and then sees the first one's outcome.
    const run = session.lock.then(() => this.completeLocked(session, b));
    session.lock = run.catch(() => undefined);
    const reply = await run;
    if (reply.status === 200) {
      const after = this.faults.takeCompleteFailure('after');
      if (after) {
        return after.mode === 'reset'
          ? { status: 0, body: null, reset: true }
          : { status: 500, body: errorBody('internal', 'internal server error (injected after completion)') };
      }
    }
    return reply;
  }

  private async completeLocked(session: UploadSession, b: CompleteUploadBody): Promise<Reply> {
    if (session.state === 'completed') {
      // A retry of the same completion gets the same answer; a different file under a used upload id is a client bug.
      const storedMd5 = (session.model?.data as { file_md5?: string } | undefined)?.file_md5;
      if (b.file_md5 != null && storedMd5 && b.file_md5.toLowerCase() !== storedMd5) {
        throw new HttpError(
          409,
          'upload_already_completed',
          `upload_id ${session.uploadId} was already completed with a file of MD5 ${storedMd5}, not ${b.file_md5}`,
        );
      }
      return { status: 200, body: session.model };
    }
    if (session.state === 'rejected') {
      throw new HttpError(
        409,
        'upload_rejected',
        `this upload was already refused: ${session.rejection}; start a new upload`,
      );
    }
    const meta = checkCompleteMetadata(b, this.config.strict);
    if (meta.length) throw new HttpError(422, 'validation_failed', detailMessage(meta), meta);
    if (b.filetype !== session.filetype) {
      throw new HttpError(
        400,
        'filetype_mismatch',
        `filetype ${b.filetype} differs from the ${session.filetype} this upload was started for`,
      );
    }
    await this.checkParts(session, b.part_list);

    await this.backend.completeUpload(
      session.key,
      session.uploadId,
      b.part_list.map((p) => ({ PartNumber: p.PartNumber, ETag: p.ETag })),
    );
    const object = await this.backend.inspectObject(session.key, session.filesize);
    const refusal = this.checkObject(session, b, object);
    if (refusal) {
      // The multipart upload is used up; the object must not stay as if it were a stored file.
      await this.backend.deleteObject(session.key);
      session.state = 'rejected';
      session.rejection = refusal.message;
      throw refusal;
    }
    const now = new Date();
    const presignedGet = await getSignedUrl(
      this.presigner,
      new GetObjectCommand({ Bucket: this.backend.bucket, Key: session.key }),
      {
        expiresIn: DEFAULT_URL_EXPIRY,
      },
    );
    const model = {
      id: session.fileId,
      client_id: this.config.clientId,
      owner_id: b.owner_id ?? null,
      name: b.filename ?? `${session.fileId}.${session.filetype}`,
      bot_id: null,
      device_id: b.sn ?? null,
      start_time: b.start_time ?? null,
      end_time: b.end_time ?? null,
      duration: b.duration ?? null,
      timezone: b.timezone ?? null,
      zonemins: b.zonemins ?? null,
      group_id: null,
      children_ids: [],
      parent_id: null,
      parent_clips: [],
      data: { filetype: session.filetype, filesize: object.size, file_md5: object.md5, sn_type: b.sn_type },
      presigned_url: presignedGet,
      presigned_url_opus: session.filetype === 'opus' ? presignedGet : null,
      created_at: ISO_SECONDS(now),
    };
    session.state = 'completed';
    session.model = model;
    this.stored.push({
      id: session.fileId,
      fileId: session.fileId,
      uploadId: session.uploadId,
      key: session.key,
      size: object.size,
      md5: object.md5,
      body: b,
      createdAt: now.toISOString(),
    });
    return { status: 200, body: model };
  }

  /** The part list must name every part S3 holds for this upload, with its ETag, in order and of the agreed sizes. */
  private async checkParts(session: UploadSession, list: { PartNumber: number; ETag: string }[]): Promise<void> {
    const bad = (msg: string) => new HttpError(400, 'invalid_part_list', msg);
    for (let i = 1; i < list.length; i++) {
      if (list[i]!.PartNumber <= list[i - 1]!.PartNumber) {
        throw bad(
          `part_list must be in ascending PartNumber order without repeats (part ${list[i]!.PartNumber} follows ${list[i - 1]!.PartNumber})`,
        );
      }
    }
    const listed = new Set(list.map((p) => p.PartNumber));
    const missing: number[] = [];
    for (let n = 1; n <= session.partCount; n++) if (!listed.has(n)) missing.push(n);
    if (missing.length) throw bad(`part_list lacks part(s) ${summarize(missing)} of ${session.partCount}`);
    const extra = list.filter((p) => p.PartNumber > session.partCount).map((p) => p.PartNumber);
    if (extra.length)
      throw bad(`part_list names part(s) ${summarize(extra)} but this upload has ${session.partCount} part(s)`);

    const stored = new Map((await this.backend.listParts(session.uploadId)).map((p) => [p.partNumber, p]));
    const notUploaded = list.filter((p) => !stored.has(p.PartNumber)).map((p) => p.PartNumber);
    if (notUploaded.length)
      throw bad(`part(s) ${summarize(notUploaded)} were never uploaded (or did not finish uploading)`);
    const norm = (e: string) => e.replace(/"/g, '').trim().toLowerCase();
    for (const p of list) {
      const s = stored.get(p.PartNumber)!;
      if (norm(p.ETag) !== s.etag)
        throw bad(`ETag ${p.ETag} for part ${p.PartNumber} does not match the uploaded part's ETag "${s.etag}"`);
    }
    let total = 0;
    for (const p of list) {
      const s = stored.get(p.PartNumber)!;
      const last = p.PartNumber === session.partCount;
      if (!last && s.size !== session.partSize) {
        throw bad(
          `part ${p.PartNumber} is ${s.size} bytes; every part but the last must be exactly ${session.partSize} bytes`,
        );
      }
      if (last && (s.size === 0 || s.size > session.partSize)) {
        throw bad(`the last part (${p.PartNumber}) is ${s.size} bytes; it must be 1 to ${session.partSize} bytes`);
      }
      total += s.size;
    }
    if (total !== session.filesize) {
      throw bad(`the parts add up to ${total} bytes but the upload was started for filesize ${session.filesize}`);
    }
  }

  private checkObject(
    session: UploadSession,
    b: CompleteUploadBody,
    object: { md5: string; size: number; head: Buffer },
  ): HttpError | null {
    if (b.file_md5 != null && b.file_md5.toLowerCase() !== object.md5) {
      return new HttpError(
        400,
        'md5_mismatch',
        `file_md5 ${b.file_md5} does not match the MD5 of the assembled file (${object.md5})`,
      );
    }
    const kind = sniffAudio(object.head);
    if (kind !== session.filetype) {
      return new HttpError(
        400,
        'content_mismatch',
        `filetype is ${session.filetype} but the uploaded content is ${describeHead(object.head)}`,
      );
    }
    return null;
  }

  private bind(body: unknown, bound: boolean): Reply {
    const b = this.parse(BindRequest, body);
    const key = `${b.owner_id}\u0000${b.sn}`;
    const existing = this.bindings.get(key);
    if (!bound && !existing?.bound) {
      throw new HttpError(404, 'not_bound', `device ${b.sn} is not bound to owner ${b.owner_id}`);
    }
    const binding: Binding = { owner_id: b.owner_id, sn: b.sn, sn_type: b.sn_type, bound };
    this.bindings.set(key, binding);
    return { status: 200, body: binding };
  }
}

function summarize(nums: number[]): string {
  return nums.length > 10 ? `${nums.slice(0, 10).join(', ')} and ${nums.length - 10} more` : nums.join(', ');
}
