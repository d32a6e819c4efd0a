/**
 * Exponential back-off with jitter: attempt 0 waits about `baseMs`, each next one twice as long,
 * never more than `maxMs`, each spread by ±`jitter` so many clients do not retry in step.
 */
export function backoffDelay(
  attempt: number,
  { baseMs = 1000, maxMs = 30_000, jitter = 0.5 }: { baseMs?: number; maxMs?: number; jitter?: number } = {},
  random: () => number = Math.random,
): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  const spread = raw * jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(maxMs, raw + spread)));
}
