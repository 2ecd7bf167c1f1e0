// The Plaud API client: token handling, the three upload-side calls and device binding.
// Every answer is validated; every failure is a CloudError with a kind and a message for a person.
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import http from 'node:http';
import https from 'node:https';
import type { z } from 'zod';
import { nullLogger, redactString, registerSecret, type Logger } from '../log.js';
import type { UploadFormat } from '../types.js';
import { partUrlProblem } from './api-base.js';
import { acceptAccount, type Credentials } from './credentials.js';
import { CloudError, networkError, statusError } from './errors.js';
import {
  CompleteUploadBodySchema,
  DeviceAnswerSchema,
  DeviceBodySchema,
  FileModelSchema,
  TokenAnswerSchema,
  checkSessionFits,
  describeIssues,
  parsePresigned,
  type CompleteUploadBody,
  type DeviceBody,
  type FileModel,
  type PresignedUpload,
} from './schemas.js';

export type { Credentials };

export interface CloudClientOptions {
  /** Default https://api.plaud.ai. Plain http is refused unless the host is loopback. */
  apiBase?: string;
  credentials: Credentials;
  /** Per-call timeout for API calls (not part uploads). Default 30 s. */
  timeoutMs?: number;
  logger?: Logger;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export const PATHS = {
  token: '/apis/oauth/api-token',
  presign: '/api/files/upload-s3/generate-presigned-urls',
  complete: '/api/files/upload-s3/complete-upload',
  bind: '/api/devices/bind',
  unbind: '/api/devices/unbind',
} as const;

const OPERATION: Record<string, string> = {
  [PATHS.token]: 'Getting an API token',
  [PATHS.presign]: 'Starting the upload (generate-presigned-urls)',
  [PATHS.complete]: 'Finishing the upload (complete-upload)',
  [PATHS.bind]: 'Binding the device',
  [PATHS.unbind]: 'Unbinding the device',
};

/** No API answer of the contract comes near this; a bigger one is a proxy page, a loop or an attack. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export class PlaudCloudClient {
  readonly apiBase: string;
  private readonly http: AxiosInstance;
  private readonly creds: Credentials;
  private readonly log: Logger;
  private token: string | undefined;
  private tokenFetch: Promise<string> | undefined;

  constructor(opts: CloudClientOptions) {
    this.apiBase = acceptAccount(opts.apiBase, opts.credentials);
    this.creds = opts.credentials;
    if (this.creds.kind === 'token') this.token = this.creds.token.trim();
    this.log = opts.logger ?? nullLogger;
    this.http = axios.create({
      baseURL: this.apiBase,
      timeout: opts.timeoutMs ?? 30_000,
      // Statuses and JSON are judged here, not by axios, so every case gets a precise error.
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(d: unknown) => d],
      maxRedirects: 0,
      // Read at most this much of any answer (axios stops the stream past it), so a huge answer cannot eat memory.
      maxContentLength: MAX_ANSWER_BYTES,
      headers: { Accept: 'application/json' },
      httpAgent: new http.Agent({ keepAlive: true }),
      httpsAgent: new https.Agent({ keepAlive: true }),
    });
  }

  /** The current token, fetching one with the client credentials if needed. */
  async getToken(opts: CallOptions = {}): Promise<string> {
    if (this.token) return this.token;
    return this.refreshToken(undefined, opts);
  }

  /** Ask for a fresh token, unless another call already replaced `stale`. Concurrent callers share one request. */
  private async refreshToken(stale: string | undefined, opts: CallOptions): Promise<string> {
    if (this.creds.kind === 'token') {
      throw new CloudError('auth', 'The API token was refused: enter a new one in Settings.', { status: 401 });
    }
    if (this.token && this.token !== stale) return this.token;
    if (!this.tokenFetch) {
      const { clientId, clientSecret } = this.creds;
      const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
      this.tokenFetch = (async () => {
        this.log.debug('requesting API token', { clientIdLength: clientId.length });
        const res = await this.send('post', PATHS.token, undefined, `Bearer ${basic}`, opts);
        if (res.status === 401 || res.status === 403) {
          throw new CloudError('auth', 'The client ID or client secret was refused: check them in Settings.', {
            status: res.status,
            operation: OPERATION[PATHS.token],
          });
        }
        const body = this.parseJson(res, PATHS.token, TokenAnswerSchema);
        registerSecret(body.api_token);
        this.token = body.api_token;
        return body.api_token;
      })().finally(() => {
        this.tokenFetch = undefined;
      });
    }
    return this.tokenFetch;
  }

