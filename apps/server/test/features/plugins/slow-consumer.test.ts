// A client that stops reading: what the server holds for it stays bounded, and nobody else waits.
import { MESSAGE_TEXT_MAX } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleySocket } from '../../../src/plugins/socket-io.js';
import {
  collectEvents,
  createGroup,
  messageBarrier,
  sendText,
  startTestServer,
  tcpOf,
  waitUntil,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

/** Bytes the server may hold waiting for one socket's client (SOCKET_MAX_QUEUED_BYTES). */
const CAP = 256 * 1024;

/** The server's side of a client socket, and what its connection has waiting, as Engine.IO queues it. */
interface Watched {
  server: ParleySocket;
  /** Data bytes of the packets queued now (reset when the queue is handed to the transport). */
  queuedBytes: number;
  /** The most that was ever queued. */
  mostQueued: number;
  /** Packets the server made for this client. */
  packets: number;
  /** Why the server disconnected it, once it has. */
  droppedFor: string | null;
}

function watch(t: TestServer, client: ClientSocket): Watched {
  const server = t.server.io.of('/').sockets.get(client.id!);
  if (!server) throw new Error('no server-side socket');
  const watched: Watched = { server, queuedBytes: 0, mostQueued: 0, packets: 0, droppedFor: null };
  server.conn.on('packetCreate', (packet: { data?: unknown }) => {
    watched.packets += 1;
    watched.queuedBytes += typeof packet.data === 'string' ? packet.data.length : 0;
    watched.mostQueued = Math.max(watched.mostQueued, watched.queuedBytes);
  });
  server.conn.on('flush', () => {
    watched.queuedBytes = 0;
  });
  server.once('disconnect', (reason) => {
    watched.droppedFor = reason;
  });
  return watched;
}

describe('a client that does not read what it is sent', () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let conversationId: number;
  let bobSocket: ClientSocket;

  beforeAll(async () => {
    t = await startTestServer({
      env: { SOCKET_RATE_LIMIT: '100000', SOCKET_MAX_QUEUED_BYTES: String(CAP) },
    });
    [alice, bob, carol] = [await t.signUp(), await t.signUp(), await t.signUp()];
    conversationId = (await createGroup(t, bob, [alice, carol])).id;
    bobSocket = await t.connectSocket(bob.cookie);
  });
  afterAll(async () => t?.close());

  it('is disconnected once its backlog passes the bound, while the others in its rooms get everything', async () => {
    const carolSocket = await t.connectSocket(carol.cookie);
    const aliceOtherTab = await t.connectSocket(alice.cookie);
    const slow = await t.connectSocket(alice.cookie);
    const watched = watch(t, slow);
    const heardByCarol = collectEvents(carolSocket, 'message:new');
    const heardByOtherTab = collectEvents(aliceOtherTab, 'message:new');
    tcpOf(slow).pause();

    // Bob writes into the room, twenty at a time, until the server gives up on the slow tab: first
    // the kernel's buffers fill (a few MB on loopback), then the server's queue.
    const text = 'x'.repeat(MESSAGE_TEXT_MAX);
    let sent = 0;
    while (watched.droppedFor === null && sent < 3_000) {
      await Promise.all(Array.from({ length: 20 }, () => sendText(bobSocket, conversationId, text)));
      sent += 20;
    }
    await waitUntil(() => watched.droppedFor !== null, 'the slow socket to be dropped');

    expect(watched.droppedFor).toBe('forced close');
    // Bounded: past the cap by at most what one turn of the event loop queued (a batch's broadcasts).
    expect(watched.mostQueued).toBeGreaterThan(CAP / 2);
    expect(watched.mostQueued).toBeLessThan(2 * CAP);
    // Everyone else got every message, the same user's other tab included, and still does.
    await waitUntil(() => heardByCarol.length === sent && heardByOtherTab.length === sent);
    await messageBarrier(bobSocket, aliceOtherTab, conversationId);
    expect(carolSocket.connected && aliceOtherTab.connected).toBe(true);

    // Reading again, the slow client gets what was written before the drop, then the close.
    const closed = new Promise<string>((resolve) => slow.once('disconnect', resolve));
    tcpOf(slow).resume();
    expect(await closed).toBe('transport close');
    // It reconnects like any dropped client.
    const back = await t.connectSocket(alice.cookie);
    await messageBarrier(bobSocket, back, conversationId);
  });

  it('is disconnected when it floods requests and never reads their answers', async () => {
    // conversation:sync from the start: one small request, an answer of up to SYNC_RESPONSE_MAX
    // messages (the history above holds well over a thousand of 4,000 characters each).
    const slow = await t.connectSocket(alice.cookie);
    const watched = watch(t, slow);
    tcpOf(slow).pause();
    let asked = 0;
    while (watched.droppedFor === null && asked < 12) {
      const answered = watched.packets + 1;
      slow.emit('conversation:sync', { conversations: [{ conversationId, changeSeq: 0 }] }, () => undefined);
      asked += 1;
      await waitUntil(() => watched.packets >= answered || watched.droppedFor !== null);
    }
    await waitUntil(() => watched.droppedFor !== null, 'the slow socket to be dropped');

    expect(watched.droppedFor).toBe('forced close');
    expect(asked).toBeLessThan(12);
    // One answer (about 4 MB) may be in the transport; the queue behind it stays near the bound.
    expect(watched.mostQueued).toBeLessThan(CAP + 5 * 1024 * 1024);
    // The server carries on for everyone else.
    const carolSocket = await t.connectSocket(carol.cookie);
    await messageBarrier(bobSocket, carolSocket, conversationId);
    slow.close();
  });
});
