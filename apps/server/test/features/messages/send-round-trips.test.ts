// The send path's cost in steady state, counted on the wire: every round trip between the server
// and MariaDB passes a TCP proxy, and the amortised count per stored message is bounded, as is the
// number of commands (a command of several statements counts once; each costs the driver and the
// server a parse, a dispatch and a reply).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxiedServer } from '../../helpers/proxied-server.js';
import {
  createGroup,
  okData,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';
import { readStoredMessages } from '../../helpers/stored-messages.js';
import type { TcpProxy } from '../../helpers/tcp-proxy.js';

const SENDERS = 50;
const GROUP_SIZE = 5;
const ROUNDS = 4;

describe('the send path in steady state', () => {
  let proxy: TcpProxy;
  let t: TestServer;
  const senders: Array<{ user: TestUser; socket: ClientSocket; conversationId: number }> = [];

  beforeAll(async () => {
    ({ proxy, t } = await startProxiedServer());
    const users: TestUser[] = [];
    for (let i = 0; i < SENDERS; i += 1) users.push(await t.signUp());
    for (let first = 0; first < SENDERS; first += GROUP_SIZE) {
      const [owner, ...members] = users.slice(first, first + GROUP_SIZE);
      const { id } = await createGroup(t, owner!, members);
      for (const user of [owner!, ...members]) {
        senders.push({ user, socket: await t.connectSocket(user.cookie), conversationId: id });
      }
    }
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  const sendRound = () =>
    Promise.all(
      senders.map(async ({ socket, conversationId }) =>
        okData(
          await socket.emitWithAck('message:send', {
            conversationId,
            clientMsgId: randomUUID(),
            text: 'steady',
          }),
        ),
      ),
    );

  it(`takes at most one database round trip per message with ${SENDERS} senders at once`, async () => {
    // Warm up: every connection opened, every statement shape seen once.
    await sendRound();
    const before = { roundTrips: proxy.roundTrips, commands: proxy.commands };

    for (let round = 0; round < ROUNDS; round += 1) await sendRound();

    const perMessage = (proxy.roundTrips - before.roundTrips) / (SENDERS * ROUNDS);
    expect(perMessage, `${perMessage} round trips per message`).toBeLessThanOrEqual(1);
    const commandsPerMessage = (proxy.commands - before.commands) / (SENDERS * ROUNDS);
    expect(commandsPerMessage, `${commandsPerMessage} commands per message`).toBeLessThanOrEqual(1);
    // Everything was stored, gapless in every conversation.
    const stored = await readStoredMessages(t.config.databaseUrl);
    expect(stored).toHaveLength(SENDERS * (ROUNDS + 1));
    for (const { conversationId } of senders) {
      const seqs = stored.filter((row) => row.conversationId === conversationId).map((row) => row.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
  });
});

describe('the send path for one sender alone', () => {
  let proxy: TcpProxy;
  let t: TestServer;
  let socket: ClientSocket;
  let conversationId: number;

  beforeAll(async () => {
    ({ proxy, t } = await startProxiedServer());
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    conversationId = (await createGroup(t, alice, [bob])).id;
    socket = await t.connectSocket(alice.cookie);
  });

  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  const send = async (text: string) =>
    okData(await socket.emitWithAck('message:send', { conversationId, clientMsgId: randomUUID(), text }));

  it('takes one database round trip per message, one message at a time', async () => {
    // Warm up: both store connections opened and just used (an idle one is pinged before use).
    for (let i = 0; i < 4; i += 1) await send('warm-up');
    const before = { roundTrips: proxy.roundTrips, commands: proxy.commands };
    const count = 20;

    for (let i = 0; i < count; i += 1) await send('alone');

    const perMessage = (proxy.roundTrips - before.roundTrips) / count;
    expect(perMessage, `${perMessage} round trips per message`).toBeLessThanOrEqual(1.5);
    // Locks, INSERT … SELECT, positions, COMMIT: one command (two round trips of one command each,
    // before; a statement each, 8, before that). The margin: a connection idle for over half a second
    // is pinged first.
    const commandsPerMessage = (proxy.commands - before.commands) / count;
    expect(commandsPerMessage, `${commandsPerMessage} commands per message`).toBeLessThanOrEqual(1.5);
  });
});
