/** How a retry delay grows: from `baseMs`, doubling per attempt, never above `maxMs`, spread by ±`jitter`. */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** 0.5 spreads each delay over ±50 %, so clients that failed together do not retry together. */
  jitter?: number;
}

/**
 * Exponential back-off with jitter: attempt 0 waits about `baseMs`, each next one twice as long,
 * never more than `maxMs`, each spread by ±`jitter` so many clients do not retry in step. The one
 * back-off of every Parley client: reconnection, outbox retries and catch-up retries all use it.
 */
export function backoffDelay(
  attempt: number,
  { baseMs = 1000, maxMs = 30_000, jitter = 0.5 }: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  const spread = raw * jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(maxMs, raw + spread)));
}

/**
 * The delay before retrying a refused request: the back-off, and never sooner than the server asked
 * (`retryAfterMs` of `server/busy` or `request/rate_limited`), spread up to +50 % so the clients it
 * told the same thing do not all come back at once.
 */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const asked = (retryAfterMs ?? 0) * (1 + random() / 2);
  return Math.max(asked, backoffDelay(attempt, options, random));
}
