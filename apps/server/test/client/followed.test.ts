import { describe, expect, it } from 'vitest';
import { createParleyClient, type MessageCopy } from '@parley/client';
import { useGroupOfTwo } from '../helpers/fault-scenario.js';

// A UI that loads windows of history over HTTP (the web app) follows only those conversations,
// from the changeSeq it read before fetching, and gives the client the pages it fetched.
describe("catching up only the conversations followed (catchUp: 'followed')", () => {
  const { scenario, group } = useGroupOfTwo();

  it('tracks nothing by itself, catches a followed conversation up from its mark, and holds pages given to it', async () => {
    const { alice, bob, conversationId } = group();
    const aliceClient = await scenario.connect({ cookie: alice.cookie, conversationIds: [], name: 'alice' });
    const before = aliceClient.send(conversationId, 'before bob follows');
    await aliceClient.whenOutboxSettled();

    const bobClient = createParleyClient({
      url: scenario.server.url,
      auth: { kind: 'cookie', cookie: bob.cookie },
      catchUp: 'followed',
      discover: false,
      reportDelivery: false,
      userId: bob.id,
      validate: true,
      retry: { baseMs: 100, maxMs: 1_000, jitter: 0.5 },
      reconnect: { baseMs: 100, maxMs: 1_000, jitter: 0.5 },
    });
    const copies: MessageCopy[] = [];
    bobClient.on('message:copy', (copy) => copies.push(copy));
    try {
      await bobClient.start();
      // Heard of through a live message, not followed: nothing is caught up for it.
      const live = aliceClient.send(conversationId, 'live, unfollowed');
      await aliceClient.whenOutboxSettled();
      await expect.poll(() => copies.map((copy) => copy.message.id)).toContain(live.message!.id);
      expect(bobClient.conversationIds()).toEqual([]);
      expect(copies.map((copy) => copy.via)).toEqual(['live']);

      // A page the UI fetched itself: held, announced as history, moving no mark.
      bobClient.hold([before.message!]);
      expect(copies.at(-1)).toMatchObject({ via: 'history', outcome: 'added' });
      expect(
        bobClient
          .timeline(conversationId)
          .messages()
          .map((m) => m.id),
      ).toEqual([before.message!.id, live.message!.id]);

      // Followed from the changeSeq read with the page: a catch-up brings what came after it only.
      bobClient.follow(conversationId, live.message!.changeSeq);
      expect(bobClient.sync.mark(conversationId)).toBe(live.message!.changeSeq);
      bobClient.disconnect();
      const missed = [
        aliceClient.send(conversationId, 'missed 1'),
        aliceClient.send(conversationId, 'missed 2'),
      ];
      await aliceClient.whenOutboxSettled();
      const heldBefore = copies.length;
      await bobClient.connect();
      expect(copies.slice(heldBefore).map((copy) => [copy.message.id, copy.via, copy.outcome])).toEqual(
        missed.map((entry) => [entry.message!.id, 'sync', 'added']),
      );
      expect(bobClient.sync.mark(conversationId)).toBe(missed[1]!.message!.changeSeq);

      // Unfollowed: the next catch-up leaves it alone.
      bobClient.unfollow(conversationId);
      expect(bobClient.conversationIds()).toEqual([]);
    } finally {
      bobClient.stop();
    }
  });
});
