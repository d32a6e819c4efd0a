// The report's reading of issue 7's latency target from a capacity search (no servers run).
import { describe, expect, it } from 'vitest';
import type { BenchResult, CapacityStep } from '../src/bench.js';
import { halfRateComparison } from '../src/report.js';

/** A capacity step with only what the comparison reads: server, rate, p99, whether it held. */
function step(server: CapacityStep['server'], rate: number, p99: number, sustainable = true): CapacityStep {
  return { server, rate, attempt: 1, sustainable, load: { endToEnd: { p99 } } } as unknown as CapacityStep;
}

const searched = (...capacity: CapacityStep[]) => ({ capacity }) as unknown as BenchResult;

describe('halfRateComparison', () => {
  it('compares the p99s at the highest rate P1 sustained at or below half its capacity', () => {
    const result = searched(
      ...[step('p1', 1000, 30), step('p1', 1260, 40), step('p1', 1588, 45), step('p1', 2521, 70)],
      step('p1', 3176, 500, false),
      ...[step('parley', 1000, 50), step('parley', 1260, 60), step('parley', 1588, 250, false)],
    );
    // P1's capacity is 2,521; half is 1,260.5, so the comparison is at 1,260 msg/s.
    expect(halfRateComparison(result)).toBe('1.50× at 1260 msg/s (p99 60.0 against 40.0 ms)');
  });

  it('says so when Parley failed that rate, with each attempt', () => {
    const result = searched(
      ...[step('p1', 1000, 30), step('p1', 2001, 50)],
      ...[step('parley', 1000, 90, false), step('parley', 1000, 120, false)],
    );
    expect(halfRateComparison(result)).toBe(
      'Parley did not sustain 1000 msg/s (p99 90.0 and 120.0 ms; P1 30.0 ms)',
    );
  });

  it('is n/a without a capacity search', () => {
    expect(halfRateComparison(searched())).toBe('n/a');
  });
});
