// The Plaud cloud emulator: the Plaud upload API on 127.0.0.1, backed by a real S3 server (s3rver), with fault
// switches for tests. See README.md in this folder.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PlaudApi, type Binding, type StoredFile } from './api.js';
import { Faults } from './faults.js';
import { PartProxy } from './part-proxy.js';
import { UploadThrottle } from './upload-throttle.js';
import { makeS3Client, S3_CREDENTIALS, S3_REGION, S3Backend } from './s3-backend.js';
import { EmulatorState, type RequestLogEntry } from './state.js';

export type { StoredFile, Binding } from './api.js';
export type { CompleteUploadBody } from './schemas.js';
export type { RequestLogEntry } from './state.js';
export { Faults } from './faults.js';
export type { AnsweredRequest, ApiEndpoint, FaultTarget, GarbageKind, UploadFiletype } from './faults.js';

export const DEFAULT_PART_SIZE = 5 * 1024 * 1024;
/** S3's minimum size for every part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface EmulatorOptions {
  /** API port; 0 (default) lets the OS pick. */
  port?: number;
  clientId?: string;
  clientSecret?: string;
  /** A token valid from the start (like a user-supplied API token). Random by default. */
  token?: string;
  /** Part size the server chooses; default 5 MiB = 5242880, and S3 allows no smaller. */
  partSize?: number;
  /** Casing of the presigned-urls answer; default 'pascal'. */
  casing?: 'pascal' | 'snake';
  /** s3rver storage; default a fresh temp dir, removed on stop(). */
  dataDir?: string;
  /**
   * Require every completion field the contract marks nullable (filename, file_md5, times, zone) because a correct
   * client always sends them. Default true; false accepts the contract's bare minimum.
   */
  strict?: boolean;
  /**
   * Where presigned URLs point: 'proxy' (default) checks signatures like S3 and injects part faults; 's3rver' points
   * them straight at s3rver (no part faults, no signature check) so a benchmark measures the same path rclone takes.
   */
  partsVia?: 'proxy' | 's3rver';
  /** A shared cap on the part PUTs' bandwidth, bytes per second (upload-throttle.ts); default none. */
  uploadBytesPerSec?: number;
}

export interface Emulator {
  baseUrl: string;
  /** A valid API token, like a user-supplied one (revoked only by faults.revokeTokens({ includeStatic: true })). */
  token: string;
  clientId: string;
  clientSecret: string;
  /** s3rver itself, for side-by-side tools like rclone (credentials in s3Credentials). */
  s3Endpoint: string;
  /**
   * The S3 endpoint presigned part URLs point at: a proxy in front of s3rver that checks signatures and injects faults.
   */
  partsEndpoint: string;
  s3Credentials: { accessKeyId: string; secretAccessKey: string; region: string };
  bucket: string;
  faults: Faults;
  /** The uplink cap on part PUTs through the proxy; setRate() changes it at any time. */
  uploadThrottle: UploadThrottle;
  files(): StoredFile[];
  getObject(fileId: string): Promise<Buffer>;
  bindings(): Binding[];
  /** Stored files that are the same recording (same MD5, device or owner, start time) more than once. */
  duplicates(): StoredFile[][];
  requests(): RequestLogEntry[];
  /** A fresh valid token, as the token exchange would give. */
  issueToken(): string;
  /** Every token valid now: the static one and those the exchange (or issueToken) handed out. */
  validTokens(): string[];
  /** Forget an upload as if the server had aborted or expired it: its parts are dropped, completing it answers 404. */
  abortUpload(uploadId: string): Promise<void>;
  /** Upload ids started with generate-presigned-urls and not yet completed. */
  pendingUploads(): string[];
  /** Close the API listener (and, unless 'api', the part endpoint) on the same ports, dropping open connections. */
  goOffline(what?: 'all' | 'api' | 'parts'): Promise<void>;
  goOnline(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const partSize = opts.partSize ?? DEFAULT_PART_SIZE;
  if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE) {
    throw new Error(
      `partSize must be a whole number of bytes >= ${MIN_PART_SIZE} (S3's minimum part size), got ${partSize}`,
    );
  }
  const ownDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-emulator-')));
  const bucket = 'plaud-emulator';
  const clientId = opts.clientId ?? `client_${randomBytes(6).toString('hex')}`;
  const clientSecret = opts.clientSecret ?? randomBytes(18).toString('base64url');

