import { createParleyClient, type ParleyClient } from '@parley/client';
import { IndexedDbOutboxStorage } from '@parley/client/browser';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useOutgoingStore } from '@/stores/outgoing';
import { useParleyClientStore } from '@/stores/parleyClient';
import { useSessionStore } from '@/stores/session';
import { alice, bob, makeMessage, summaryOf } from '../fixtures';

/** A client over this user's IndexedDB outbox, never connected, feeding the outgoing store. */
function clientOver(storage: IndexedDbOutboxStorage): ParleyClient {
  const client = createParleyClient({
    url: 'http://127.0.0.1:9',
    auth: { kind: 'browser' },
    storage,
    catchUp: 'followed',
    discover: false,
    userId: alice.id,
  });
  useParleyClientStore().attach(client);
  client.on('outbox', (entry) => useOutgoingStore().apply(entry));
  return client;
}

describe('outgoing store', () => {
  const clients: ParleyClient[] = [];
  beforeEach(() => {
    setActivePinia(createPinia());
    useSessionStore().user = alice;
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.stop();
  });

  it('shows a message written before a reload as sending, with its quote, from the IndexedDB outbox', async () => {
    const quote = {
      id: 9,
      seq: 3,
      sender: summaryOf(bob),
      excerpt: 'the plan',
      deleted: false,
      attachmentKind: null,
    };
    const before = clientOver(new IndexedDbOutboxStorage({ userId: alice.id }));
    clients.push(before);
    const written = before.send(4, 'agreed', { replyTo: quote });
    await before.outbox.whenSaved(written.clientMsgId);
    before.stop();

    // The reload: a new store and client over the same database.
    setActivePinia(createPinia());
    useSessionStore().user = alice;
    const after = clientOver(new IndexedDbOutboxStorage({ userId: alice.id }));
    clients.push(after);
    await after.outbox.restore();

    expect(useOutgoingStore().of(4)).toEqual([
      expect.objectContaining({
        clientMsgId: written.clientMsgId,
        sender: summaryOf(alice),
        text: 'agreed',
        replyTo: quote,
        state: 'sending',
      }),
    ]);
  });

  it('drops an entry once the server has it, and keeps a failed one with its code until discarded', () => {
    const client = clientOver(new IndexedDbOutboxStorage({ userId: alice.id }));
    clients.push(client);
    const outgoing = useOutgoingStore();
    const sent = client.send(4, 'one');
    client.send(4, 'two');
    client.outbox.settle(
      makeMessage({ seq: 1, conversationId: 4, clientMsgId: sent.clientMsgId, sender: summaryOf(alice) }),
    );
    expect(outgoing.of(4).map((message) => message.text)).toEqual(['two']);

    const failed = client.outbox.list().find((entry) => entry.text === 'two')!;
    failed.state = 'failed';
    failed.error = { code: 'conversation/not_found', message: 'gone' };
    outgoing.apply(failed);
    expect(outgoing.of(4)).toEqual([
      expect.objectContaining({ state: 'failed', errorCode: 'conversation/not_found' }),
    ]);
    outgoing.discard(4, failed.clientMsgId);
    expect(outgoing.of(4)).toEqual([]);
  });

  it('shows a file waiting to upload, after a reload too, and cancels it (nothing of it was sent)', async () => {
    const before = clientOver(new IndexedDbOutboxStorage({ userId: alice.id }));
    clients.push(before);
    const file = new Blob(['%PDF-1.4'], { type: 'application/pdf' });
    const written = useOutgoingStore().send(4, 'the report', null, {
      kind: 'file',
      file,
      fileName: 'report.pdf',
    })!;
    expect(useOutgoingStore().of(4)[0]?.upload).toMatchObject({
      kind: 'file',
      fileName: 'report.pdf',
      mime: 'application/pdf',
      byteSize: 8,
      phase: 'waiting',
    });
    await before.outbox.whenSaved(written);
    before.stop();

    setActivePinia(createPinia());
    useSessionStore().user = alice;
    const after = clientOver(new IndexedDbOutboxStorage({ userId: alice.id }));
    clients.push(after);
    await after.outbox.restore();
    const restored = useOutgoingStore().of(4)[0]!;
    expect(restored.upload).toMatchObject({ fileName: 'report.pdf', byteSize: 8, phase: 'waiting' });

    useOutgoingStore().discard(4, written);
    expect(useOutgoingStore().of(4)).toEqual([]);
    expect(after.outbox.get(written)).toBeUndefined();
  });
});
