// Waiting between tries: exponential backoff with jitter, never shorter than a server's Retry-After.

export interface BackoffOptions {
  /** First delay (before jitter). Default 500 ms. */
  baseMs?: number;
  /** Longest delay (before jitter). Default 30 s. */
  maxMs?: number;
  /** A Retry-After longer than this is not waited for; the attempt fails instead. Default 5 min. */
  maxRetryAfterMs?: number;
}

/** Delay before try `attempt + 1` (attempt counts from 1). Jitter spreads retries of parallel parts. */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = {},
  retryAfterMs?: number,
  random = Math.random,
): number {
  const base = opts.baseMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.max(Math.round(jittered), retryAfterMs ?? 0);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
