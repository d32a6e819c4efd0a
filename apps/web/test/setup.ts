// IndexedDB for the outbox: an in-memory implementation, reset before every test.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach } from 'vitest';
import { outboxDb } from '@/storage/outboxDb';

beforeEach(async () => {
  await outboxDb.close();
  globalThis.indexedDB = new IDBFactory();
});
