import { IndexedDbOutboxStorage } from '@parley/client/browser';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { LEGACY_DB_NAME, migrateLegacyOutbox, type LegacyOutboxRecord } from '@/storage/legacyOutbox';
import { alice, bob, summaryOf } from '../fixtures';

function legacy(clientMsgId: string, userId: number, order: number): LegacyOutboxRecord {
  return {
    clientMsgId,
    userId,
    conversationId: 4,
    text: `unsent ${order}`,
    replyToId: order === 2 ? 9 : null,
    replyTo:
      order === 2
        ? { id: 9, seq: 3, sender: summaryOf(bob), excerpt: 'the plan', deleted: false, attachmentKind: null }
        : null,
    sender: summaryOf(alice),
    createdAt: '2026-01-02T12:00:00.000Z',
    order,
    state: order === 3 ? 'failed' : 'pending',
    errorCode: order === 3 ? 'message/not_member' : null,
  };
}

/** The database as the app wrote it before it used the client's outbox (storage/outboxDb.ts, version 1). */
async function writeLegacy(records: LegacyOutboxRecord[]): Promise<void> {
  const db = await openDB(LEGACY_DB_NAME, 1, {
    upgrade(database) {
      database.createObjectStore('outbox', { keyPath: 'clientMsgId' }).createIndex('byUser', 'userId');
    },
  });
  for (const record of records) await db.put('outbox', record);
  db.close();
}

async function legacyIds(): Promise<string[]> {
  const db = await openDB(LEGACY_DB_NAME);
  const ids = db.objectStoreNames.contains('outbox') ? ((await db.getAllKeys('outbox')) as string[]) : [];
  db.close();
  return ids;
}

describe('moving unsent messages from the storage the app used before', () => {
  it("moves this user's records into the client's storage once, and leaves another user's", async () => {
    await writeLegacy([legacy('a1', alice.id, 1), legacy('a2', alice.id, 2), legacy('a3', alice.id, 3)]);
    await writeLegacy([legacy('b1', bob.id, 4)]);
    const storage = new IndexedDbOutboxStorage({ userId: alice.id });

    expect(await migrateLegacyOutbox(alice.id, storage)).toBe(3);

    const moved = (await storage.load()).sort((x, y) => x.order - y.order);
    expect(moved).toEqual([
      expect.objectContaining({ clientMsgId: 'a1', text: 'unsent 1', state: 'pending', replyTo: null }),
      expect.objectContaining({
        clientMsgId: 'a2',
        replyToId: 9,
        replyTo: expect.objectContaining({ excerpt: 'the plan' }),
      }),
      expect.objectContaining({ clientMsgId: 'a3', state: 'failed', errorCode: 'message/not_member' }),
    ]);
    expect(await legacyIds()).toEqual(['b1']);
    // A second start moves nothing again: the records are the client's now.
    expect(await migrateLegacyOutbox(alice.id, storage)).toBe(0);
    expect(await storage.load()).toHaveLength(3);
  });

  it('deletes the old database once nobody has records left in it', async () => {
    await writeLegacy([legacy('a1', alice.id, 1)]);
    await migrateLegacyOutbox(alice.id, new IndexedDbOutboxStorage({ userId: alice.id }));
    const databases = await indexedDB.databases();
    expect(databases.map((database) => database.name)).not.toContain(LEGACY_DB_NAME);
  });

  it('does nothing, and leaves no database behind, where the old storage never existed', async () => {
    const storage = new IndexedDbOutboxStorage({ userId: alice.id });
    expect(await migrateLegacyOutbox(alice.id, storage)).toBe(0);
    expect(await storage.load()).toEqual([]);
    expect((await indexedDB.databases()).map((database) => database.name)).not.toContain(LEGACY_DB_NAME);
  });
});
