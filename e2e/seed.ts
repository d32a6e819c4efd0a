// Helpers that set a scene faster than a person could, through the same doors the app uses: a socket
// speaking the protocol for long histories, and the REST API for what the server has stored.
import { randomUUID } from 'node:crypto';
import type { Attachment, UploadKind } from '../packages/shared/src/index.js';
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

/**
 * A message to send: its text, the id of a message of the same conversation it replies to, and an
 * upload of the sender's to carry (`uploadThroughApi`), whose caption the text then is.
 */
export type SeedMessage = string | { text: string; replyToId?: number; attachmentId?: string };

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
  const response = await page.request.get(`/api/conversations/${conversationId}`);
  expect(response.ok()).toBe(true);
  const { conversation } = (await response.json()) as {
    conversation: { lastReadSeq: number; unreadCount: number };
  };
  return { lastReadSeq: conversation.lastReadSeq, unreadCount: conversation.unreadCount };
}

/** A file to upload: its name, the type the browser would claim, and its bytes. */
export interface SeedFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/**
 * Uploads `file` as `user` through POST /api/uploads?kind=… (multipart, the session cookie of the
 * user's browser context), as the composer does, and returns the stored attachment to send with
 * `sendMessagesThroughSocket(user, id, [{ text, attachmentId }])`. Throws with the server's error
 * when it refuses the file.
 */
export async function uploadThroughApi(
  user: SignedInUser,
  kind: UploadKind,
  file: SeedFile,
): Promise<Attachment> {
  const response = await user.context.request.post(`/api/uploads?kind=${kind}`, { multipart: { file } });
  if (response.status() !== 201)
    throw new Error(`upload refused: ${response.status()} ${await response.text()}`);
  return ((await response.json()) as { upload: Attachment }).upload;
}

/**
 * A JPEG of `width`×`height` drawn by `page`'s browser (a canvas): a diagonal gradient of `hues`
 * with `label` written large, so screenshots tell the pictures apart.
 */
export async function drawnJpeg(
  page: Page,
  { width, height, hues, label }: { width: number; height: number; hues: [number, number]; label: string },
): Promise<Buffer> {
  const dataUrl = await page.evaluate(
    ({ width, height, hues, label }) => {
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      const context = canvas.getContext('2d')!;
      const gradient = context.createLinearGradient(0, 0, width, height);
      gradient.addColorStop(0, `hsl(${hues[0]} 70% 55%)`);
      gradient.addColorStop(1, `hsl(${hues[1]} 70% 35%)`);
      context.fillStyle = gradient;
      context.fillRect(0, 0, width, height);
      context.fillStyle = 'rgb(255 255 255 / 0.25)';
      for (let index = 0; index < 6; index += 1) {
        context.beginPath();
        context.arc(
          ((index + 1) * width) / 7,
          height * (0.3 + 0.08 * (index % 3)),
          height / 9,
          0,
          Math.PI * 2,
        );
        context.fill();
      }
      context.fillStyle = 'white';
      context.font = `bold ${Math.round(height / 7)}px sans-serif`;
      context.textAlign = 'center';
      context.textBaseline = 'middle';
      context.fillText(label, width / 2, height * 0.7);
      return canvas.toDataURL('image/jpeg', 0.85);
    },
    { width, height, hues, label },
  );
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
}
