import { z } from 'zod';
import { idSchema, isoDateSchema } from './common.js';
import { userSummarySchema } from './users.js';

export const MESSAGE_TEXT_MAX = 4000;
export const HISTORY_PAGE_MAX = 100;

/** Trimmed; refuses empty, whitespace-only and over-long text. */
export const messageTextSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MESSAGE_TEXT_MAX, `must be at most ${MESSAGE_TEXT_MAX} characters`);

export const messageTypeSchema = z.enum(['text']);
export type MessageType = z.infer<typeof messageTypeSchema>;

/** `message:send`. The client makes clientMsgId (a UUID) before the first attempt and reuses it on every retry. */
export const sendMessagePayloadSchema = z.strictObject({
  conversationId: idSchema,
  clientMsgId: z.uuid(),
  text: messageTextSchema,
});
export type SendMessagePayload = z.infer<typeof sendMessagePayloadSchema>;

export const messageSchema = z.object({
  id: idSchema,
  conversationId: idSchema,
  /** Position in the conversation: 1, 2, 3… with no gaps, the same for every member. */
  seq: z.number().int().positive(),
  clientMsgId: z.string(),
  sender: userSummarySchema,
  type: messageTypeSchema,
  text: z.string(),
  createdAt: isoDateSchema,
});
export type Message = z.infer<typeof messageSchema>;

/** GET /api/conversations/:id/messages. `before` is a seq: returns the page just older than it. */
export const historyQuerySchema = z.strictObject({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(HISTORY_PAGE_MAX).default(50),
});
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

export const historyResponseSchema = z.object({
  /** Oldest first. */
  messages: z.array(messageSchema),
  /** True when older messages exist before the first one returned. */
  hasMore: z.boolean(),
});
export type HistoryResponse = z.infer<typeof historyResponseSchema>;
