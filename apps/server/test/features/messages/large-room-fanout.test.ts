// A room larger than FANOUT_SLICE_SOCKETS is written in slices (lib/room-fanout.ts). Against a real
// server with slices of two sockets, on one process and across two sharing Redis: every member gets
// every message once, in seq order, edits after what they change, HTTP and socket sends alike; the
// sender's own socket gets none of its socket sends.
import { randomUUID } from 'node:crypto';
import type { Message } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectEvents,
  createGroup,
  okData,
  startSecondProcess,
  startTestServer,
  waitUntil,
  type ClientSocket,
  type TestServer,
} from '../../helpers/server.js';

const ENV = { FANOUT_SLICE_SOCKETS: '2', SOCKET_RATE_LIMIT: '1000' };

/**
 * Six people in a group; the sender's two tabs on the first process, the others' sockets through
 * `connectOther` (the first or a second process). 15 socket sends emitted without waiting, an edit of
 * the first, one HTTP send; then what everyone heard.
 */
async function sendIntoLargeRoom(t: TestServer, connectOther: (cookie: string) => Promise<ClientSocket>) {
  const people = [];
  for (let i = 0; i < 6; i += 1) people.push(await t.signUp());
  const [sender, ...others] = people;
  const group = await createGroup(t, sender!, others);
  const senderSocket = await t.connectSocket(sender!.cookie);
  const listeners = [await t.connectSocket(sender!.cookie)];
  for (const person of others) listeners.push(await connectOther(person.cookie));
  const heardNew = listeners.map((socket) => collectEvents(socket, 'message:new'));
  const heardUpdated = listeners.map((socket) => collectEvents(socket, 'message:updated'));
  const ownHeard = collectEvents(senderSocket, 'message:new');

  // Emitted without waiting: the room has slices pending when the next ones come.
  const acks = Array.from({ length: 15 }, (_, i) =>
    senderSocket.emitWithAck('message:send', {
      conversationId: group.id,
      clientMsgId: randomUUID(),
      text: `number ${i + 1}`,
    }),
  );
  const sent = (await Promise.all(acks)).map(okData);
  const edited = okData(
    await senderSocket.emitWithAck('message:edit', {
      conversationId: group.id,
      messageId: sent[0]!.id,
      text: 'number 1, edited',
    }),
  );
  // Through the HTTP route, which bots use: the same room, the same order.
  const posted = await t.http<{ message: Message }>('POST', `/api/conversations/${group.id}/messages`, {
    cookie: sender!.cookie,
    body: { clientMsgId: randomUUID(), text: 'over HTTP' },
  });
  expect(posted.status).toBe(200);

  await waitUntil(
    () => heardNew.every((heard) => heard.length === 16) && heardUpdated.every((heard) => heard.length === 1),
    'every member to hear every message',
  );
  const seqs = sent.map((message) => message.seq).concat(posted.body.message.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  for (const [index, heard] of heardNew.entries()) {
    expect(
      heard.map((message) => message.seq),
      `listener ${index}`,
    ).toEqual(seqs);
    expect(heardUpdated[index]).toEqual([edited]);
  }
  // The sender's socket had its socket sends in their acks.
  expect(ownHeard.map((message) => message.text)).toEqual(['over HTTP']);
}

describe('messages to a room larger than a slice', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ env: ENV });
  });
  afterAll(async () => t.close());

  it('reach every member once, in order, with each edit after the message it changes', async () => {
    await sendIntoLargeRoom(t, (cookie) => t.connectSocket(cookie));
  });
});

describe('messages to a room larger than a slice, across two processes', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ redis: true, env: ENV });
  });
  afterAll(async () => t.close());

  it('reach every member on either process once, in order', async () => {
    const second = await startSecondProcess(t);
    try {
      let turn = 0;
      // Alternately on the second process and the first.
      await sendIntoLargeRoom(t, (cookie) =>
        (turn += 1) % 2 === 1 ? second.connectSocket(cookie) : t.connectSocket(cookie),
      );
    } finally {
      await second.close();
    }
  });
});
