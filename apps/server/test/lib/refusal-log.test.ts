// Refusals for now (busy, unavailable) are logged once per spell and then in summaries, so a flood of
// them does not become a flood of log lines.
import { ErrorCode } from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError, busy } from '../../src/lib/app-error.js';
import { createRefusalLog } from '../../src/lib/refusal-log.js';

function recordingLogger() {
  const lines: Array<{ fields: Record<string, unknown>; message: string }> = [];
  const log = {
    warn: (fields: Record<string, unknown>, message: string) => lines.push({ fields, message }),
  } as unknown as FastifyBaseLogger;
  return { log, lines };
}

describe('the refusal log', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs the first refusal of a spell, then one summary per interval, then stops', () => {
    vi.useFakeTimers();
    const { log, lines } = recordingLogger();
    const refusals = createRefusalLog(log, 1_000);

    for (let i = 0; i < 500; i += 1) refusals.record('message:send', busy('full'), { userId: i });
    refusals.record('/api/uploads', new AppError(ErrorCode.Unavailable, 'database down'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ where: 'message:send', code: ErrorCode.Busy, userId: 0 });

    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.fields.refused).toEqual({
      'message:send server/busy': 499,
      '/api/uploads server/unavailable': 1,
    });

    refusals.record('message:send', busy('full'));
    vi.advanceTimersByTime(1_000);
    expect(lines.map((line) => line.fields.refused)).toEqual([
      undefined,
      expect.any(Object),
      { 'message:send server/busy': 1 },
    ]);

    // A quiet interval ends the spell; the next refusal is logged at once, in full.
    vi.advanceTimersByTime(5_000);
    expect(lines).toHaveLength(3);
    refusals.record('message:send', busy('full again'));
    expect(lines).toHaveLength(4);
    expect(lines[3]!.fields).toMatchObject({ where: 'message:send', code: ErrorCode.Busy });
  });

  it('makes busy refusals without a stack trace', () => {
    const error = busy('full');
    expect(error.stack?.split('\n')).toEqual(['AppError: full']);
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
    expect(new Error('ordinary').stack?.split('\n').length).toBeGreaterThan(1);
  });
});