  const state = new EmulatorState();
  const backend = await S3Backend.start(path.join(dataDir, 's3'), bucket);
  // The API is created below; the fault object needs its token set, so it reaches it lazily.
  let api: PlaudApi | undefined;
  const own = { token: '' };
  const faults = new Faults(
    (includeStatic) => {
      for (const t of api?.tokens ?? []) if (includeStatic || t !== own.token) api?.tokens.delete(t);
    },
    () => state.pendingUploadIds(),
  );
  const proxy = new PartProxy(backend, faults, state, new UploadThrottle(opts.uploadBytesPerSec ?? 0));
  try {
    await proxy.listener.open(0);
    const presigner = makeS3Client(opts.partsVia === 's3rver' ? backend.endpoint : proxy.endpoint);
    api = new PlaudApi(
      { clientId, clientSecret, partSize, casing: opts.casing ?? 'pascal', strict: opts.strict ?? true },
      backend,
      presigner,
      faults,
      state,
    );
    await api.listener.open(opts.port ?? 0);
  } catch (err) {
    await proxy.listener.close();
    await backend.stop();
    throw err;
  }
  const theApi = api;
  const token = opts.token ?? theApi.issueToken();
  theApi.tokens.add(token);
  own.token = token;

  let stopped = false;
  const emulator: Emulator = {
    baseUrl: theApi.baseUrl,
    // Assigning a token makes it the valid static token (what a test does after revoking the old one).
    get token() {
      return own.token;
    },
    set token(value: string) {
      own.token = value;
      theApi.tokens.add(value);
    },
    clientId,
    clientSecret,
    s3Endpoint: backend.endpoint,
    partsEndpoint: opts.partsVia === 's3rver' ? backend.endpoint : proxy.endpoint,
    s3Credentials: { ...S3_CREDENTIALS, region: S3_REGION },
    bucket,
    faults,
    uploadThrottle: proxy.throttle,
    files: () => theApi.stored.map((f) => ({ ...f })),
    async getObject(fileId) {
      const f = theApi.stored.find((s) => s.fileId === fileId);
      if (!f) throw new Error(`no stored file with id ${fileId}`);
      return backend.getObject(f.key);
    },
    bindings: () => [...theApi.bindings.values()].map((b) => ({ ...b })),
    duplicates() {
      const groups = new Map<string, StoredFile[]>();
      for (const f of theApi.stored) {
        const k = JSON.stringify([f.md5, f.body.sn ?? null, f.body.owner_id ?? null, f.body.start_time ?? null]);
        groups.set(k, [...(groups.get(k) ?? []), { ...f }]);
      }
      return [...groups.values()].filter((g) => g.length > 1);
    },
    requests: () => state.log.map((e) => ({ ...e })),
    issueToken: () => theApi.issueToken(),
    validTokens: () => [...theApi.tokens],
    async abortUpload(uploadId) {
      const s = state.sessions.get(uploadId);
      if (!s) throw new Error(`no upload ${uploadId}`);
      if (s.state === 'completed') throw new Error(`upload ${uploadId} is already completed`);
      s.state = 'aborted';
      await backend.abortUpload(uploadId);
    },
    pendingUploads: () => state.pendingUploadIds(),
    async goOffline(what = 'all') {
      if (what !== 'parts') await theApi.listener.close();
      if (what !== 'api') await proxy.listener.close();
    },
    async goOnline() {
      await theApi.listener.open();
      await proxy.listener.open();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await theApi.listener.close();
      await proxy.listener.close();
      await backend.stop();
      if (ownDataDir) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
  return emulator;
}
