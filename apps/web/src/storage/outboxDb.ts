import type { ReplyPreview, UserSummary } from '@parley/shared';
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/** A message the user sent that the server has not acknowledged yet, as kept across reloads. */
export interface OutboxRecord {
  clientMsgId: string;
  /** Whose outbox: several people may use one browser. */
  userId: number;
  conversationId: number;
  text: string;
  replyToId: number | null;
  /** What the quote looked like when sent, to show it while pending. */
  replyTo: ReplyPreview | null;
  sender: UserSummary;
  createdAt: string;
  /** Sending order: messages of a conversation go out in this order. */
  order: number;
  state: 'pending' | 'failed';
  errorCode: string | null;
}

interface OutboxSchema extends DBSchema {
  outbox: {
    key: string;
    value: OutboxRecord;
    indexes: { byUser: number };
  };
}

const DB_NAME = 'parley';
const DB_VERSION = 1;

let opening: Promise<IDBPDatabase<OutboxSchema>> | null = null;

function open(): Promise<IDBPDatabase<OutboxSchema>> {
  opening ??= openDB<OutboxSchema>(DB_NAME, DB_VERSION, {
    upgrade(db) {
      const store = db.createObjectStore('outbox', { keyPath: 'clientMsgId' });
      store.createIndex('byUser', 'userId');
    },
    // Another tab upgrading the schema: let it, and reopen next time.
    blocking() {
      void opening?.then((db) => db.close());
      opening = null;
    },
  }).catch((error: unknown) => {
    opening = null;
    throw error;
  });
  return opening;
}

/** IndexedDB can be missing or refused (some private modes): callers then keep the outbox in memory only. */
export const outboxDb = {
  async put(record: OutboxRecord): Promise<void> {
    await (await open()).put('outbox', record);
  },

  async delete(clientMsgId: string): Promise<void> {
    await (await open()).delete('outbox', clientMsgId);
  },

  /** This user's messages, in sending order. */
  async list(userId: number): Promise<OutboxRecord[]> {
    const records = await (await open()).getAllFromIndex('outbox', 'byUser', userId);
    return records.sort((a, b) => a.order - b.order);
  },

  /** Closes the connection (tests reopen a fresh database; a closed one reopens on next use). */
  async close(): Promise<void> {
    const current = opening;
    opening = null;
    if (current) (await current.catch(() => null))?.close();
  },
};
