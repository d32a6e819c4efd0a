import { ErrorCode, SOCKET_MAX_FRAME_BYTES, type ConnectErrorData } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

type ConnectError = Error & { data?: ConnectErrorData };

describe('socket handshake', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  it('refuses a socket without a session with auth/unauthenticated', async () => {
    const error = (await t.connectSocket(null).catch((e: unknown) => e)) as ConnectError;
    expect(error.data?.code).toBe(ErrorCode.Unauthenticated);
  });

  it('refuses a socket whose session was logged out', async () => {
    const user = await t.signUp();
    await t.http('POST', '/api/auth/logout', { cookie: user.cookie });
    const error = (await t.connectSocket(user.cookie).catch((e: unknown) => e)) as ConnectError;
    expect(error.data?.code).toBe(ErrorCode.Unauthenticated);
  });

  it('refuses a socket from a foreign Origin even with a valid session (cross-site WebSocket hijacking)', async () => {
    const user = await t.signUp();
    const error = (await t
      .connectSocket(user.cookie, { origin: 'https://evil.example' })
      .catch((e: unknown) => e)) as ConnectError;
    expect(error.data?.code).toBe(ErrorCode.OriginNotAllowed);
  });

  it('accepts a socket from an allowed Origin with a valid session', async () => {
    const user = await t.signUp();
    const socket = await t.connectSocket(user.cookie, { origin: t.origin });
    expect(socket.connected).toBe(true);
  });

  it('drops a client that sends a frame over the limit without harming other clients', async () => {
    const [alice, bob] = [await t.signUp(), await t.signUp()];
    const { body } = await t.http<{ conversation: { id: number } }>('POST', '/api/conversations', {
      cookie: alice.cookie,
      body: { name: 'Frames', memberUsernames: [bob.username] },
    });
    const abuser = await t.connectSocket(alice.cookie);
    const bystander = await t.connectSocket(bob.cookie);
    const dropped = new Promise<string>((resolve) => abuser.once('disconnect', resolve));
    abuser.emit(
      'message:send',
      {
        conversationId: body.conversation.id,
        clientMsgId: crypto.randomUUID(),
        text: 'x'.repeat(SOCKET_MAX_FRAME_BYTES + 1),
      },
      () => undefined,
    );
    expect(await dropped).toBe('transport close');

    const response = await bystander.timeout(5_000).emitWithAck('message:send', {
      conversationId: body.conversation.id,
      clientMsgId: crypto.randomUUID(),
      text: 'still here',
    });
    expect(response.ok).toBe(true);
  });
});
