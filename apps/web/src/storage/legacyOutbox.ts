import type { OutboxRecord, OutboxStorage } from '@parley/client';
import type { ReplyPreview, UserSummary } from '@parley/shared';
import { deleteDB, openDB } from 'idb';

/**
 * Unsent messages as the web app kept them before it used @parley/client's outbox: database
 * `parley`, object store `outbox`, keyed by clientMsgId with an index by user.
 */
export interface LegacyOutboxRecord {
  clientMsgId: string;
  userId: number;
  conversationId: number;
  text: string;
  replyToId: number | null;
  replyTo: ReplyPreview | null;
  sender: UserSummary;
  createdAt: string;
  order: number;
  state: 'pending' | 'failed';
  errorCode: string | null;
}

export const LEGACY_DB_NAME = 'parley';

/**
 * Moves this user's unsent messages from the old database into the client's storage, once: each is
 * saved in the new storage before it is deleted from the old one, so a reload in the middle loses
 * nothing (a record moved twice is the same record, keyed by clientMsgId). The old database is
 * deleted once no user's records are left in it. Resolves with how many records were moved; never
 * rejects (no IndexedDB, or a refused one, moves nothing).
 */
export async function migrateLegacyOutbox(userId: number, storage: OutboxStorage): Promise<number> {
  if (typeof indexedDB === 'undefined') return 0;
  try {
    // No version: opens what is there, or creates an empty database that is deleted below.
    const db = await openDB(LEGACY_DB_NAME);
    let left = 0;
    let moved = 0;
    try {
      if (db.objectStoreNames.contains('outbox')) {
        const records = (await db.getAllFromIndex('outbox', 'byUser', userId)) as LegacyOutboxRecord[];
        for (const legacy of records) {
          const record: OutboxRecord = {
            clientMsgId: legacy.clientMsgId,
            conversationId: legacy.conversationId,
            text: legacy.text,
            replyToId: legacy.replyToId,
            replyTo: legacy.replyTo,
            createdAt: legacy.createdAt,
            order: legacy.order,
            state: legacy.state,
            errorCode: legacy.errorCode,
          };
          await storage.save(record);
          await db.delete('outbox', legacy.clientMsgId);
          moved += 1;
        }
        left = await db.count('outbox');
      }
    } finally {
      db.close();
    }
    if (left === 0) await deleteDB(LEGACY_DB_NAME);
    return moved;
  } catch (error) {
    console.warn('outbox: could not move unsent messages from the previous storage', error);
    return 0;
  }
}
