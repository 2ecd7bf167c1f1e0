// Per-recording retry schedule. The next try time is persisted in the ledger, so a restart
// neither forgets a waiting item nor retries it early.
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  /** After this many failed attempts the item stops retrying by itself and waits for the user. */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 5_000, maxMs: 15 * 60_000, maxAttempts: 8 };

/** Delay before attempt number `attempts + 1`, with up to 20% jitter so many items do not retry in lockstep. */
export function retryDelayMs(
  attempts: number,
  policy: RetryPolicy = DEFAULT_RETRY,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp * (0.8 + 0.2 * random()));
}

/** Offline probing: 5 s, 10 s, 20 s ... capped at 60 s, so a long outage does not hammer the API. */
export function probeDelayMs(failures: number): number {
  return Math.min(60_000, 5_000 * 2 ** Math.min(failures, 4));
}
