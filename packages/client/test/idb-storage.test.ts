import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { IndexedDbOutboxStorage } from '../src/browser/idb-storage.js';
import { Outbox } from '../src/outbox.js';
import { silentLogger, systemClock } from '../src/ports.js';
import type { OutboxRecord } from '../src/storage.js';

const record = (clientMsgId: string, order: number): OutboxRecord => ({
  clientMsgId,
  conversationId: 1,
  text: `text ${order}`,
  replyToId: null,
  replyTo: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  order,
  state: 'pending',
  errorCode: null,
});

describe('the IndexedDB outbox storage', () => {
  beforeEach(() => {
    // A fresh, empty IndexedDB for every test.
    (globalThis as { indexedDB?: unknown }).indexedDB = new IDBFactory();
  });

  it('gives a new instance (a reload) what the previous one saved and did not remove', async () => {
    const first = new IndexedDbOutboxStorage({ userId: 7 });
    expect(await first.load()).toEqual([]);
    await Promise.all([first.save(record('a', 1)), first.save(record('b', 2)), first.save(record('c', 3))]);
    await first.remove('b');
    await first.save({ ...record('c', 3), state: 'failed', errorCode: 'message/not_found' });
    await first.close();

    const second = new IndexedDbOutboxStorage({ userId: 7 });
    const loaded = (await second.load()).sort((x, y) => x.order - y.order);
    expect(loaded).toEqual([
      record('a', 1),
      { ...record('c', 3), state: 'failed', errorCode: 'message/not_found' },
    ]);
  });

  it("keeps each user's records apart in the one database of the origin", async () => {
    const ada = new IndexedDbOutboxStorage({ userId: 1 });
    const bob = new IndexedDbOutboxStorage({ userId: 2 });
    await ada.save(record('ada-1', 1));
    await bob.save(record('bob-1', 2));
    // Bob cannot delete Ada's record, even by its id.
    await bob.remove('ada-1');
    expect((await ada.load()).map((r) => r.clientMsgId)).toEqual(['ada-1']);
    expect((await bob.load()).map((r) => r.clientMsgId)).toEqual(['bob-1']);
  });

  it('saves a plain copy of a record whose fields are proxies (a UI framework made the quote reactive)', async () => {
    const storage = new IndexedDbOutboxStorage({ userId: 1 });
    const quote = new Proxy(
      {
        id: 5,
        seq: 4,
        sender: { id: 2, username: 'bob', displayName: 'Bob', kind: 'person' as const },
        excerpt: 'hi',
        deleted: false,
        attachmentKind: null,
      },
      {},
    );
    await storage.save({ ...record('q', 1), replyToId: 5, replyTo: quote });
    expect((await storage.load())[0]?.replyTo).toEqual({
      id: 5,
      seq: 4,
      sender: { id: 2, username: 'bob', displayName: 'Bob', kind: 'person' },
      excerpt: 'hi',
      deleted: false,
      attachmentKind: null,
    });
  });

  it('keeps an attachment as a Blob, with the upload once known', async () => {
    const first = new IndexedDbOutboxStorage({ userId: 3 });
    const attachment = {
      kind: 'image' as const,
      fileName: 'photo.png',
      mime: 'image/png',
      byteSize: 4,
      file: new Blob([new Uint8Array([1, 2, 3, 4])], { type: 'image/png' }),
      uploaded: null,
    };
    await first.save({ ...record('f', 1), attachment });
    await first.close();
    const [loaded] = await new IndexedDbOutboxStorage({ userId: 3 }).load();
    expect(loaded?.attachment).toMatchObject({
      kind: 'image',
      fileName: 'photo.png',
      byteSize: 4,
      uploaded: null,
    });
    expect(loaded?.attachment?.file.type).toBe('image/png');
    expect([...new Uint8Array(await loaded!.attachment!.file.arrayBuffer())]).toEqual([1, 2, 3, 4]);
  });

  it('rejects every call when IndexedDB is missing, and the outbox still queues the message', async () => {
    Reflect.deleteProperty(globalThis, 'indexedDB');
    const storage = new IndexedDbOutboxStorage({ userId: 1 });
    await expect(storage.load()).rejects.toThrow(/IndexedDB is not available/);
    await expect(storage.save(record('a', 1))).rejects.toThrow(/IndexedDB is not available/);
    const warnings: string[] = [];
    const outbox = new Outbox({
      storage,
      clock: systemClock,
      logger: { ...silentLogger, warn: (message) => warnings.push(message) },
      send: () => new Promise(() => {}),
      upload: () => new Promise(() => {}),
      isConnected: () => false,
      stored: () => {},
      changed: () => {},
      retry: { baseMs: 10, maxMs: 10, jitter: 0 },
      newId: () => 'only-in-memory',
    });
    expect(await outbox.restore()).toEqual([]);
    const entry = outbox.add(1, 'still queued');
    await outbox.whenSaved(entry.clientMsgId);
    expect(outbox.unsent().map((e) => e.text)).toEqual(['still queued']);
    expect(warnings).toEqual(['outbox: could not read saved messages', 'outbox: could not save a message']);
  });
});
