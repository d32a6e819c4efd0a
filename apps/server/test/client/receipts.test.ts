import type { Presence, ReadState, Receipt, TypingUpdate } from '@parley/shared';
import { describe, expect, it } from 'vitest';
import { login } from '@parley/client/node';
import { useGroupOfTwo } from '../helpers/fault-scenario.js';

describe('receipts, presence and typing, and a user on two clients, against a real server', () => {
  const { scenario, group } = useGroupOfTwo();

  it('reports delivery of what others send by itself, and reads when told; the sender sees both', async () => {
    const { alice, bob, conversationId } = group();
    const aliceClient = await scenario.connect({ cookie: alice.cookie, conversationIds: [], name: 'alice' });
    const bobClient = await scenario.connect({ cookie: bob.cookie, conversationIds: [], name: 'bob' });
    const receipts: Receipt[] = [];
    aliceClient.client.on('receipt', (receipt) => receipts.push(receipt));
    const bobsReads: ReadState[] = [];
    bobClient.client.on('read', (state) => bobsReads.push(state));

    const entry = aliceClient.send(conversationId, 'did you get this?');
    await aliceClient.whenOutboxSettled();
    const seq = entry.message!.seq;
    const bobsReceipt = () => receipts.filter((receipt) => receipt.userId === bob.id).at(-1);
    await expect.poll(() => bobsReceipt()?.lastDeliveredSeq).toBe(seq);
    expect(bobsReceipt()?.lastReadSeq).toBeLessThan(seq);

    bobClient.client.markRead(conversationId, seq);
    await expect.poll(() => bobsReceipt()?.lastReadSeq).toBe(seq);
    expect(bobsReads.at(-1)).toMatchObject({ conversationId, lastReadSeq: seq, unreadCount: 0 });
    // Alice's own message moved no receipt of hers into a report.
    expect(
      receipts.filter((receipt) => receipt.userId === alice.id && receipt.lastDeliveredSeq > seq),
    ).toEqual([]);
  });

  it('two clients of one user: each gets what the other sends, once, and nothing to send; reads reach both', async () => {
    const { alice, conversationId } = group();
    const { cookie: secondCookie } = await login(
      scenario.server.url,
      alice.username,
      'correct horse battery',
    );
    const laptop = await scenario.connect({
      cookie: alice.cookie,
      conversationIds: [],
      name: 'alice laptop',
    });
    const phone = await scenario.connect({ cookie: secondCookie, conversationIds: [], name: 'alice phone' });
    const phoneReads: ReadState[] = [];
    phone.client.on('read', (state) => phoneReads.push(state));

    const fromLaptop = laptop.send(conversationId, 'from the laptop');
    await laptop.whenOutboxSettled();
    const fromPhone = phone.send(conversationId, 'from the phone');
    await phone.whenOutboxSettled();

    const ids = [fromLaptop.message!.id, fromPhone.message!.id];
    for (const [device, other] of [
      [laptop, phone],
      [phone, laptop],
    ] as const) {
      await expect
        .poll(() => device.messagesOf(conversationId).map((m) => m.id))
        .toEqual(expect.arrayContaining(ids));
      expect(device.copiesOf(ids[device === laptop ? 1 : 0]!).map((copy) => copy.via)).toEqual(['live']);
      expect(device.outbox.every((entry) => entry.state === 'sent')).toBe(true);
      expect(device.conflicts).toEqual([]);
      expect(other.messagesOf(conversationId)).toEqual(device.messagesOf(conversationId));
    }

    laptop.client.markRead(conversationId, fromPhone.message!.seq);
    await expect.poll(() => phoneReads.at(-1)?.lastReadSeq).toBe(fromPhone.message!.seq);
  });

  it('tells of typing and presence: who is typing where, and who went away', async () => {
    const { alice } = group();
    // Someone with no other client still connected from the tests above: their coming online is a change.
    const carol = await scenario.server.signUp();
    const groupId = await scenario.server.createGroup(alice, [carol]);
    const aliceClient = await scenario.connect({ cookie: alice.cookie, conversationIds: [], name: 'alice' });
    const presence: Presence[] = [];
    const typing: TypingUpdate[] = [];
    aliceClient.client.on('presence', (changes) => presence.push(...changes));
    aliceClient.client.on('typing', (update) => typing.push(update));
    const carolClient = await scenario.connect({ cookie: carol.cookie, conversationIds: [], name: 'carol' });
    // Presence changes go out in windows of PRESENCE_BATCH_MS (1 s by default).
    const carolsStatus = () => presence.filter((p) => p.userId === carol.id).at(-1)?.status;
    await expect.poll(carolsStatus, { timeout: 10_000 }).toBe('online');

    expect((await carolClient.client.typing(groupId, true)).ok).toBe(true);
    await expect
      .poll(() => typing.at(-1))
      .toEqual({ conversationId: groupId, userId: carol.id, typing: true });
    expect((await carolClient.client.typing(groupId, false)).ok).toBe(true);
    await expect.poll(() => typing.at(-1)?.typing).toBe(false);

    expect((await carolClient.client.setPresence('away')).ok).toBe(true);
    await expect.poll(carolsStatus, { timeout: 10_000 }).toBe('away');
  });
});
