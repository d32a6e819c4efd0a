import { ServerEvent, type Receipt } from '@parley/shared';
import { rooms, type ParleyServer } from '../../plugins/socket-io.js';

export type ReceiptBroadcaster = ReturnType<typeof createReceiptBroadcaster>;

/**
 * Every recipient's device reports delivery of every message, so a busy group would otherwise send
 * members × messages updates. Updates of one member in one conversation within `windowMs` are
 * sent once, with the latest position.
 */
export function createReceiptBroadcaster(io: ParleyServer, windowMs = 250) {
  const pending = new Map<string, Receipt>();
  let timer: NodeJS.Timeout | null = null;

  function flush(): void {
    timer = null;
    const batch = [...pending.values()];
    pending.clear();
    for (const receipt of batch)
      io.to(rooms.conversation(receipt.conversationId)).emit(ServerEvent.ReceiptUpdate, receipt);
  }

  return {
    /** Positions only move forward, so of two pending updates the furthest of each wins. */
    push(receipt: Receipt): void {
      const key = `${receipt.conversationId}:${receipt.userId}`;
      const earlier = pending.get(key);
      pending.set(
        key,
        earlier
          ? {
              ...receipt,
              lastDeliveredSeq: Math.max(earlier.lastDeliveredSeq, receipt.lastDeliveredSeq),
              lastReadSeq: Math.max(earlier.lastReadSeq, receipt.lastReadSeq),
            }
          : receipt,
      );
      timer ??= setTimeout(flush, windowMs);
    },
    close(): void {
      if (timer) clearTimeout(timer);
      flush();
    },
  };
}
