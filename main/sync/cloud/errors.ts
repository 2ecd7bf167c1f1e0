// Every failure that crosses the cloud boundary becomes a CloudError: a kind the uploader can act on
// (retry, refresh the token, start over, give up), and a message a user can act on. Messages never
// carry secrets: tokens, client secrets and presigned-URL signatures are redacted before use.
import { redactString } from '../log.js';

export type CloudErrorKind =
  | 'auth' // credentials refused or missing
  | 'validation' // the server rejected what we sent (4xx other than auth / 404 / 429)
  | 'rate-limited' // 429 (or 503 with Retry-After): wait retryAfterMs, then retry
  | 'server' // 5xx: the server failed; retryable
  | 'network' // connection refused/reset/DNS: retryable
  | 'timeout' // no answer in time: outcome unknown; retryable
  | 'not-found' // 404: the server does not know this thing (e.g. an abandoned upload)
  | 'bad-response' // the answer did not match the contract
  | 'config' // our own setup is unusable (bad base URL, plain http to a remote host)
  | 'insecure'; // the server asked us to send a recording somewhere our TLS rule forbids (never retried)

const RETRYABLE: ReadonlySet<CloudErrorKind> = new Set(['rate-limited', 'server', 'network', 'timeout']);

export interface CloudErrorOptions {
  status?: number;
  retryAfterMs?: number;
  /** Which call failed, e.g. "complete-upload". */
  operation?: string;
  cause?: unknown;
  /** Override the default retryable-ness of the kind. */
  retryable?: boolean;
}

export class CloudError extends Error {
  override readonly name = 'CloudError';
  readonly kind: CloudErrorKind;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly operation?: string;
  readonly retryable: boolean;

  constructor(kind: CloudErrorKind, message: string, opts: CloudErrorOptions = {}) {
    super(redactString(message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.kind = kind;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
    this.operation = opts.operation;
    this.retryable = opts.retryable ?? RETRYABLE.has(kind);
  }
}

export function isCloudError(e: unknown): e is CloudError {
  return e instanceof CloudError;
}

/** Parse a Retry-After header (delta seconds or an HTTP date) into milliseconds; undefined if absent/garbled. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (Array.isArray(value)) value = value[0];
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const s = String(value).trim();
  if (s === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const at = Date.parse(s);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'the server refused the connection',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed while sending',
  ENOTFOUND: 'the server name could not be found (check the address and your internet connection)',
  EAI_AGAIN: 'the server name could not be looked up (check your internet connection)',
  EHOSTUNREACH: 'the server cannot be reached',
  ENETUNREACH: 'the network is unreachable (check your internet connection)',
  ENETDOWN: 'the network is down',
  ERR_SOCKET_CONNECTION_TIMEOUT: 'connecting took too long',
  UND_ERR_SOCKET: 'the connection was lost',
  ERR_STREAM_PREMATURE_CLOSE: 'the connection closed early',
};
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ECONNABORTED', 'ERR_TIMEOUT', 'ESOCKETTIMEDOUT']);

/** Classify a low-level (socket/DNS) failure; `what` names the call, e.g. "Uploading part 3". */
export function networkError(what: string, err: unknown): CloudError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (TIMEOUT_CODES.has(code)) {
    return new CloudError('timeout', `${what} timed out: the server did not answer in time.`, {
      operation: what,
      cause: err,
    });
  }
  const reason =
    NETWORK_CODES[code] ?? `a network error happened (${code || (err as Error | undefined)?.message || 'unknown'})`;
  return new CloudError('network', `${what} failed: ${reason}.`, { operation: what, cause: err });
}

/** Classify an HTTP status that is not a success. `detail` is a short, already-safe server message. */
export function statusError(
  what: string,
  status: number,
  headers: Record<string, unknown>,
  detail?: string,
): CloudError {
  const tail = detail ? ` (server said: ${detail.slice(0, 200)})` : '';
  const retryAfterMs = parseRetryAfter(headers['retry-after']);
  if (status === 429 || (status === 503 && retryAfterMs !== undefined)) {
    const wait = retryAfterMs === undefined ? '' : ` Retrying after ${Math.ceil(retryAfterMs / 1000)} s.`;
    return new CloudError('rate-limited', `${what}: the server asked us to slow down.${wait}`, {
      status,
      retryAfterMs,
      operation: what,
    });
  }
  if (status === 401) {
    return new CloudError('auth', `${what}: the credentials were refused${tail}.`, { status, operation: what });
  }
  if (status === 404) {
    return new CloudError('not-found', `${what}: the server does not know this item (HTTP 404)${tail}.`, {
      status,
      operation: what,
    });
  }
  if (status === 408)
    return new CloudError('timeout', `${what}: the server timed out (HTTP 408).`, { status, operation: what });
  if (status >= 500) {
    return new CloudError(
      'server',
      // No promise of a retry here: the engine retries (and says so in its problem), a one-off `push` does not.
      `${what}: the Plaud server had a problem (HTTP ${status})${tail}.`,
      { status, operation: what, retryAfterMs },
    );
  }
  if (status === 403) {
    return new CloudError('auth', `${what}: access was denied (HTTP 403)${tail}.`, { status, operation: what });
  }
  return new CloudError('validation', `${what}: the server rejected the request (HTTP ${status})${tail}.`, {
    status,
    operation: what,
  });
}
