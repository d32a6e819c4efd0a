import { ClientEvent, CONVERSATION_PAGE_MAX } from '@parley/shared';
import * as mariadb from 'mariadb';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/db/migrate.js';
import { useFaultScenario } from '../helpers/fault-scenario.js';
import type { TestUser } from '../helpers/server.js';
import { readStoredMessages } from '../helpers/stored-messages.js';

describe('catching up against a real server', () => {
  const scenario = useFaultScenario({ server: (database) => ({ databaseUrl: database.url }) });
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: number;

  const storedIds = async () =>
    (await readStoredMessages(scenario.database.url))
      .filter((row) => row.conversationId === conversationId)
      .map((row) => row.id);

  beforeAll(async () => {
    [alice, bob] = [await scenario.server.signUp(), await scenario.server.signUp()];
    conversationId = await scenario.server.createGroup(alice, [bob]);
  });

  it('after a server restart, a client that was away gets everything it missed once, through catch-up', async () => {
    const aliceClient = await scenario.connect({ cookie: alice.cookie, conversationIds: [], name: 'alice' });
    const bobClient = await scenario.connect({ cookie: bob.cookie, conversationIds: [], name: 'bob' });
    aliceClient.send(conversationId, 'before the restart');
    await aliceClient.whenOutboxSettled();
    await expect.poll(() => bobClient.messagesOf(conversationId).length).toBe(1);

    bobClient.goOffline();
    await scenario.server.kill();
    await scenario.server.start();
    // Alice's client reconnects by itself and sends what was written meanwhile.
    for (let i = 0; i < 5; i += 1) aliceClient.send(conversationId, `after the restart ${i}`);
    await aliceClient.whenOutboxSettled();

    await bobClient.connect();
    expect(bobClient.messagesOf(conversationId).map((m) => m.id)).toEqual(await storedIds());
    const missed = bobClient.received.slice(1);
    expect(missed).toHaveLength(5);
    expect(missed.every((copy) => copy.via === 'sync')).toBe(true);
    expect(bobClient.conflicts).toEqual([]);
    expect(aliceClient.connects).toBeGreaterThanOrEqual(2);
  });

  it('a live change past one never seen opens a hole, and the client fetches what it missed', async () => {
    const aliceClient = await scenario.connect({ cookie: alice.cookie, conversationIds: [], name: 'alice' });
    const bobClient = await scenario.connect({ cookie: bob.cookie, conversationIds: [], name: 'bob' });
    // Sent on alice's socket around her client's outbox: the server broadcasts to everyone but that
    // socket, so her client never holds this message: a lost broadcast, as far as it can tell.
    const unseen = await aliceClient.client.transport.request(ClientEvent.MessageSend, {
      conversationId,
      clientMsgId: randomUUID(),
      text: 'never delivered to the sender',
    });
    if (!unseen.ok) throw new Error(unseen.error.code);
    expect(aliceClient.copiesOf(unseen.data.id)).toEqual([]);

    // Bob's next message arrives live with a later changeSeq: the hole shows, and a catch-up fills it.
    const next = bobClient.send(conversationId, 'after the lost one');
    await bobClient.whenOutboxSettled();
    await expect.poll(() => aliceClient.copiesOf(unseen.data.id).map((copy) => copy.via)).toEqual(['sync']);
    // Held first as it came live; the catch-up page, which starts at the hole, brings it again (known).
    const nextCopies = aliceClient.copiesOf(next.message!.id);
    expect(nextCopies.map((copy) => `${copy.via}:${copy.outcome}`)).toEqual(['live:added', 'sync:known']);
    expect(aliceClient.messagesOf(conversationId).map((m) => m.id)).toEqual(await storedIds());
    expect(aliceClient.client.sync.hasHole(conversationId)).toBe(false);
    expect(aliceClient.client.timeline(conversationId).missingSeqs()).toEqual([]);
  });

  it('edits, deletions and reactions reach the other member as changes of the message held', async () => {
    const aliceClient = await scenario.connect({ cookie: alice.cookie, conversationIds: [], name: 'alice' });
    const bobClient = await scenario.connect({ cookie: bob.cookie, conversationIds: [], name: 'bob' });
    const entry = aliceClient.send(conversationId, 'to be edited');
    await aliceClient.whenOutboxSettled();
    const messageId = entry.message!.id;
    await expect.poll(() => bobClient.copiesOf(messageId).length).toBe(1);

    const changed: string[] = [];
    bobClient.client.on('message:changed', ({ message }) => {
      if (message.id === messageId) changed.push(message.deletedAt ? '(deleted)' : message.text);
    });
    expect((await aliceClient.client.edit({ conversationId, messageId, text: 'edited' })).ok).toBe(true);
    expect((await bobClient.client.react({ conversationId, messageId, emoji: '👍', on: true })).ok).toBe(
      true,
    );
    expect((await aliceClient.client.delete({ conversationId, messageId })).ok).toBe(true);
    await expect.poll(() => changed.at(-1)).toBe('(deleted)');
    expect(changed[0]).toBe('edited');
    const held = bobClient.client.timeline(conversationId).byId(messageId)!;
    expect(held.deletedAt).not.toBeNull();
    expect(aliceClient.client.timeline(conversationId).byId(messageId)).toEqual(held);
  });

  it('a member of more conversations than a page of the list learns every one and catches each up', async () => {
    // Groups of Carol's made in SQL (group creation over HTTP has a budget): a page and a half of
    // them, each holding one message of Alice's.
    const carol = await scenario.server.signUp();
    const count = CONVERSATION_PAGE_MAX + CONVERSATION_PAGE_MAX / 2;
    const seeding = await mariadb.createConnection(parseDatabaseUrl(scenario.database.url));
    let first: number;
    try {
      const [row] = await seeding.query<Array<{ next: number | bigint }>>(
        'SELECT COALESCE(MAX(id), 0) + 1 AS next FROM conversations',
      );
      first = Number(row!.next);
      await seeding.query(
        `INSERT INTO conversations (id, kind, name, createdById, lastSeq, lastChangeSeq)
         SELECT ? + seq, 'group', CONCAT('Paged ', seq), ?, 1, 1 FROM seq_0_to_${count - 1}`,
        [first, alice.id],
      );
      await seeding.query(
        `INSERT INTO memberships (conversationId, userId)
         SELECT ? + seq, ? FROM seq_0_to_${count - 1} UNION ALL SELECT ? + seq, ? FROM seq_0_to_${count - 1}`,
        [first, alice.id, first, carol.id],
      );
      await seeding.query(
        `INSERT INTO messages (conversationId, seq, senderId, clientMsgId, text, createdAt, changeSeq)
         SELECT ? + seq, 1, ?, UUID(), CONCAT('page ', seq), NOW(3), 1 FROM seq_0_to_${count - 1}`,
        [first, alice.id],
      );
    } finally {
      await seeding.end();
    }

    const carolClient = await scenario.connect({ cookie: carol.cookie, conversationIds: [], name: 'carol' });
    const paged = Array.from({ length: count }, (_, i) => first + i);
    await expect.poll(() => paged.filter((id) => carolClient.messagesOf(id).length === 1).length).toBe(count);
    expect(carolClient.messagesOf(first + count - 1).map((message) => message.text)).toEqual([
      `page ${count - 1}`,
    ]);
    expect(carolClient.conflicts).toEqual([]);
  });
});
