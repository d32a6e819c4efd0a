import {
  ErrorCode,
  type Ack,
  type ApiError,
  type ClientEventAck,
  type ClientEventName,
  type ClientEventPayload,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '@parley/shared';
import type { Socket } from 'socket.io-client';
import { systemClock, type Clock } from './ports.js';

/** Why a request got no answer from the server: its outcome is unknown, so it may be retried as is. */
export type LostReason = 'not_connected' | 'disconnected' | 'timeout';

/**
 * What a request resolves with: the server's acknowledgement, or a `server/unavailable` made here
 * with `lost` saying why no acknowledgement came.
 */
export type RequestResult<T> = { ok: true; data: T } | { ok: false; error: ApiError; lost?: LostReason };

export interface RequestOptions {
  timeoutMs: number;
  clock?: Clock;
  /**
   * Where the request registers how to settle itself as `disconnected` while it waits; the owner of
   * the socket calls every one of them when the connection drops.
   */
  pending: Set<() => void>;
  /** Sees each acknowledgement as it arrives (e.g. to check it against the contract). */
  inspect?: (response: unknown) => void;
}

function lost(reason: LostReason, message: string): RequestResult<never> {
  return { ok: false, error: { code: ErrorCode.Unavailable, message }, lost: reason };
}

function isAck(value: unknown): value is Ack<unknown> {
  return typeof value === 'object' && value !== null && 'ok' in value;
}

/**
 * The one acknowledgement helper: emits a client event on `socket` and resolves with its
 * acknowledgement. Never rejects: not connected, a disconnect before the answer (see `pending`), no
 * answer within `timeoutMs`, or an answer that is not an Ack all resolve as `server/unavailable`, since
 * the outcome is unknown and the caller may retry as is.
 */
export function requestWithAck<E extends ClientEventName>(
  socket: Socket<ServerToClientEvents, ClientToServerEvents>,
  event: E,
  payload: ClientEventPayload<E>,
  { timeoutMs, clock = systemClock, pending, inspect }: RequestOptions,
): Promise<RequestResult<ClientEventAck<E>>> {
  if (!socket.connected) return Promise.resolve(lost('not_connected', 'not connected'));
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: RequestResult<ClientEventAck<E>>) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      pending.delete(dropped);
      resolve(result);
    };
    const dropped = () => finish(lost('disconnected', 'disconnected before the acknowledgement'));
    const timer = clock.setTimeout(() => finish(lost('timeout', 'no acknowledgement in time')), timeoutMs);
    pending.add(dropped);
    // The typed emit cannot take a generic event name; the payload's type is checked by the signature.
    (socket.emit as (name: string, body: unknown, ack: (response: unknown) => void) => void)(
      event,
      payload,
      (response) => {
        inspect?.(response);
        finish(
          isAck(response)
            ? (response as RequestResult<ClientEventAck<E>>)
            : { ok: false, error: { code: ErrorCode.Unavailable, message: 'malformed acknowledgement' } },
        );
      },
    );
  });
}
