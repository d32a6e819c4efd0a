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

/** Sends in flight at once; seqs within one batch may be given in any order. */
const SEND_BATCH = 10;

type SendAck = { ok: true; data: { seq: number } } | { ok: false; error: { code: string; message: string } };

/**
 * Sends `texts` into conversation `conversationId` as `user`, over a socket of its own that carries the
 * user's session cookie, the way any Parley client does: `message:send` with an acknowledgement, one
 * after another in batches of SEND_BATCH, so seqs follow the order of `texts` from batch to batch
 * but not within one. Returns the seqs the server gave them. The user's
 * open pages receive them live as `message:new`. More than SOCKET_RATE_LIMIT (raised for the e2e server
 * in playwright.config.ts) per 10 s would be refused with `request/rate_limited`, which throws here.
 */
export async function sendMessagesThroughSocket(
  user: SignedInUser,
  conversationId: number,
  texts: readonly string[],
): Promise<number[]> {
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
    const send = async (text: string): Promise<number> => {
      const ack = (await socket
        .timeout(15_000)
        .emitWithAck('message:send', { conversationId, clientMsgId: randomUUID(), text })) as SendAck;
      if (!ack.ok) throw new Error(`message:send refused: ${ack.error.code} ${ack.error.message}`);
      return ack.data.seq;
    };
    // A few in flight at a time: one by one, a long history takes a minute on a busy machine.
    const seqs: number[] = [];
    for (let start = 0; start < texts.length; start += SEND_BATCH)
      seqs.push(...(await Promise.all(texts.slice(start, start + SEND_BATCH).map(send))));
    return seqs;
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
