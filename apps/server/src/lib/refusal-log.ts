import type { FastifyBaseLogger } from 'fastify';
import type { AppError } from './app-error.js';

/**
 * Logs requests refused for now (`server/busy`, `server/unavailable`: overload or an outage, answered
 * as retryable) without letting the log become part of the overload. Under overload every refused
 * request used to write a warn line with a stack trace: 2,922 lines in 8 s at 2,000 msg/s, pino and
 * stack formatting then 3–4% of the server's CPU (docs/benchmarks.md), taken from the requests
 * that could still be served.
 *
 * The first refusal after a quiet spell is logged at once, in full; the ones after it, for
 * `intervalMs`, are counted by where they happened and their code, and logged as one summary line
 * at the end of the interval (`{ refused: { 'message:send server/busy': 2921 }, intervalMs }`).
 * While refusals continue, one summary per interval; an interval with none ends the spell.
 * The first refusal of each code in a spell is logged in full too: a database outage beginning
 * during an overload spell (`server/unavailable` among the `server/busy`) has its cause logged,
 * not only counted. What is counted when the server closes is logged then (`flush`).
 */
export interface RefusalLog {
  /**
   * Counts one refusal at `where` (an event or a route), or logs it with `details` (the original
   * error as `err`, who asked) if it is the first of a spell.
   */
  record(where: string, error: AppError, details?: Record<string, unknown>): void;
  /**
   * Logs the summary of what was counted since the last one, if anything, and ends the spell: called
   * when the server closes, so a spell's last refusals are not lost with the process.
   */
  flush(): void;
}

/** Milliseconds between summaries while refusals continue. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

export function createRefusalLog(log: FastifyBaseLogger, intervalMs = REFUSAL_LOG_INTERVAL_MS): RefusalLog {
  /** The spell's counts since the last summary, by "where code"; null between spells. */
  let counts: Map<string, number> | null = null;
  /** The codes of the spell already logged in full. */
  let codes = new Set<string>();
  let timer: NodeJS.Timeout | null = null;

  function summarise(): boolean {
    if (!counts || counts.size === 0) return false;
    log.warn({ refused: Object.fromEntries(counts), intervalMs }, 'requests refused for now (summary)');
    return true;
  }

  function endInterval(): void {
    timer = null;
    if (!summarise()) {
      counts = null;
      codes = new Set();
      return;
    }
    counts = new Map();
    timer = setTimeout(endInterval, intervalMs).unref();
  }

  return {
    record(where, error, details) {
      if (counts && codes.has(error.code)) {
        const key = `${where} ${error.code}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return;
      }
      log.warn(
        { ...details, where, code: error.code },
        'request refused for now; more within the interval are summarised',
      );
      codes.add(error.code);
      if (!counts) {
        counts = new Map();
        timer = setTimeout(endInterval, intervalMs).unref();
      }
    },

    flush() {
      if (timer) clearTimeout(timer);
      timer = null;
      summarise();
      counts = null;
      codes = new Set();
    },
  };
}

const byLogger = new WeakMap<FastifyBaseLogger, RefusalLog>();

/**
 * The one refusal log of a logger, so HTTP routes and socket events of one server share the
 * interval and one summary line counts both.
 */
export function refusalLogOf(log: FastifyBaseLogger): RefusalLog {
  let refusals = byLogger.get(log);
  if (!refusals) {
    refusals = createRefusalLog(log);
    byLogger.set(log, refusals);
  }
  return refusals;
}
