import { describe, expect, it } from 'vitest';
import { backoffDelay, retryDelay } from '../src/backoff.js';

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
});
