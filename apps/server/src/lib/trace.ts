import { channel } from 'node:diagnostics_channel';

/**
 * Trace points on `node:diagnostics_channel` (the Node.js mechanism undici and others publish on):
 * where a request's time goes, for whoever subscribes (the load bench's instrument,
 * bench/src/servers/instrument.mjs; a profiler attached to a production process). Nothing is
 * measured or allocated while no one subscribes: each publisher checks `hasSubscribers` first.
 *
 * Times are milliseconds from `performance.now()` (monotonic, fractional).
 */

/** One client event answered (lib/socket-handler.ts), on `parley:socket-event`. */
export interface SocketEventTrace {
  event: string;
  /**
   * From the event's arrival to its handler starting: the rate budget and validation, then the send
   * queue's wait (lib/send-queue.ts) for the events that go through it.
   */
  queuedMs: number;
  /** From the handler starting to the acknowledgement being written. */
  handledMs: number;
  ok: boolean;
}

/** One batch written by a group commit (lib/group-commit.ts), on `parley:batch`. */
export interface BatchTrace {
  /** Which group commit: 'message-send', 'positions', … */
  name: string;
  size: number;
  /** How long the batch's oldest request waited for the batch to be written. */
  waitedMs: number;
  /** How long the write took (the transaction, its round trips and its commit). */
  writeMs: number;
}

export const socketEventChannel = channel('parley:socket-event');
export const batchChannel = channel('parley:batch');
