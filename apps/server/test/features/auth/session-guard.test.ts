// The per-event check of session-sockets.ts with a clock the test moves: which events cost a read of
// the session, and what an event past the session's end gets. The integration tests beside this one
// cover the timers, rooms and processes against a real database and Redis.
import { ErrorCode, type SocketData } from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { createSessionSockets } from '../../../src/features/auth/session-sockets.js';
import type { SocketHandlerContext } from '../../../src/lib/socket-handler.js';
import type { ParleyServer, ParleySocket } from '../../../src/plugins/socket-io.js';

function setup(session: { userId: number; expiresAt: number } | null, active = true) {
  let now = 1_000_000;
  const state = { session, active };
  const currentSession = vi.fn(async () => state.session);
  const isActiveUser = vi.fn(async () => state.active);
  const roomEmits: Array<[string, unknown]> = [];
  const io = {
    in: (room: string) => ({
      emit: (_event: string, payload: unknown) => roomEmits.push([room, payload]),
      disconnectSockets: () => undefined,
    }),
  } as unknown as ParleyServer;
  const told: unknown[] = [];
  const socket = {
    data: { userId: 7, sessionId: 'sid', sessionExpiresAt: now + 3_600_000 } satisfies SocketData,
    connected: true,
    emit: (_event: string, payload: unknown) => told.push(payload),
    disconnect: vi.fn(() => {
      socket.connected = false;
    }),
    on: () => undefined,
  };
  const guard = createSessionSockets({
    io,
    currentSession,
    isActiveUser,
    recheckMs: 60_000,
    log: { warn: () => undefined } as unknown as FastifyBaseLogger,
    now: () => now,
  });
  const context = { socket: socket as unknown as ParleySocket, userId: 7, event: 'message:send' };
  return {
    state,
    currentSession,
    socket,
    told,
    roomEmits,
    check: () => guard.check(context as SocketHandlerContext),
    watch: () => guard.watch(socket as unknown as ParleySocket),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the session check before each socket event', () => {
  it('reads the session once after connecting, then not again within the recheck interval', async () => {
    const s = setup({ userId: 7, expiresAt: 1_000_000 + 3_600_000 });
    s.watch();
    await s.check();
    await s.check();
    s.advance(59_000);
    await s.check();
    expect(s.currentSession).toHaveBeenCalledTimes(1);
    s.advance(2_000);
    await s.check();
    expect(s.currentSession).toHaveBeenCalledTimes(2);
  });

  it('refuses the first event past the recheck interval of a deactivated account, then ends the socket', async () => {
    const s = setup({ userId: 7, expiresAt: 1_000_000 + 3_600_000 });
    s.watch();
    await s.check();
    s.state.active = false;
    s.advance(61_000);
    await expect(s.check()).rejects.toMatchObject({ code: ErrorCode.AccountDeactivated, statusCode: 403 });
    expect(s.socket.disconnect).not.toHaveBeenCalled(); // the refusal is answered first
    await settle();
    expect(s.told).toEqual([
      { code: ErrorCode.AccountDeactivated, message: 'This account has been deactivated' },
    ]);
    expect(s.socket.disconnect).toHaveBeenCalledWith(true);
    expect(s.roomEmits.map(([room]) => room)).toEqual(['user:7']);
  });

  it('reads the session again for an event past its known expiry, and refuses it with auth/unauthenticated', async () => {
    const s = setup({ userId: 7, expiresAt: 1_000_000 + 10_000 });
    s.watch();
    await s.check();
    s.state.session = null; // what the store answers for an expired session
    s.advance(10_000);
    await expect(s.check()).rejects.toMatchObject({ code: ErrorCode.Unauthenticated, statusCode: 401 });
    expect(s.currentSession).toHaveBeenCalledTimes(2);
    await settle();
    expect(s.told).toEqual([{ code: ErrorCode.Unauthenticated, message: expect.any(String) }]);
    expect(s.roomEmits.map(([room]) => room)).toEqual(['session:sid']);
  });

  it('ends a socket whose session was destroyed while it was still in the handshake', async () => {
    const s = setup(null);
    s.watch();
    await settle();
    await settle();
    expect(s.told).toEqual([{ code: ErrorCode.Unauthenticated, message: expect.any(String) }]);
    expect(s.socket.disconnect).toHaveBeenCalledWith(true);
  });
});
