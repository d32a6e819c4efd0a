// The room fan-out's slicing and order, against a stand-in for Socket.IO that records which socket
// was written what, and when (the integration test is features/messages/large-room-fanout.test.ts).
import type { Message } from '@parley/shared';
import { describe, expect, it } from 'vitest';
import { createRoomFanout } from '../../src/lib/room-fanout.js';
import type { ParleyServer } from '../../src/plugins/socket-io.js';

const ROOM = 'conversation:1';
const message = (id: number) => ({ id }) as unknown as Message;
const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Sockets `s1`…`sN` in ROOM. `roomEmits` counts emits written to the whole room in one go,
 * `forwarded` what was sent to the other processes.
 */
function standIn(sockets: number) {
  const members = new Set(Array.from({ length: sockets }, (_, i) => `s${i + 1}`));
  const written = new Map<string, number[]>();
  const write = (socketIds: Iterable<string>, payload: Message) => {
    for (const socketId of socketIds) written.set(socketId, [...(written.get(socketId) ?? []), payload.id]);
  };
  let roomEmits = 0;
  const forwarded: unknown[] = [];
  const io = {
    of: () => ({ adapter: { rooms: new Map([[ROOM, members]]) } }),
    on: () => io,
    serverSideEmit: (_event: string, request: unknown) => forwarded.push(request),
    local: {
      to: (target: string | string[]) => {
        const except = new Set<string>();
        const operator = {
          except: (socketId: string) => (except.add(socketId), operator),
          emit: (_event: string, payload: Message) => {
            if (Array.isArray(target)) return write(target, payload);
            expect(target).toBe(ROOM);
            roomEmits += 1;
            write(
              [...members].filter((socketId) => !except.has(socketId)),
              payload,
            );
          },
        };
        return operator;
      },
    },
  };
  return {
    io: io as unknown as ParleyServer,
    members,
    written,
    forwarded,
    roomEmits: () => roomEmits,
    /** How many sockets have been written anything. */
    reached: () => written.size,
  };
}

describe('the room fan-out', () => {
  it('writes a room larger than a slice one slice now and one per turn after, everyone but the sender once', async () => {
    const server = standIn(7);
    const fanout = createRoomFanout(server.io, { sliceSockets: 2, crossProcess: false });

    fanout.emit(ROOM, 'message:new', message(1), 's1');
    expect(server.reached()).toBe(2);
    await turn();
    expect(server.reached()).toBe(4);
    while (fanout.pendingRooms() > 0) await turn();

    expect([...server.written.keys()].sort()).toEqual(['s2', 's3', 's4', 's5', 's6', 's7']);
    for (const ids of server.written.values()) expect(ids).toEqual([1]);
  });

  it('keeps a room’s order: a later emit waits behind the slices, even once the room is small', async () => {
    const server = standIn(5);
    const fanout = createRoomFanout(server.io, { sliceSockets: 2, crossProcess: false });
    fanout.emit(ROOM, 'message:new', message(1));
    fanout.emit(ROOM, 'message:updated', message(2));
    // Three members leave: small enough for one go, but the room still has slices to write.
    for (const socketId of ['s3', 's4', 's5']) server.members.delete(socketId);
    fanout.emit(ROOM, 'message:new', message(3));
    while (fanout.pendingRooms() > 0) await turn();

    // Each emit went to the sockets in the room when it was asked for, in the order asked.
    expect(Object.fromEntries(server.written)).toEqual({
      s1: [1, 2, 3],
      s2: [1, 2, 3],
      s3: [1, 2],
      s4: [1, 2],
      s5: [1, 2],
    });
    expect(server.roomEmits()).toBe(0);
  });

  it('writes a small room with nothing pending in one go, and tells the other processes of every emit', async () => {
    const small = standIn(2);
    createRoomFanout(small.io, { sliceSockets: 2, crossProcess: false }).emit(
      ROOM,
      'message:new',
      message(1),
    );
    expect(small.roomEmits()).toBe(1);
    expect(small.reached()).toBe(2);
    expect(small.forwarded).toEqual([]);

    const shared = standIn(7);
    const fanout = createRoomFanout(shared.io, { sliceSockets: 2, crossProcess: true });
    fanout.emit(ROOM, 'message:new', message(1), 's1');
    fanout.emit(ROOM, 'message:new', message(2));
    while (fanout.pendingRooms() > 0) await turn();
    expect(shared.reached()).toBe(7);
    expect(shared.forwarded).toEqual([
      { room: ROOM, event: 'message:new', message: message(1), exceptSocketId: 's1' },
      // No exceptSocketId key at all: MessagePack has no undefined.
      { room: ROOM, event: 'message:new', message: message(2) },
    ]);
    expect(Object.keys(shared.forwarded[1] as object)).not.toContain('exceptSocketId');
  });
});
