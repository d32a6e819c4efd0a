import { ServerEvent, type Presence } from '@parley/shared';
import { rooms, type ParleyServer, type PresenceChange } from '../../plugins/socket-io.js';

export interface PresenceFanoutDeps {
  io: ParleyServer;
  /** The shortest time between two deliveries to the sockets of this process (PRESENCE_BATCH_MS). */
  batchMs: number;
  now?: () => number;
}

export type PresenceFanout = ReturnType<typeof createPresenceFanout>;

/**
 * Delivers presence changes to this process's sockets, one `presence:changes` per socket per window.
 *
 * Changes arrive in batches, from this process and (through Redis) from the others. Each is matched
 * against this process's own conversation rooms (and, for large groups, their watchers' rooms) and merged into what is pending for each socket in
 * them (a person's latest change wins; nobody is told about themselves). Pending changes go out at
 * most once per `batchMs`: at once when the last delivery is that old, else when it will be. A
 * change that interests no socket here costs one room lookup per conversation of its user, nothing more.
 */
export function createPresenceFanout({ io, batchMs, now = Date.now }: PresenceFanoutDeps) {
  const pending = new Map<string, Map<number, Presence>>();
  let lastDeliveryAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | null = null;

  function deliver(): void {
    timer = null;
    lastDeliveryAt = now();
    const sockets = io.of('/').sockets;
    for (const [socketId, changes] of pending) {
      sockets.get(socketId)?.emit(ServerEvent.PresenceChanges, [...changes.values()]);
    }
    pending.clear();
  }

  function schedule(): void {
    if (timer || pending.size === 0) return;
    timer = setTimeout(deliver, Math.max(0, lastDeliveryAt + batchMs - now()));
  }

  return {
    /** Queues each change for the sockets here that share one of its conversations. */
    receive(changes: PresenceChange[]): void {
      const namespace = io.of('/');
      // By room: every member of a conversation's room, only the watchers of a large group's.
      const byRoom = new Map<string, Presence[]>();
      const add = (room: string, presence: Presence) => {
        const list = byRoom.get(room);
        if (list) list.push(presence);
        else byRoom.set(room, [presence]);
      };
      for (const { conversationIds, watchedIds, ...presence } of changes) {
        for (const conversationId of conversationIds) add(rooms.conversation(conversationId), presence);
        for (const conversationId of watchedIds) add(rooms.presenceWatch(conversationId), presence);
      }
      for (const [room, presences] of byRoom) {
        const socketIds = namespace.adapter.rooms.get(room);
        if (!socketIds) continue;
        for (const socketId of socketIds) {
          const recipient = namespace.sockets.get(socketId)?.data.userId;
          if (recipient === undefined) continue;
          let forSocket = pending.get(socketId);
          for (const presence of presences) {
            if (presence.userId === recipient) continue;
            if (!forSocket) pending.set(socketId, (forSocket = new Map()));
            forSocket.set(presence.userId, presence);
          }
        }
      }
      schedule();
    },

    close(): void {
      if (timer) clearTimeout(timer);
      timer = null;
      pending.clear();
    },
  };
}
