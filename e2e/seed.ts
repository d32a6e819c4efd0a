// Helpers that set a scene faster than a person could, through the same doors the app uses: a socket
// speaking the protocol for long histories, and the REST API for what the server has stored.
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { expect, type Page } from '@playwright/test';
import { E2E_BASE_URL } from './environment.js';
import type { SignedInUser } from './fixtures.js';

/** The id of the conversation open on `page` (its URL is `/c/<id>`). */
export function openConversationId(page: Page): number {
  const match = /\/c\/(\d+)/.exec(new URL(page.url()).pathname);
  if (!match) throw new Error(`no conversation is open at ${page.url()}`);
  return Number(match[1]);
}

/** `count` texts "stem 1", "stem 2", …, to tell the messages of a long history apart. */
export function numbered(count: number, stem: string): string[] {
  return Array.from({ length: count }, (_, index) => `${stem} ${index + 1}`);
}

/** A message to send: its text, and the id of a message of the same conversation it replies to. */
export type SeedMessage = string | { text: string; replyToId: number };

/** What the server stored: the message's id and its seq. */
export interface SeededMessage {
  id: number;
  seq: number;
}

type SendAck = { ok: true; data: SeededMessage } | { ok: false; error: { code: string; message: string } };

/**
 * Sends `texts` into conversation `conversationId` as `user`, over a socket of its own that carries the
 * user's session cookie, the way any Parley client does: `message:send` with an acknowledgement, one
 * after another, or `inFlight` at a time (faster for long histories; seqs then follow the order of
 * `texts` only from batch to batch, and live copies may reach other tabs out of order). Returns the ids and seqs the server gave them, in the order of `texts`. The user's
 * open pages receive them live as `message:new`. More than SOCKET_RATE_LIMIT (raised for the e2e server
 * in playwright.config.ts) per 10 s would be refused with `request/rate_limited`, which throws here.
 */
export async function sendMessagesThroughSocket(
  user: SignedInUser,
  conversationId: number,
  texts: readonly SeedMessage[],
  { inFlight = 1 }: { inFlight?: number } = {},
): Promise<SeededMessage[]> {
  const cookies = await user.context.cookies(E2E_BASE_URL);
  const socket = io(E2E_BASE_URL, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    extraHeaders: { cookie: cookies.map(({ name, value }) => `${name}=${value}`).join('; ') },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const send = async (message: SeedMessage): Promise<SeededMessage> => {
      const content = typeof message === 'string' ? { text: message } : message;
      const ack = (await socket
        .timeout(15_000)
        .emitWithAck('message:send', { conversationId, clientMsgId: randomUUID(), ...content })) as SendAck;
      if (!ack.ok) throw new Error(`message:send refused: ${ack.error.code} ${ack.error.message}`);
      return { id: ack.data.id, seq: ack.data.seq };
    };
    const stored: SeededMessage[] = [];
    for (let start = 0; start < texts.length; start += inFlight)
      stored.push(...(await Promise.all(texts.slice(start, start + inFlight).map(send))));
    return stored;
  } finally {
    socket.disconnect();
  }
}

/** The signed-in user's read position and unread count in a conversation, as the server has them. */
export async function serverReadState(
  page: Page,
  conversationId: number,
): Promise<{ lastReadSeq: number; unreadCount: number }> {
  const response = await page.request.get('/api/conversations');
  expect(response.ok()).toBe(true);
  const { conversations } = (await response.json()) as {
    conversations: { id: number; lastReadSeq: number; unreadCount: number }[];
  };
  const conversation = conversations.find(({ id }) => id === conversationId);
  if (!conversation) throw new Error(`conversation ${conversationId} is not in the list`);
  return { lastReadSeq: conversation.lastReadSeq, unreadCount: conversation.unreadCount };
}
