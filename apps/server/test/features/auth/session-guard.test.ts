// The checks of session-sockets.ts with a clock and sweep timer the test moves: which events cost a
// read of the session, how sockets are checked together and spread in time, and what an event past
// the session's end gets. The integration tests beside this one (session-sockets.test.ts) cover the
// rooms, processes, stores and query counts against a real database and Redis.
import { ErrorCode, type SocketData } from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_READ, type HeldSession } from '../../../src/features/auth/session-checks.js';
import { createSessionSockets } from '../../../src/features/auth/session-sockets.js';
import { sweepIntervalMs } from '../../../src/features/auth/session-sweep.js';
import type { SocketHandlerContext } from '../../../src/lib/socket-handler.js';
import type { ParleyServer, ParleySocket } from '../../../src/plugins/socket-io.js';

const RECHECK_MS = 60_000;
const START = 1_000_000;

interface FakeSocket {
  data: SocketData;
  connected: boolean;
  told: unknown[];
  emit(event: string, payload: unknown): void;
  disconnect: ReturnType<typeof vi.fn>;
  on(): void;
}

/** A small deterministic generator in [0, 1) (mulberry32), standing in for Math.random. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function setup({ random = () => 0.5 }: { random?: () => number } = {}) {
  let now = START;
  /** Sessions as the store has them; a missing one has ended. */
  const sessions = new Map<string, HeldSession>();
  const deactivated = new Set<number>();
  const store = { down: false };
  const currentSessions = vi.fn(async (ids: readonly string[]) => {
    if (store.down) throw new Error('store unreachable');
    const found = new Map<string, HeldSession>();
    for (const id of ids) {
      const session = sessions.get(id);
      if (session) found.set(id, session);
    }
    return found;
  });
  const activeUsers = vi.fn(async (ids: readonly number[]) => {
    if (store.down) throw new Error('store unreachable');
    return new Set(ids.filter((id) => !deactivated.has(id)));
  });
  const roomEmits: Array<[string, unknown]> = [];
  const io = {
    in: (room: string) => ({
      emit: (_event: string, payload: unknown) => roomEmits.push([room, payload]),
      disconnectSockets: () => undefined,
    }),
  } as unknown as ParleyServer;
  const guard = createSessionSockets({
    io,
    currentSessions,
    activeUsers,
    recheckMs: RECHECK_MS,
    log: { warn: () => undefined } as unknown as FastifyBaseLogger,
    now: () => now,
    random,
  });

  function connect(sessionId = 'sid', userId = 7, expiresAt = now + 3_600_000): FakeSocket {
    sessions.set(sessionId, { userId, expiresAt });
    const socket: FakeSocket = {
      data: { userId, sessionId, sessionExpiresAt: expiresAt },
      connected: true,
      told: [],
      emit: (_event, payload) => socket.told.push(payload),
      disconnect: vi.fn(() => {
        socket.connected = false;
      }),
      on: () => undefined,
    };
    guard.watch(socket as unknown as ParleySocket);
    return socket;
  }

  return {
    sessions,
    deactivated,
    store,
    currentSessions,
    activeUsers,
    roomEmits,
    guard,
    connect,
    check: (socket: FakeSocket) =>
      guard.check({
        socket: socket as unknown as ParleySocket,
        userId: socket.data.userId,
        event: 'message:send',
      } as SocketHandlerContext),
    /** Moves the clock only: what an event sees before the sweep has run. */
    advanceClock: (ms: number) => {
      now += ms;
    },
    /** Moves the clock and the sweep timer together, one sweep interval at a time, letting reads finish. */
    advance: async (ms: number) => {
      const step = sweepIntervalMs(RECHECK_MS);
      for (let moved = 0; moved < ms; moved += step) {
        now += step;
        vi.advanceTimersByTime(step);
        await settle();
      }
    },
  };
}

/** Lets the batch queued for this tick read, and what it ends be ended. */
const settle = async () => {
  for (let round = 0; round < 3; round += 1) await new Promise((resolve) => setImmediate(resolve));
};

