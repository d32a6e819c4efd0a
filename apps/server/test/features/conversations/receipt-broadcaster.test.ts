import type { Receipt } from '@parley/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReceiptBroadcaster } from '../../../src/features/conversations/receipt-broadcaster.js';
import type { ParleyServer } from '../../../src/plugins/socket-io.js';

/** A stand-in for io.to(room).emit that records what would be broadcast. */
function recordingServer() {
  const sent: Array<{ room: string; receipt: Receipt }> = [];
  const io = {
    to: (room: string) => ({ emit: (_event: string, receipt: Receipt) => sent.push({ room, receipt }) }),
  };
  return { io: io as unknown as ParleyServer, sent };
}

describe('receipt broadcaster', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the moves of one member within a window once, with the furthest positions', () => {
    const { io, sent } = recordingServer();
    const broadcaster = createReceiptBroadcaster(io, 250);
    const receipt = (lastDeliveredSeq: number, lastReadSeq: number): Receipt => ({
      conversationId: 7,
      userId: 3,
      lastDeliveredSeq,
      lastReadSeq,
    });
    broadcaster.push(receipt(2, 1));
    broadcaster.push(receipt(6, 0)); // a tab that read nothing reports after one that did
    broadcaster.push(receipt(4, 4));
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual([{ room: 'conversation:7', receipt: receipt(6, 4) }]);
  });

  it('keeps members and conversations apart, and flushes what is pending on close', () => {
    const { io, sent } = recordingServer();
    const broadcaster = createReceiptBroadcaster(io, 250);
    broadcaster.push({ conversationId: 1, userId: 1, lastDeliveredSeq: 1, lastReadSeq: 1 });
    broadcaster.push({ conversationId: 1, userId: 2, lastDeliveredSeq: 2, lastReadSeq: 0 });
    broadcaster.push({ conversationId: 2, userId: 1, lastDeliveredSeq: 5, lastReadSeq: 5 });
    broadcaster.close();
    expect(sent.map(({ room, receipt }) => [room, receipt.userId])).toEqual([
      ['conversation:1', 1],
      ['conversation:1', 2],
      ['conversation:2', 1],
    ]);
  });
});
