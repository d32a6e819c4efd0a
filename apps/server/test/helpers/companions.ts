import type { CompanionSettingsInput, Conversation } from '@parley/shared';
import { queryDatabase, type ClientSocket, type TestServer, type TestUser } from './server.js';

export interface CompanionChat {
  admin: TestUser;
  bot: TestUser;
  person: TestUser;
  conversationId: number;
  socket: ClientSocket;
}

/** A site admin, as the console would have one. */
export async function signUpAdmin(t: TestServer): Promise<TestUser> {
  const admin = await t.signUp();
  await queryDatabase(t, "UPDATE users SET role = 'admin' WHERE id = ?", [admin.id]);
  return admin;
}

/** Makes `bot` a companion through the console's API. */
export async function configureCompanion(
  t: TestServer,
  admin: TestUser,
  bot: TestUser,
  settings: Partial<CompanionSettingsInput> = {},
): Promise<void> {
  const response = await t.http('PUT', `/api/admin/companions/${bot.id}`, {
    cookie: admin.cookie,
    body: { persona: 'You are Mira, a kind companion.', ...settings },
  });
  if (response.status !== 200)
    throw new Error(`companion setup: ${response.status} ${JSON.stringify(response.body)}`);
}

/** A person in a direct conversation with a new companion, their socket connected. */
export async function companionChat(
  t: TestServer,
  settings: Partial<CompanionSettingsInput> = {},
): Promise<CompanionChat> {
  const admin = await signUpAdmin(t);
  const bot = await t.signUp();
  await configureCompanion(t, admin, bot, settings);
  const person = await t.signUp();
  const opened = await t.http<{ conversation: Conversation }>('POST', '/api/conversations/direct', {
    cookie: person.cookie,
    body: { username: bot.username },
  });
  const socket = await t.connectSocket(person.cookie);
  return { admin, bot, person, conversationId: opened.body.conversation.id, socket };
}

/** Moves a conversation's pending companion jobs into the past: the silence has lasted long enough. */
export async function elapseSilence(
  t: TestServer | { config: TestServer['config'] },
  conversationId: number,
  kind = 'check_in',
) {
  await queryDatabase(
    t as TestServer,
    'UPDATE companion_jobs SET dueAt = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE conversationId = ? AND kind = ? AND doneAt IS NULL',
    [conversationId, kind],
  );
}