beforeEach(() => {
  // Only the sweep's interval is faked: the batches run on real setImmediate and promises.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the session check before each socket event', () => {
  it('reads the session once after connecting, then not again before its next check is due', async () => {
    const s = setup(); // the next check falls 0.875 × 60 s later
    const socket = s.connect();
    await s.check(socket);
    await s.check(socket);
    s.advanceClock(52_000);
    await s.check(socket);
    expect(s.currentSessions).toHaveBeenCalledTimes(1);
    s.advanceClock(1_000);
    // Past its known validity, the event waits for its socket's check, which reads at once.
    await s.check(socket);
    expect(s.currentSessions).toHaveBeenCalledTimes(2);
    await s.guard.close();
  });

  it('refuses the first event past the recheck interval of a deactivated account, then ends the socket', async () => {
    const s = setup();
    const socket = s.connect();
    await s.check(socket);
    s.deactivated.add(7);
    s.advanceClock(61_000);
    await expect(s.check(socket)).rejects.toMatchObject({
      code: ErrorCode.AccountDeactivated,
      statusCode: 403,
    });
    expect(socket.disconnect).not.toHaveBeenCalled(); // the refusal is answered first
    await settle();
    expect(socket.told).toEqual([
      { code: ErrorCode.AccountDeactivated, message: 'This account has been deactivated' },
    ]);
    expect(socket.disconnect).toHaveBeenCalledWith(true);
    expect(s.roomEmits.map(([room]) => room)).toEqual(['user:7']);
    await s.guard.close();
  });

  it('refuses an event past the session’s known expiry with auth/unauthenticated, without a read', async () => {
    const s = setup();
    const socket = s.connect('sid', 7, START + 10_000);
    await s.check(socket);
    s.advanceClock(10_000);
    await expect(s.check(socket)).rejects.toMatchObject({
      code: ErrorCode.Unauthenticated,
      statusCode: 401,
    });
    // Sessions do not roll: an expiry that passed is a fact, and needs no read.
    expect(s.currentSessions).toHaveBeenCalledTimes(1);
    await settle();
    expect(socket.told).toEqual([{ code: ErrorCode.Unauthenticated, message: expect.any(String) }]);
    expect(s.roomEmits.map(([room]) => room)).toEqual(['session:sid']);
    await s.guard.close();
  });

  it('ends a socket whose session was destroyed while it was still in the handshake', async () => {
    const s = setup();
    const socket = s.connect();
    s.sessions.delete('sid');
    await settle();
    expect(socket.told).toEqual([{ code: ErrorCode.Unauthenticated, message: expect.any(String) }]);
    expect(socket.disconnect).toHaveBeenCalledWith(true);
    await s.guard.close();
  });
});

