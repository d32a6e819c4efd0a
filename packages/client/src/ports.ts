/**
 * What the client needs from its surroundings, passed in so that it never reaches for a global of one
 * runtime (no `window`, no `document`, no Node module) and tests can drive time.
 */

/** Time, and timers on it (milliseconds). */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The runtime's own clock and timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => globalThis.setTimeout(callback, delayMs),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/** Where the client says what it is doing; `details` is a plain object. */
export interface Logger {
  debug(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

/** Says nothing: the default, since a library should not write to a console it does not own. */
export const silentLogger: Logger = { debug: () => {}, warn: () => {} };

/** Resolves after `delayMs` on `clock`. */
export function delay(clock: Clock, delayMs: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, delayMs));
}