  /** Forget the cached token (tests, "sign out"). A static token cannot be forgotten. */
  clearToken(): void {
    if (this.creds.kind === 'client') this.token = undefined;
  }

  /**
   * Check the credentials with the server ("Test connection"). Client credentials: a fresh token exchange.
   * A static token: the contract has no "who am I" call, so an empty complete-upload is sent; it cannot
   * complete anything, and the server checks the token before the body, so a validation answer (4xx other
   * than 401/403) means the token was accepted. Throws a CloudError (kind 'auth' when refused).
   */
  async verifyCredentials(opts: CallOptions = {}): Promise<void> {
    if (this.creds.kind === 'client') {
      this.clearToken();
      await this.getToken(opts);
      return;
    }
    try {
      await this.authed('post', PATHS.complete, {}, opts);
    } catch (err) {
      if (err instanceof CloudError && (err.kind === 'validation' || err.kind === 'not-found')) return;
      throw err;
    }
  }

  async generatePresignedUrls(
    req: { filesize: number; filetype: UploadFormat },
    opts: CallOptions = {},
  ): Promise<PresignedUpload> {
    if (!Number.isSafeInteger(req.filesize) || req.filesize <= 0) {
      throw new CloudError('validation', `Cannot upload an empty or invalid file (size ${req.filesize} bytes).`);
    }
    const res = await this.authed('post', PATHS.presign, { filesize: req.filesize, filetype: req.filetype }, opts);
    const parsed = parsePresigned(this.jsonBody(res, PATHS.presign));
    if (!parsed.ok) throw this.badResponse(PATHS.presign, parsed.problem);
    const misfit = checkSessionFits(parsed.value, req.filesize);
    if (misfit) throw this.badResponse(PATHS.presign, misfit);
    for (const p of parsed.value.parts) {
      // The link's signature and credential are secrets from now on, wherever a server echoes them (an S3 error code).
      try {
        const q = new URL(p.url).searchParams;
        for (const k of ['X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token']) registerSecret(q.get(k));
      } catch {
        /* not a URL: partUrlProblem says so */
      }
      const problem = partUrlProblem(p.url, this.apiBase);
      if (problem)
        throw new CloudError('insecure', `${OPERATION[PATHS.presign]}: ${problem}.`, {
          operation: OPERATION[PATHS.presign],
          retryable: false,
        });
    }
    return parsed.value;
  }

  async completeUpload(body: CompleteUploadBody, opts: CallOptions = {}): Promise<FileModel> {
    const checked = CompleteUploadBodySchema.safeParse(body);
    if (!checked.success) {
      throw new CloudError('validation', `The upload cannot be finished: ${describeIssues(checked.error)}.`, {
        operation: OPERATION[PATHS.complete],
      });
    }
    const res = await this.authed('post', PATHS.complete, checked.data, opts);
    return this.parseJson(res, PATHS.complete, FileModelSchema);
  }

  async bindDevice(body: DeviceBody, opts: CallOptions = {}): Promise<Record<string, unknown>> {
    return this.deviceCall(PATHS.bind, body, opts);
  }

  async unbindDevice(body: DeviceBody, opts: CallOptions = {}): Promise<Record<string, unknown>> {
    return this.deviceCall(PATHS.unbind, body, opts);
  }

  private async deviceCall(path: string, body: DeviceBody, opts: CallOptions): Promise<Record<string, unknown>> {
    const checked = DeviceBodySchema.safeParse(body);
    if (!checked.success)
      throw new CloudError('validation', `${OPERATION[path]}: ${describeIssues(checked.error)}.`, {
        operation: OPERATION[path],
      });
    const res = await this.authed('post', path, checked.data, opts);
    if (res.data === '' || res.data === undefined) return {};
    return this.parseJson(res, path, DeviceAnswerSchema);
  }

