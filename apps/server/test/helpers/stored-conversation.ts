// What every delivery test ends with: the database and each client agree on a conversation.
import { expect } from 'vitest';
import { readStoredMessages, type StoredMessage } from './stored-messages.js';
import type { TestClient } from './test-client.js';

/**
 * The conversation's stored seqs run 1, 2, 3… with no (sender, clientMsgId) twice, and each client
 * holds exactly those messages, once each, in seq order, with no copy that disagrees.
 */
export async function expectEveryoneHoldsTheStoredConversation(
  databaseUrl: string,
  conversationId: number,
  clients: TestClient[],
): Promise<StoredMessage[]> {
  const stored = (await readStoredMessages(databaseUrl)).filter(
    (row) => row.conversationId === conversationId,
  );
  expect(stored.map((row) => row.seq)).toEqual(stored.map((_, index) => index + 1));
  expect(new Set(stored.map((row) => `${row.senderId}:${row.clientMsgId}`)).size).toBe(stored.length);
  for (const client of clients) {
    await expect
      .poll(() => client.messagesOf(conversationId).map((m) => m.id), { message: client.name })
      .toEqual(stored.map((row) => row.id));
    expect(client.conflicts, client.name).toEqual([]);
    const firstCopies = client.received
      .filter((d) => d.message.conversationId === conversationId)
      .map((d) => d.message.id);
    expect(new Set(firstCopies).size, client.name).toBe(firstCopies.length);
  }
  return stored;
}
