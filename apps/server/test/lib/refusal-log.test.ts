// Refusals for now (busy, unavailable) are logged once per spell and then in summaries, so a flood of
// them does not become a flood of log lines.
import { ErrorCode } from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError, busy } from '../../src/lib/app-error.js';
import { createRefusalLog, refusalLogOf } from '../../src/lib/refusal-log.js';
import { nextLog, startTestServer } from '../helpers/server.js';

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
    refusals.record('/api/uploads', busy('full'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ where: 'message:send', code: ErrorCode.Busy, userId: 0 });

    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.fields.refused).toEqual({
      'message:send server/busy': 499,
      '/api/uploads server/busy': 1,
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

  it('logs the first refusal of each code in a spell in full: an outage during overload shows its cause', () => {
    vi.useFakeTimers();
    const { log, lines } = recordingLogger();
    const refusals = createRefusalLog(log, 1_000);

    refusals.record('message:send', busy('full'));
    refusals.record('message:send', busy('full'));
    const outage = new AppError(ErrorCode.Unavailable, 'database down');
    refusals.record('/api/uploads', outage, { err: new Error('connect ECONNREFUSED') });
    refusals.record('message:send', new AppError(ErrorCode.Unavailable, 'database down'));
    // Before: only the first busy was logged; the outage's cause was a count in the summary.
    expect(lines.map((line) => [line.fields.code, line.fields.where])).toEqual([
      [ErrorCode.Busy, 'message:send'],
      [ErrorCode.Unavailable, '/api/uploads'],
    ]);
    expect(lines[1]!.fields.err).toEqual(new Error('connect ECONNREFUSED'));

    vi.advanceTimersByTime(1_000);
    expect(lines[2]!.fields.refused).toEqual({
      'message:send server/busy': 1,
      'message:send server/unavailable': 1,
    });
  });

  it('flush logs what was counted at once and ends the spell', () => {
    vi.useFakeTimers();
    const { log, lines } = recordingLogger();
    const refusals = createRefusalLog(log, 1_000);
    refusals.record('message:send', busy('full'));
    refusals.record('message:send', busy('full'));

    refusals.flush();
    expect(lines.map((line) => line.fields.refused)).toEqual([undefined, { 'message:send server/busy': 1 }]);
    vi.advanceTimersByTime(5_000);
    expect(lines).toHaveLength(2);
    refusals.record('message:send', busy('after'));
    expect(lines).toHaveLength(3);
    expect(lines[2]!.fields).toMatchObject({ where: 'message:send', code: ErrorCode.Busy });
  });

  it("logs a spell's last refusals when the server closes, not only at the interval's end", async () => {
    const t = await startTestServer();
    const refusals = refusalLogOf(t.server.log);
    refusals.record('message:send', busy('full'));
    refusals.record('message:send', busy('full'));
    // Before: the summary was due 10 s later, on a timer that does not keep the process alive.
    let logged = false;
    const summary = nextLog(t.server, 'warn', 'requests refused for now (summary)').then(
      () => (logged = true),
      () => false,
    );
    await t.close();
    expect(logged).toBe(true);
    await summary;
  });

  it('makes busy refusals without a stack trace', () => {
    const error = busy('full');
    expect(error.stack?.split('\n')).toEqual(['AppError: full']);
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
    expect(new Error('ordinary').stack?.split('\n').length).toBeGreaterThan(1);
  });
});
