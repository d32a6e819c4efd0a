import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { OutboxRecord, OutboxStorage } from '../storage.js';

/** A record as kept in IndexedDB: one database serves every account that signs in on this origin. */
type StoredRecord = OutboxRecord & { userId: number };

interface OutboxSchema extends DBSchema {
  outbox: { key: string; value: StoredRecord; indexes: { byUser: number } };
}

export interface IndexedDbOutboxStorageOptions {
  /** Whose outbox: several people may use one browser, and each sees only their own unsent messages. */
  userId: number;
  /** The database's name (default `parley-client`). */
  name?: string;
}

const DB_VERSION = 1;

/**
 * Keeps the outbox in the browser's IndexedDB (through the `idb` library), so that a reload, a
 * closed tab or a crash sends the unsent messages later with the same clientMsgId. One object store
 * keyed by clientMsgId with an index by user. IndexedDB can be missing or refused (some private
 * modes): the calls then reject, and the outbox logs it and keeps its messages in memory only.
 */
export class IndexedDbOutboxStorage implements OutboxStorage {
  readonly userId: number;
  readonly name: string;
  private opening: Promise<IDBPDatabase<OutboxSchema>> | null = null;

  constructor(options: IndexedDbOutboxStorageOptions) {
    this.userId = options.userId;
    this.name = options.name ?? 'parley-client';
  }

  async load(): Promise<OutboxRecord[]> {
    const records = await (await this.open()).getAllFromIndex('outbox', 'byUser', this.userId);
    return records.map(({ userId: _userId, ...record }) => record);
  }

  async save(record: OutboxRecord): Promise<void> {
    // A plain copy: IndexedDB's structured clone refuses proxies (a UI framework's reactive objects).
    // The file stays a Blob, which IndexedDB stores as it is (JSON would lose it).
    const { attachment, ...rest } = record;
    const plain = JSON.parse(JSON.stringify(rest)) as OutboxRecord;
    if (attachment) {
      const { file, ...described } = attachment;
      plain.attachment = { ...(JSON.parse(JSON.stringify(described)) as typeof described), file };
    }
    await (await this.open()).put('outbox', { ...plain, userId: this.userId });
  }

  async remove(clientMsgId: string): Promise<void> {
    const db = await this.open();
    const transaction = db.transaction('outbox', 'readwrite');
    // Only this user's: a clientMsgId of another account is not ours to delete.
    const held = await transaction.store.get(clientMsgId);
    if (held?.userId === this.userId) await transaction.store.delete(clientMsgId);
    await transaction.done;
  }

  /** Closes the connection; the next call opens it again. */
  async close(): Promise<void> {
    const current = this.opening;
    this.opening = null;
    if (current) (await current.catch(() => null))?.close();
  }

  private open(): Promise<IDBPDatabase<OutboxSchema>> {
    this.opening ??= this.connect().catch((error: unknown) => {
      this.opening = null;
      throw error;
    });
    return this.opening;
  }

  private async connect(): Promise<IDBPDatabase<OutboxSchema>> {
    if (!('indexedDB' in globalThis)) throw new Error('IndexedDB is not available here');
    return openDB<OutboxSchema>(this.name, DB_VERSION, {
      upgrade(db) {
        db.createObjectStore('outbox', { keyPath: 'clientMsgId' }).createIndex('byUser', 'userId');
      },
      // Another tab upgrading the schema: let it, and reopen on the next call.
      blocking: () => {
        void this.close();
      },
    });
  }
}
