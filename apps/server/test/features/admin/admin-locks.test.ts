// A site admin's change of one account locks the admins' rows and that account's, nobody else's: the
// rest of the site keeps sending while it runs.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdAtFailpoint } from '../../../src/lib/failpoints.js';
import { httpCode } from '../../helpers/groups.js';
import {
  ackCode,
  createGroup,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';

describe('a site admin changing an account', () => {
  let t: TestServer;
  let admin: TestUser;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await t.signUp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('leaves other accounts free: their sends are stored while the change holds its locks', async () => {
    const [target, carol, dave] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const conversationId = (await createGroup(t, carol, [dave])).id;
    const carolSocket = await t.connectSocket(carol.cookie);
    const hold = holdAtFailpoint('admin-user-change:locked');
    const deactivation = t.http('POST', `/api/admin/users/${target.id}/deactivate`, {
      cookie: admin.cookie,
    });
    // The admin's transaction holds the admins' rows and the target's, locked for update.
    await hold.reached;

    try {
      // Carol's batch reads her row with a shared lock: it waited for the admin's transaction (and
      // was refused server/busy at the lock wait timeout) when that had locked every row it scanned.
      const ack = await carolSocket.emitWithAck('message:send', {
        conversationId,
        clientMsgId: randomUUID(),
        text: 'while an admin works',
      });
      expect(ackCode(ack)).toBe('ok');
    } finally {
      hold.release();
    }
    expect(httpCode(await deactivation)).toBe('ok');
    carolSocket.disconnect();
  });
});
