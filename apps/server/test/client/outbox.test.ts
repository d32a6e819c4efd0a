import { ErrorCode } from '@parley/shared';
import { describe, expect, it } from 'vitest';
import { useGroupOfTwo } from '../helpers/fault-scenario.js';
import { rowsFor } from '../helpers/stored-messages.js';

describe('the outbox against a real server', () => {
  const { scenario, group } = useGroupOfTwo();

  it('sends messages written while offline once connected, in the order written, each stored once', async () => {
    const { alice, conversationId } = group();
    const aliceClient = await scenario.connect({ cookie: alice.cookie, conversationIds: [], name: 'alice' });
    aliceClient.goOffline();
    const entries = Array.from({ length: 15 }, (_, i) => aliceClient.send(conversationId, `offline ${i}`));
    expect(entries.map((entry) => entry.state)).toEqual(entries.map(() => 'pending'));

    await aliceClient.connect();
    await aliceClient.whenOutboxSettled();
    const seqs = entries.map((entry) => entry.message!.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (const entry of entries)
      expect(await rowsFor(scenario.database.url, alice.id, entry.clientMsgId)).toHaveLength(1);
    // The acknowledged messages are in the sender's timeline, as the server stored them.
    expect(aliceClient.messagesOf(conversationId).map((m) => m.clientMsgId)).toEqual(
      entries.map((entry) => entry.clientMsgId),
    );
  });

  it('retries with the same clientMsgId across a server crash, and a refused message fails without holding up the rest', async () => {
    const { alice, conversationId } = group();
    const aliceClient = await scenario.connect({ cookie: alice.cookie, conversationIds: [], name: 'alice' });
    const burst = Array.from({ length: 20 }, (_, i) => aliceClient.send(conversationId, `burst ${i}`));
    // Killed with the burst in flight: some stored and not acknowledged, some never arrived.
    await scenario.server.kill();
    const before = aliceClient.send(conversationId, 'written while the server is down');
    // A conversation alice is not in: refused for good, and only this message fails.
    const refused = aliceClient.send(2_000_000, 'nowhere');
    const after = aliceClient.send(conversationId, 'written after it');
    await scenario.server.start();
    await aliceClient.whenOutboxSettled();

    const mine = [...burst, before, after];
    expect(mine.map((entry) => entry.state)).toEqual(mine.map(() => 'sent'));
    const seqs = mine.map((entry) => entry.message!.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(refused.state).toBe('failed');
    expect(refused.error?.code).toBe(ErrorCode.ConversationNotFound);
    for (const entry of mine)
      expect(await rowsFor(scenario.database.url, alice.id, entry.clientMsgId)).toHaveLength(1);

    // retry() sends a failed message again as is; discard() forgets it.
    aliceClient.client.outbox.retry(refused.clientMsgId);
    await aliceClient.whenOutboxSettled();
    expect(refused.state).toBe('failed');
    aliceClient.client.outbox.discard(refused.clientMsgId);
    expect(aliceClient.outbox.map((entry) => entry.clientMsgId)).not.toContain(refused.clientMsgId);
  });
});