describe('the periodic checks, one sweep per process', () => {
  it('checks sockets that connect together in one read per kind, one lookup per session', async () => {
    const s = setup();
    // 10 tabs for each of 40 people: 400 sockets, 40 sessions.
    const sockets = Array.from({ length: 400 }, (_, i) => s.connect(`sid-${i % 40}`, 100 + (i % 40)));
    await settle();
    expect(s.currentSessions).toHaveBeenCalledTimes(1);
    expect(s.activeUsers).toHaveBeenCalledTimes(1);
    expect([...s.currentSessions.mock.calls[0]![0]].sort()).toEqual(
      Array.from({ length: 40 }, (_, i) => `sid-${i}`).sort(),
    );
    expect(s.activeUsers.mock.calls[0]![0]).toHaveLength(40);
    // Checked: their events cost no read now.
    await Promise.all(sockets.map((socket) => s.check(socket)));
    expect(s.currentSessions).toHaveBeenCalledTimes(1);
    await s.guard.close();
  });

  it(`reads at most ${MAX_READ} sockets’ sessions at once`, async () => {
    const s = setup();
    for (let i = 0; i < 2 * MAX_READ + 1; i += 1) s.connect(`sid-${i}`, i + 1);
    await settle();
    expect(s.currentSessions.mock.calls.map(([ids]) => ids.length)).toEqual([MAX_READ, MAX_READ, 1]);
    expect(s.activeUsers.mock.calls.map(([ids]) => ids.length)).toEqual([MAX_READ, MAX_READ, 1]);
    await s.guard.close();
  });

  it('spreads the next checks of sockets that connected together over the last quarter of the interval', async () => {
    const s = setup({ random: seeded(42) });
    const count = 300;
    for (let i = 0; i < count; i += 1) s.connect(`sid-${i}`, i + 1);
    await settle();
    s.currentSessions.mockClear();

    // Second by second, how many sessions each sweep read again.
    const readsBySecond: number[] = [];
    for (let second = 1; second <= 61; second += 1) {
      const before = s.currentSessions.mock.calls.length;
      await s.advance(1_000);
      const reads = s.currentSessions.mock.calls.slice(before).reduce((sum, [ids]) => sum + ids.length, 0);
      readsBySecond.push(reads);
    }
    const first = readsBySecond.findIndex((reads) => reads > 0) + 1;
    // 0.75 × 60 s, less the one to two sweeps by which a check runs ahead of the validity it renews.
    expect(first).toBeGreaterThanOrEqual(43);
    // Each socket read again exactly once within the interval (plus one sweep), none twice.
    expect(readsBySecond.reduce((sum, reads) => sum + reads, 0)).toBe(count);
    // Over 15 seconds rather than at once: no sweep reads more than a quarter of them.
    expect(readsBySecond.filter((reads) => reads > 0).length).toBeGreaterThanOrEqual(12);
    expect(Math.max(...readsBySecond)).toBeLessThanOrEqual(count / 4);
    // One read per sweep, whatever the number of sockets due in it.
    expect(s.currentSessions.mock.calls.length).toBe(readsBySecond.filter((reads) => reads > 0).length);
    await s.guard.close();
  });

  it('renews a socket’s validity before it runs out, so an event at its end waits for no read', async () => {
    // random() = 0: the next check is a whole RECHECK_MS after the first.
    const s = setup({ random: () => 0 });
    const socket = s.connect('sid', 7);
    await settle();
    expect(s.currentSessions).toHaveBeenCalledTimes(1);
    // A sweep before the validity ends reads it again …
    await s.advance(RECHECK_MS - sweepIntervalMs(RECHECK_MS));
    expect(s.currentSessions).toHaveBeenCalledTimes(2);
    // … so an event past the end of the first validity, before any further sweep, is answered from memory.
    s.advanceClock(sweepIntervalMs(RECHECK_MS) + 1);
    await s.check(socket);
    expect(s.currentSessions).toHaveBeenCalledTimes(2);
    expect(socket.connected).toBe(true);
    await s.guard.close();
  });

  it('ends an idle socket within a sweep of its session’s expiry, without a read', async () => {
    const s = setup();
    const socket = s.connect('sid', 7, START + 5_000);
    await settle();
    await s.advance(4_000);
    expect(socket.connected).toBe(true);
    await s.advance(1_000 + sweepIntervalMs(RECHECK_MS));
    expect(socket.told).toEqual([{ code: ErrorCode.Unauthenticated, message: expect.any(String) }]);
    expect(socket.disconnect).toHaveBeenCalledWith(true);
    expect(s.currentSessions).toHaveBeenCalledTimes(1);
    await s.guard.close();
  });

  it('keeps sockets through a store outage, refuses their events as retryable, and checks them again soon', async () => {
    const s = setup();
    const kept = s.connect('kept', 7);
    const expiring = s.connect('expiring', 8, START + 64_000);
    await settle();
    s.store.down = true;
    s.advanceClock(61_000);
    // The event's check fails: the error of the read, not a session's end.
    await expect(s.check(kept)).rejects.toThrow('store unreachable');
    await settle();
    expect(kept.connected).toBe(true);
    expect(kept.told).toEqual([]);
    // Tried again within 5 s; an expiry that passes meanwhile still ends its socket.
    await s.advance(6_000);
    expect(expiring.told).toEqual([{ code: ErrorCode.Unauthenticated, message: expect.any(String) }]);
    expect(kept.connected).toBe(true);
    // The reads: after connecting; the event's (61 s); the expiring socket's periodic one (62 s, due
    // at 52.5 s), which fails, so it is due again at its expiry (64 s) and ended there without a read;
    // the kept socket's retry (66 s), which fails too.
    const failedReads = s.currentSessions.mock.calls.length;
    expect(failedReads).toBe(4);
    s.store.down = false;
    await s.advance(5_000);
    expect(s.currentSessions.mock.calls.length).toBe(failedReads + 1);
    await s.check(kept);
    expect(kept.connected).toBe(true);
    await s.guard.close();
  });

  it('of thousands of sockets ends the one session revoked behind its back within the bound, and only it', async () => {
    const s = setup({ random: seeded(7) });
    // 5,000 tabs of 1,000 people, one session each; checked in reads of at most MAX_READ sockets.
    const sockets = Array.from({ length: 5_000 }, (_, i) => s.connect(`sid-${i % 1_000}`, 1 + (i % 1_000)));
    await settle();
    const revoked = sockets.filter((socket) => socket.data.sessionId === 'sid-500');
    s.sessions.delete('sid-500');
    s.currentSessions.mockClear();

    // The bound: the recheck interval, a sweep, and the read of the batch the socket is due in.
    await s.advance(RECHECK_MS + sweepIntervalMs(RECHECK_MS));
    for (const socket of revoked) {
      expect(socket.told).toEqual([{ code: ErrorCode.Unauthenticated, message: expect.any(String) }]);
      expect(socket.disconnect).toHaveBeenCalledWith(true);
    }
    const others = sockets.filter((socket) => socket.data.sessionId !== 'sid-500');
    expect(others.every((socket) => socket.connected && socket.told.length === 0)).toBe(true);
    // Told through its session's room too (on every process), and no other room.
    expect(new Set(s.roomEmits.map(([room]) => room))).toEqual(new Set(['session:sid-500']));
    // Every socket was read again once, in reads of at most MAX_READ.
    const reads = s.currentSessions.mock.calls.map(([ids]) => ids.length);
    expect(Math.max(...reads)).toBeLessThanOrEqual(MAX_READ);
    expect(reads.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(1_000);
    // Their events cost no read until their next check.
    s.currentSessions.mockClear();
    await Promise.all(others.slice(0, 100).map((socket) => s.check(socket)));
    expect(s.currentSessions).not.toHaveBeenCalled();
    await s.guard.close();
  });

  it('stops its one timer on close', async () => {
    const s = setup();
    s.connect();
    await settle();
    expect(vi.getTimerCount()).toBe(1);
    await s.guard.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
