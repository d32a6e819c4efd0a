import { randomUUID } from 'node:crypto';
import { ErrorCode, type Attachment, type HistoryResponse, type Message } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ackCode,
  createGroup,
  nextEvent,
  okData,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';
import { fetchUpload, PDF_BYTES, smallImage, uploadFile } from '../../helpers/uploads.js';

describe('messages with attachments', () => {
  let t: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let mallory: TestUser;
  let conversationId: number;
  let malloryConversationId: number;
  let aliceSocket: ClientSocket;
  let bobSocket: ClientSocket;
  let mallorySocket: ClientSocket;

  const upload = async (user: TestUser, kind: 'image' | 'file' = 'image'): Promise<Attachment> => {
    const bytes = kind === 'image' ? await smallImage('png', 120, 80) : PDF_BYTES;
    const answer = await uploadFile(
      t,
      user.cookie,
      kind,
      bytes,
      kind === 'image' ? 'photo.png' : 'notes.pdf',
    );
    if (answer.status !== 201) throw new Error(`upload failed: ${answer.status}`);
    return answer.body.upload;
  };
  const send = (
    socket: ClientSocket,
    payload: {
      conversationId: number;
      text?: string;
      attachmentId?: string;
      clientMsgId?: string;
      replyToId?: number;
    },
  ) => socket.emitWithAck('message:send', { clientMsgId: randomUUID(), text: '', ...payload });

  beforeAll(async () => {
    t = await startTestServer();
    [alice, bob, mallory] = [await t.signUp(), await t.signUp(), await t.signUp()];
    conversationId = (await createGroup(t, alice, [bob], 'Photos')).id;
    malloryConversationId = (await createGroup(t, mallory, [alice], 'Mallory’s')).id;
    [aliceSocket, bobSocket, mallorySocket] = await Promise.all([
      t.connectSocket(alice.cookie),
      t.connectSocket(bob.cookie),
      t.connectSocket(mallory.cookie),
    ]);
  });
  afterAll(async () => t.close());

  it('sends an image with a caption; members get it live, in history, and may fetch its media', async () => {
    const image = await upload(alice);
    const received = nextEvent(bobSocket, 'message:new');
    const stored = okData(
      await send(aliceSocket, { conversationId, text: 'Our view', attachmentId: image.id }),
    );
    expect(stored.attachment).toEqual(image);
    expect(stored.text).toBe('Our view');
    expect((await received).attachment).toEqual(image);

    const history = await t.http<HistoryResponse>('GET', `/api/conversations/${conversationId}/messages`, {
      cookie: bob.cookie,
    });
    expect(history.body.messages.at(-1)?.attachment).toEqual(image);

    const thumbnail = await fetchUpload(t, bob.cookie, image.id, 'thumbnail');
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/webp');
    const content = await fetchUpload(t, bob.cookie, image.id);
    expect(content.headers.get('content-disposition')).toBe('inline; filename=photo.png');
    // Mallory is not a member of the conversation it was sent to.
    expect((await fetchUpload(t, mallory.cookie, image.id)).status).toBe(403);
  });

  it('sends a file without a caption', async () => {
    const file = await upload(alice, 'file');
    const stored = okData(await send(aliceSocket, { conversationId, attachmentId: file.id }));
    expect(stored).toMatchObject({
      text: '',
      attachment: { kind: 'file', mime: 'application/pdf', fileName: 'notes.pdf' },
    });
  });

  it('a reply to a message with an attachment says what it carries, live and in history', async () => {
    const file = await upload(alice, 'file');
    const original = okData(await send(aliceSocket, { conversationId, attachmentId: file.id }));
    const plain = okData(await send(aliceSocket, { conversationId, text: 'just words' }));
    const reply = okData(await send(bobSocket, { conversationId, text: 'got it', replyToId: original.id }));
    expect(reply.replyTo).toMatchObject({
      id: original.id,
      excerpt: '',
      deleted: false,
      attachmentKind: 'file',
    });
    const toPlain = okData(await send(bobSocket, { conversationId, text: 'ok', replyToId: plain.id }));
    expect(toPlain.replyTo?.attachmentKind).toBeNull();
    const history = await t.http<HistoryResponse>('GET', `/api/conversations/${conversationId}/messages`, {
      cookie: alice.cookie,
    });
    const replies = history.body.messages.filter(
      (message) => message.id === reply.id || message.id === toPlain.id,
    );
    expect(replies.map((message) => message.replyTo?.attachmentKind)).toEqual(['file', null]);
  });

  it('refuses a message with neither text nor attachment', async () => {
    expect(ackCode(await send(aliceSocket, { conversationId }))).toBe(ErrorCode.Invalid);
  });

  it('a retry with the same clientMsgId stores one message with the attachment', async () => {
    const image = await upload(alice);
    const clientMsgId = randomUUID();
    const first = okData(await send(aliceSocket, { conversationId, attachmentId: image.id, clientMsgId }));
    const retry = okData(await send(aliceSocket, { conversationId, attachmentId: image.id, clientMsgId }));
    expect(retry.id).toBe(first.id);
    expect(retry.attachment).toEqual(image);
  });

  it('two sends of one clientMsgId naming its upload at once store one message, and both get it', async () => {
    // What a client does when an attempt's acknowledgement was lost and it sends again (or restarts).
    const image = await upload(alice);
    const clientMsgId = randomUUID();
    const answers = await Promise.all([
      send(aliceSocket, { conversationId, attachmentId: image.id, clientMsgId }),
      send(aliceSocket, { conversationId, attachmentId: image.id, clientMsgId }),
    ]);
    const [first, second] = answers.map(okData);
    expect(second!.id).toBe(first!.id);
    expect(second!.attachment).toEqual(image);
  });

  it('a resend of a stored clientMsgId is its duplicate even when it names a newer upload', async () => {
    // A client restarted before it saved its first upload's id uploads again and resends.
    const [firstUpload, secondUpload] = [await upload(alice), await upload(alice)];
    const clientMsgId = randomUUID();
    const stored = okData(
      await send(aliceSocket, { conversationId, attachmentId: firstUpload.id, clientMsgId }),
    );
    const resent = okData(
      await send(aliceSocket, { conversationId, attachmentId: secondUpload.id, clientMsgId }),
    );
    expect(resent.id).toBe(stored.id);
    expect(resent.attachment).toEqual(firstUpload);
  });

  it('refuses an upload already attached to another message', async () => {
    const image = await upload(alice);
    okData(await send(aliceSocket, { conversationId, attachmentId: image.id }));
    expect(ackCode(await send(aliceSocket, { conversationId, attachmentId: image.id }))).toBe(
      ErrorCode.UploadAlreadyAttached,
    );
    // Nor in another conversation the uploader is a member of.
    expect(
      ackCode(await send(aliceSocket, { conversationId: malloryConversationId, attachmentId: image.id })),
    ).toBe(ErrorCode.UploadAlreadyAttached);
  });

  it('attaches an upload once when two sends name it at once', async () => {
    const image = await upload(alice);
    const answers = await Promise.all([
      send(aliceSocket, { conversationId, attachmentId: image.id }),
      send(aliceSocket, { conversationId: malloryConversationId, attachmentId: image.id }),
    ]);
    expect(answers.map(ackCode).sort()).toEqual([ErrorCode.UploadAlreadyAttached, 'ok'].sort());
  });

  it('refuses someone else’s upload, even one they have not sent', async () => {
    const bobs = await upload(bob);
    expect(
      ackCode(await send(mallorySocket, { conversationId: malloryConversationId, attachmentId: bobs.id })),
    ).toBe(ErrorCode.UploadForbidden);
    // Bob's upload is still his to send.
    okData(await send(bobSocket, { conversationId, attachmentId: bobs.id }));
  });

  it('refuses an unknown upload id', async () => {
    expect(ackCode(await send(aliceSocket, { conversationId, attachmentId: 'B'.repeat(22) }))).toBe(
      ErrorCode.UploadNotFound,
    );
  });

  it('refuses attaching into a conversation the sender is not in, and leaves the upload unattached', async () => {
    const mine = await upload(mallory);
    expect(ackCode(await send(mallorySocket, { conversationId, attachmentId: mine.id }))).toBe(
      ErrorCode.ConversationNotFound,
    );
    okData(await send(mallorySocket, { conversationId: malloryConversationId, attachmentId: mine.id }));
  });

  it('deleting the message takes its attachment away', async () => {
    const image = await upload(alice);
    const stored = okData(await send(aliceSocket, { conversationId, attachmentId: image.id }));
    const deleted: Message = okData(
      await aliceSocket.emitWithAck('message:delete', { conversationId, messageId: stored.id }),
    );
    expect(deleted.attachment).toBeNull();
    expect((await fetchUpload(t, bob.cookie, image.id)).status).toBe(404);
  });
});
