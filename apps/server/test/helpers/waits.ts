// How long a test waits for something that is sure to happen, in one place.

/**
 * The bound on any wait for a positive signal (an event, a condition, an outbox settling), in ms. It
 * is a cap that turns a hang into a failure with a message, not an expectation of speed: CI shares a
 * loaded two-core machine (load averages of 12-16 seen), where what takes 50 ms on a quiet run can
 * take seconds. A test that means to bound how long something takes says so with its own number
 * (e.g. a pool or ack timeout under test), never with this one.
 */
export const WAIT_CAP_MS = 30_000;
