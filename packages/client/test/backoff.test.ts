import { describe, expect, it } from 'vitest';
import { backoffDelay, retryDelay } from '../src/backoff.js';
import { DEFAULT_RECONNECT } from '../src/client.js';

describe('back-off', () => {
  it('doubles from the base up to the cap, spread by the jitter', () => {
    const middle = () => 0.5;
    expect(
      [0, 1, 2, 3, 10].map((attempt) => backoffDelay(attempt, { baseMs: 100, maxMs: 500 }, middle)),
    ).toEqual([100, 200, 400, 500, 500]);
    expect(backoffDelay(0, { baseMs: 100, jitter: 0.5 }, () => 0)).toBe(50);
    expect(backoffDelay(0, { baseMs: 100, jitter: 0.5 }, () => 0.999_999)).toBe(150);
  });

  it('never retries sooner than the server asked', () => {
    expect(retryDelay(0, 2_000, { baseMs: 100 }, () => 0)).toBe(2_000);
    expect(retryDelay(0, undefined, { baseMs: 100 }, () => 0.5)).toBe(100);
  });

  it('reconnects within 10 s of a server coming back, however long it was away (the default)', () => {
    for (const random of [() => 0, () => 0.5, () => 0.999_999]) {
      const delays = Array.from({ length: 30 }, (_, attempt) =>
        backoffDelay(attempt, DEFAULT_RECONNECT, random),
      );
      expect(Math.max(...delays)).toBeLessThanOrEqual(10_000);
      // Still backing off: once at the cap, never sooner than 5 s.
      expect(Math.min(...delays.slice(5))).toBeGreaterThanOrEqual(5_000);
    }
  });
});
