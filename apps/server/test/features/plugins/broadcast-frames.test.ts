// Broadcast frames written straight to a WebSocket that keeps up (plugins/socket-io.ts,
// writeBroadcastFrames), and through Engine.IO's queue whenever anything waits ahead of them.
import { MESSAGE_TEXT_MAX, type Message } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectEvents,
  createGroup,
  sendText,
  startTestServer,
  tcpOf,
  waitUntil,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

/**
 * `message:new` packets Engine.IO queued for a client's connection on the server (its `packetCreate`
 * events; other packets, presence among them, are not counted).
 */
function countQueuedPackets(t: TestServer, client: ClientSocket): { packets: number } {
  const server = t.server.io.of('/').sockets.get(client.id!);
  if (!server) throw new Error('no server-side socket');
  const counted = { packets: 0 };
  server.conn.on('packetCreate', (packet: { data?: unknown }) => {
    if (typeof packet.data === 'string' && packet.data.startsWith('2["message:new",')) counted.packets += 1;
  });
  return counted;
}

const seqsOf = (messages: Message[]) => messages.map((message) => message.seq);

describe('broadcast frames', () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: number;
  let aliceSocket: ClientSocket;

  beforeAll(async () => {
    t = await startTestServer({
      // Room for a backlog of several megabytes: the late reader below is queued, not dropped.
      env: { SOCKET_RATE_LIMIT: '100000', SOCKET_MAX_QUEUED_BYTES: String(256 * 1024 * 1024) },
    });
    [alice, bob] = [await t.signUp(), await t.signUp()];
    conversationId = (await createGroup(t, alice, [bob])).id;
    aliceSocket = await t.connectSocket(alice.cookie);
  });
  afterAll(async () => t?.close());

  it('reach a WebSocket client that keeps up without a packet in its Engine.IO queue, in order', async () => {
    const bobSocket = await t.connectSocket(bob.cookie);
    const queued = countQueuedPackets(t, bobSocket);
    const heard = collectEvents(bobSocket, 'message:new');

    const sent: Message[] = [];
    for (let round = 0; round < 3; round += 1) {
      // Ten at once: one user's sends are stored in order, and their broadcasts leave together.
      sent.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, (_, i) => sendText(aliceSocket, conversationId, `m${round}-${i}`)),
        )),
      );
    }
    await waitUntil(() => heard.length === sent.length);

    expect(seqsOf(heard)).toEqual(seqsOf(sent).sort((a, b) => a - b));
    expect(queued.packets).toBe(0);
    bobSocket.close();
  });

  it('reach a client on HTTP long-polling through Engine.IO’s queue, in order', async () => {
    const polling = await t.connectSocket(bob.cookie, { transports: ['polling'] });
    const queued = countQueuedPackets(t, polling);
    const heard = collectEvents(polling, 'message:new');

    const sent = await Promise.all(
      Array.from({ length: 10 }, (_, i) => sendText(aliceSocket, conversationId, `p${i}`)),
    );
    await waitUntil(() => heard.length === sent.length);

    expect(seqsOf(heard)).toEqual(seqsOf(sent).sort((a, b) => a - b));
    expect(queued.packets).toBeGreaterThanOrEqual(sent.length);
    polling.close();
  });

  it('reach a client that stopped reading through the queue once its TCP socket is full, and arrive in order when it reads again', async () => {
    const late = await t.connectSocket(bob.cookie);
    const queued = countQueuedPackets(t, late);
    const heard = collectEvents(late, 'message:new');
    tcpOf(late).pause();

    // Until the kernel's buffers are full and Engine.IO has queued a good many frames behind them.
    const text = 'y'.repeat(MESSAGE_TEXT_MAX);
    const sent: Message[] = [];
    while (queued.packets < 40 && sent.length < 5_000) {
      sent.push(
        ...(await Promise.all(Array.from({ length: 20 }, () => sendText(aliceSocket, conversationId, text)))),
      );
    }
    expect(queued.packets).toBeGreaterThanOrEqual(40);
    // Some went straight to the socket first: fewer were queued than were sent.
    expect(queued.packets).toBeLessThan(sent.length);

    tcpOf(late).resume();
    await waitUntil(() => heard.length === sent.length, 'every message to reach the late reader');
    expect(seqsOf(heard)).toEqual(seqsOf(sent).sort((a, b) => a - b));
    expect(late.connected).toBe(true);
    late.close();
  });
});
