import type { BotResponse, CreatedBotToken } from '@parley/shared';
import { uniqueName, type TestServer } from './server.js';

/** A bot made through the console's API, with one token: what a bot's tests start from. */
export interface TestBot {
  id: number;
  username: string;
  /** The token's secret, shown once: `Authorization: Bearer <token>` or the socket's `auth.token`. */
  token: string;
  tokenId: number;
}

/**
 * Creates a bot (`POST /api/admin/bots`) and a token for it (`POST /api/admin/bots/:id/tokens`) as the
 * site admin whose session cookie is `adminCookie`.
 */
export async function createBotWithToken(t: TestServer, adminCookie: string): Promise<TestBot> {
  const { body } = await t.http<BotResponse>('POST', '/api/admin/bots', {
    cookie: adminCookie,
    body: { username: uniqueName('bot'), displayName: 'Bot' },
  });
  const created = await t.http<CreatedBotToken>('POST', `/api/admin/bots/${body.bot.id}/tokens`, {
    cookie: adminCookie,
    body: { label: 'test' },
  });
  return {
    id: body.bot.id,
    username: body.bot.username,
    token: created.body.secret,
    tokenId: created.body.token.id,
  };
}
