import type { Message } from '@parley/shared';
import { InterServerEvent, type ParleyServer, type RoomFanoutRequest } from '../plugins/socket-io.js';

/** The events whose order within a conversation the fan-out keeps: a message and its changes. */
export type FanoutEvent = RoomFanoutRequest['event'];

export interface RoomFanoutOptions {
  /**
   * The most sockets of one room written in one go (FANOUT_SLICE_SOCKETS). A room with more on a
   * process is written this many at a time, one slice per turn of its event loop.
   */
  sliceSockets: number;
  /** Whether other processes share the rooms (the Redis adapter): each emit is sent to them too. */
  crossProcess: boolean;
}

export type RoomFanout = ReturnType<typeof createRoomFanout>;

/**
 * Emits a conversation's `message:new` and `message:updated` to its room without holding the event
 * loop for the whole room at once. Socket.IO writes a broadcast to every socket of a room in one
 * synchronous loop: one message to a 1,000-member group kept a core busy for 30–110 ms at 10,000
 * connections, and every send and delivery that arrived meanwhile waited for it (the longest stalls
 * of the benchmark's profiles, docs/benchmarks.md). A room with more than `sliceSockets` sockets on a
 * process is written `sliceSockets` at a time, the next slice after the event loop has taken what
 * arrived (`setImmediate`): Node's guidance for a long task, partitioned so that others get their
 * turn ("Don't Block the Event Loop", nodejs.org).
 *
 * Order: per room, emits go out in the order they were asked for. While a room has slices to write,
 * every later emit to it waits behind them, however small the room is by then. Each emit is written
 * to the sockets in the room when its turn comes to be asked of this process, as a broadcast would
 * be: one removed from the group after that still gets it (it was committed while they were a
 * member); one that joins after does not (its connect's catch-up covers it). Other events to the room
 * (receipts, typing, `conversation:updated`) are not held: they may pass a message still being
 * written to a large room, which the protocol allows (docs/protocol.md).
 *
 * Behind several processes (`crossProcess`) each emit is also sent to the others
 * (`io.serverSideEmit`, one message on the Redis adapter's request channel, in order from one
 * process), and each writes its own sockets the same way: the adapter's own broadcast delivers here
 * and publishes to the others in one call, which would leave this process's part unsliced.
 */
export function createRoomFanout(io: ParleyServer, { sliceSockets, crossProcess }: RoomFanoutOptions) {
  /** Per room, the emits still to write here: each writes its next slice and says whether it is done. */
  const pending = new Map<string, Array<() => boolean>>();

  function writeNextSlice(room: string): void {
    const queue = pending.get(room);
    if (!queue) return;
    if (queue[0]!()) queue.shift();
    if (queue.length === 0) pending.delete(room);
    else setImmediate(writeNextSlice, room);
  }

  /** Writes the emit to this process's sockets in the room. */
  function emitHere({ room, event, message, exceptSocketId }: RoomFanoutRequest): void {
    const queue = pending.get(room);
    const here = io.of('/').adapter.rooms.get(room);
    if (!here) return;
    if (!queue && here.size <= sliceSockets) {
      const operator = io.local.to(room);
      (exceptSocketId ? operator.except(exceptSocketId) : operator).emit(event, message);
      return;
    }
    const socketIds = [...here].filter((socketId) => socketId !== exceptSocketId);
    let offset = 0;
    const writeSlice = (): boolean => {
      const slice = socketIds.slice(offset, offset + sliceSockets);
      offset += sliceSockets;
      if (slice.length > 0) io.local.to(slice).emit(event, message);
      return offset >= socketIds.length;
    };
    if (queue) {
      queue.push(writeSlice);
      return;
    }
    pending.set(room, [writeSlice]);
    // The first slice now, as a broadcast would; the rest in later turns.
    writeNextSlice(room);
  }

  // What the other processes were asked to write (the adapter never delivers a process its own).
  if (crossProcess) io.on(InterServerEvent.RoomFanout, emitHere);

  return {
    /**
     * Emits `event` with `message` to every socket in `room`, on every process, except
     * `exceptSocketId` (the sender's socket, whose ack carries it).
     */
    emit(room: string, event: FanoutEvent, message: Message, exceptSocketId?: string): void {
      // Without an absent key: what crosses Redis is MessagePack, which has no `undefined`.
      const request: RoomFanoutRequest = exceptSocketId
        ? { room, event, message, exceptSocketId }
        : { room, event, message };
      emitHere(request);
      if (crossProcess) io.serverSideEmit(InterServerEvent.RoomFanout, request);
    },

    /** Rooms with slices still to write here (for tests and diagnostics). */
    pendingRooms(): number {
      return pending.size;
    },
  };
}
