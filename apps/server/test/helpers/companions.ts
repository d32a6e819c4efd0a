import type { CompanionSettingsInput, Conversation, Message } from '@parley/shared';
import { queryDatabase, uniqueName, type ClientSocket, type TestServer, type TestUser } from './server.js';

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

/** A bot account, made in the console; `cookie` is empty (a bot never signs in with a password). */
export async function createBot(t: TestServer, admin: TestUser): Promise<TestUser> {
  const username = uniqueName('bot');
  const response = await t.http<{ bot: { id: number; username: string } }>('POST', '/api/admin/bots', {
    cookie: admin.cookie,
    body: { username, displayName: 'Mira' },
  });
  if (response.status !== 201)
    throw new Error(`bot creation: ${response.status} ${JSON.stringify(response.body)}`);
  return { id: response.body.bot.id, username: response.body.bot.username, cookie: '' };
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
  const bot = await createBot(t, admin);
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

/**
 * Resolves with the companion's message (message:new or message:updated) once `predicate` holds for
 * it, e.g. `(m) => m.generation === null` for a finished reply.
 */
export function companionMessage(
  socket: ClientSocket,
  companionId: number,
  predicate: (message: Message) => boolean,
): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no such companion message within 10 s')), 10_000);
    const listener = (message: Message) => {
      if (message.sender.id !== companionId || !predicate(message)) return;
      clearTimeout(timer);
      socket.off('message:new', listener);
      socket.off('message:updated', listener);
      resolve(message);
    };
    socket.on('message:new', listener);
    socket.on('message:updated', listener);
  });
}