  /** One call with the bearer token; on a 401 with client credentials, one fresh token and one retry. */
  private async authed(method: 'post', path: string, body: unknown, opts: CallOptions): Promise<AxiosResponse<string>> {
    let token = await this.getToken(opts);
    let res = await this.send(method, path, body, `Bearer ${token}`, opts);
    if (res.status === 401 && this.creds.kind === 'client') {
      this.log.info('API token refused; requesting a new one', { path });
      token = await this.refreshToken(token, opts);
      res = await this.send(method, path, body, `Bearer ${token}`, opts);
      if (res.status === 401) {
        throw new CloudError(
          'auth',
          'The Plaud server refused a freshly issued token: check the client ID and secret in Settings.',
          { status: 401, operation: OPERATION[path] },
        );
      }
    }
    if (res.status === 401) {
      throw new CloudError('auth', 'The API token was refused: enter a new one in Settings.', {
        status: 401,
        operation: OPERATION[path],
      });
    }
    if (res.status < 200 || res.status >= 300) {
      throw statusError(
        OPERATION[path] ?? path,
        res.status,
        res.headers as Record<string, unknown>,
        this.serverDetail(res),
      );
    }
    return res;
  }

  private async send(
    method: 'post',
    path: string,
    body: unknown,
    authorization: string,
    opts: CallOptions,
  ): Promise<AxiosResponse<string>> {
    const what = OPERATION[path] ?? path;
    try {
      return await this.http.request<string>({
        method,
        url: path,
        data: body === undefined ? undefined : JSON.stringify(body),
        headers: {
          Authorization: authorization,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        signal: opts.signal,
      });
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      if (axios.isAxiosError(err) && err.code === 'ERR_FR_TOO_MANY_REDIRECTS')
        throw this.badResponse(path, 'too many redirects');
      if (axios.isAxiosError(err) && /maxContentLength/.test(err.message)) {
        throw new CloudError(
          'bad-response',
          `${what}: The Plaud server sent an answer of more than 1 MiB, far bigger than any answer of the API, so it was not read further (a proxy or captive portal in the way?).`,
          { operation: what },
        );
      }
      throw networkError(what, err);
    } finally {
      this.log.debug('api call', { method, path });
    }
  }

  private jsonBody(res: AxiosResponse<string>, path: string): unknown {
    const text = typeof res.data === 'string' ? res.data : '';
    try {
      return JSON.parse(text);
    } catch {
      // Redact the whole answer first, then cut: a secret cut in half is no longer recognised.
      const start = this.scrub(text).slice(0, 40);
      throw this.badResponse(
        path,
        `the answer is not valid JSON (HTTP ${res.status}, ${text.length} bytes${text ? `, starting "${start}"` : ''})`,
      );
    }
  }

  private parseJson<T extends z.ZodType>(res: AxiosResponse<string>, path: string, schema: T): z.infer<T> {
    const body = this.jsonBody(res, path);
    const r = schema.safeParse(body);
    if (!r.success) throw this.badResponse(path, describeIssues(r.error));
    return r.data;
  }

  private badResponse(path: string, problem: string): CloudError {
    return new CloudError(
      'bad-response',
      `${OPERATION[path] ?? path}: the Plaud server sent an answer we do not understand: ${this.scrub(problem)}.`,
      {
        operation: OPERATION[path],
      },
    );
  }

  /** A short message from an error body, if it has one, with anything secret removed. */
  private serverDetail(res: AxiosResponse<string>): string | undefined {
    const text = typeof res.data === 'string' ? res.data : '';
    let msg: unknown;
    try {
      const j = JSON.parse(text) as Record<string, unknown>;
      msg = j.message ?? j.detail ?? j.error ?? j.msg;
    } catch {
      msg = undefined;
    }
    if (typeof msg !== 'string' || !msg.trim()) return undefined;
    return this.scrub(msg.trim()).slice(0, 200);
  }

  /** Remove secrets from any text that may end up in a message: every registered one, and our own short ones too. */
  private scrub(text: string): string {
    let out = redactString(text);
    const secrets = [this.token, this.creds.kind === 'token' ? this.creds.token : this.creds.clientSecret].filter(
      (s): s is string => !!s && s.length >= 4,
    );
    for (const s of secrets) out = out.split(s).join('[redacted]');
    return out;
  }
}
