// Delivery and read reports are stored in batches (features/conversations/position-batcher.ts): what
// they cost is counted on the wire through a TCP proxy, and a batch keeps every report's own answer.
import { ErrorCode, type Ack, type ReadState, type Receipt } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxiedServer } from '../../helpers/proxied-server.js';
import {
  ackCode,
  createGroup,
  okData,
  queryDatabase,
  sendText,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';
import type { TcpProxy } from '../../helpers/tcp-proxy.js';

const MEMBERS = 40;
const MESSAGES = 5;

describe('delivery and read reports in batches', () => {
  let proxy: TcpProxy;
  let t: TestServer;
  let conversationId: number;
  let ownerSocket: ClientSocket;
  const members: Array<{ user: TestUser; socket: ClientSocket }> = [];

  beforeAll(async () => {
    ({ proxy, t } = await startProxiedServer());
    const owner = await t.signUp();
    const users: TestUser[] = [];
    for (let i = 0; i < MEMBERS; i += 1) users.push(await t.signUp());
    conversationId = (await createGroup(t, owner, users)).id;
    ownerSocket = await t.connectSocket(owner.cookie);
    for (const user of users) members.push({ user, socket: await t.connectSocket(user.cookie) });
    for (let i = 1; i <= MESSAGES; i += 1) await sendText(ownerSocket, conversationId, `message ${i}`);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  const report = (socket: ClientSocket, event: 'conversation:delivered' | 'conversation:read', seq: number) =>
    socket.emitWithAck(event, { conversationId, seq }) as Promise<Ack<Receipt | ReadState>>;

  it('takes at most three database commands per report alone, whatever its kind', async () => {
    // The owner: positions already at the newest message (sending moved them), which the burst
    // below does not look at.
    const socket = ownerSocket;
    await report(socket, 'conversation:delivered', 1); // warm-up: the connection opened and used
    const before = proxy.commands;
    const count = 10;

    for (let i = 0; i < count; i += 1) {
      await report(socket, i % 2 === 0 ? 'conversation:delivered' : 'conversation:read', 1 + (i % MESSAGES));
    }

    // Two per report (checks; update and read back). The margin: a pooled connection idle for over
    // half a second is pinged before use, and other work of the server shares the wire. One at a
    // time through Prisma, a report took 8.
    const perReport = (proxy.commands - before) / count;
    expect(perReport, `${perReport} commands per report`).toBeLessThanOrEqual(3);
  });

  it('stores a burst from every member in batches that never move a position back', async () => {
    const before = proxy.commands;
    // Every member reports every seq, newest first, and reads up to 3: the furthest must win.
    const delivered = members.flatMap(({ socket }) =>
      Array.from({ length: MESSAGES }, (_, i) => ({
        seq: MESSAGES - i,
        ack: socket.emitWithAck('conversation:delivered', { conversationId, seq: MESSAGES - i }),
      })),
    );
    const read = members.map(({ socket }) =>
      socket.emitWithAck('conversation:read', { conversationId, seq: 3 }),
    );
    const deliveredAcks = await Promise.all(delivered.map(({ ack }) => ack));
    const readAcks = await Promise.all(read);
    const perReport = (proxy.commands - before) / (deliveredAcks.length + readAcks.length);

    // Each ack carries positions at least as far as its own report.
    deliveredAcks.forEach((ack, index) =>
      expect(okData(ack).lastDeliveredSeq).toBeGreaterThanOrEqual(delivered[index]!.seq),
    );
    for (const ack of readAcks) expect(okData(ack).lastReadSeq).toBeGreaterThanOrEqual(3);
    // At most the cost of reports one at a time; batches, when they form, cost less.
    expect(perReport, `${perReport} commands per report`).toBeLessThanOrEqual(2);
    const rows = await queryDatabase<{ lastDeliveredSeq: number; lastReadSeq: number }>(
      t,
      `SELECT lastDeliveredSeq, lastReadSeq FROM memberships
        WHERE conversationId = ? AND userId IN (${members.map(({ user }) => user.id).join(', ')})`,
      [conversationId],
    );
    expect(rows).toHaveLength(MEMBERS);
    for (const row of rows) expect(row).toEqual({ lastDeliveredSeq: MESSAGES, lastReadSeq: 3 });
  });

  it('refuses a bad report on its own, and the others in its batch are stored', async () => {
    const outsider = await t.signUp();
    const outsiderSocket = await t.connectSocket(outsider.cookie);
    const [first, second, third] = members;

    const [pastNewest, notMember, read, delivered] = await Promise.all([
      report(first!.socket, 'conversation:delivered', MESSAGES + 1),
      report(outsiderSocket, 'conversation:delivered', 1),
      report(second!.socket, 'conversation:read', MESSAGES),
      report(third!.socket, 'conversation:delivered', MESSAGES),
    ]);

    expect(ackCode(pastNewest)).toBe(ErrorCode.Invalid);
    expect(ackCode(notMember)).toBe(ErrorCode.ConversationNotFound);
    expect(okData(read)).toEqual({ conversationId, lastReadSeq: MESSAGES, unreadCount: 0 });
    expect(okData(delivered)).toMatchObject({ userId: third!.user.id, lastDeliveredSeq: MESSAGES });
    outsiderSocket.disconnect();
  });
});
