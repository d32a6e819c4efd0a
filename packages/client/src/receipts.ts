import type { MarkReadPayload } from '@parley/shared';
import { systemClock, type Clock } from './ports.js';

/** Positions are reported at most this often per conversation (ms), and this many conversations at a time. */
export const REPORT_INTERVAL_MS = 500;
export const REPORTS_PER_FLUSH = 3;

export interface PositionReporter {
  /** Reports that everything up to `seq` is delivered (or read) in the conversation; throttled. */
  report(conversationId: number, seq: number): void;
  /** Sends everything waiting at once (a page being hidden, a client stopping). */
  flushAll(): void;
  reset(): void;
}

/**
 * Sends the newest position per conversation at most every REPORT_INTERVAL_MS, up to
 * REPORTS_PER_FLUSH conversations per interval; a position not above the last one reported is not
 * sent again. `send` resolves false when the server did not record it, so the next report tries again.
 */
export function createPositionReporter(
  send: (payload: MarkReadPayload) => Promise<boolean>,
  { clock = systemClock, intervalMs = REPORT_INTERVAL_MS }: { clock?: Clock; intervalMs?: number } = {},
): PositionReporter {
  const pending = new Map<number, number>();
  const reported = new Map<number, number>();
  let timer: unknown = null;

  function schedule(): void {
    timer ??= clock.setTimeout(() => flush(), intervalMs);
  }

  function flush(limit = REPORTS_PER_FLUSH): void {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
    const batch = [...pending].slice(0, limit);
    for (const [conversationId, seq] of batch) {
      pending.delete(conversationId);
      if ((reported.get(conversationId) ?? 0) >= seq) continue;
      reported.set(conversationId, seq);
      void send({ conversationId, seq }).then((ok) => {
        if (!ok && reported.get(conversationId) === seq) reported.delete(conversationId);
      });
    }
    if (pending.size > 0) schedule();
  }

  return {
    report(conversationId, seq) {
      if (seq <= 0 || (reported.get(conversationId) ?? 0) >= seq) return;
      pending.set(conversationId, Math.max(seq, pending.get(conversationId) ?? 0));
      schedule();
    },
    flushAll() {
      flush(Number.POSITIVE_INFINITY);
    },
    reset() {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      pending.clear();
      reported.clear();
    },
  };
}
