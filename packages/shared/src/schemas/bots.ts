import { z } from 'zod';
import { textInputSchema, wellFormed } from './text.js';
import { idSchema, isoDateSchema } from './common.js';
import { messageSchema, messageTextSchema, sendMessageFieldsSchema, withMessageContent } from './messages.js';
import { displayNameSchema, userSummarySchema, usernameSchema } from './users.js';

// Bots (docs/bots.md): accounts a program drives with a token, administered in the site console
// (/api/admin/bots/*, site admins only), plus what a webhook receiver is sent and may answer.

export const BOT_DESCRIPTION_MAX = 500;
export const BOT_AVATAR_URL_MAX = 500;
export const BOT_TOKEN_LABEL_MAX = 64;
export const BOT_WEBHOOK_URL_MAX = 500;

/**
 * Every bot token starts with this, so secret scanners and people can tell a Parley bot token from
 * other secrets (GitHub's `ghp_` tokens follow the same idea).
 */
export const BOT_TOKEN_PREFIX = 'pbt_';

/** An avatar image's address: http(s) only, so no `javascript:` or `data:` URL reaches an `<img>`. */
export const botAvatarUrlSchema = wellFormed(
  z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(BOT_AVATAR_URL_MAX),
);

export const botDescriptionSchema = textInputSchema().trim().max(BOT_DESCRIPTION_MAX);

export const createBotBodySchema = z.strictObject({
  username: usernameSchema,
  displayName: displayNameSchema,
  description: botDescriptionSchema.default(''),
  /** Null or omitted: an avatar made from the display name's first letter. */
  avatarUrl: botAvatarUrlSchema.nullable().default(null),
  /** The person who answers for the bot; omitted: the admin creating it. */
  ownerUsername: usernameSchema.optional(),
});
export type CreateBotBody = z.input<typeof createBotBodySchema>;

export const updateBotBodySchema = z.strictObject({
  displayName: displayNameSchema.optional(),
  description: botDescriptionSchema.optional(),
  avatarUrl: botAvatarUrlSchema.nullable().optional(),
  ownerUsername: usernameSchema.optional(),
});
export type UpdateBotBody = z.infer<typeof updateBotBodySchema>;

export const botSchema = z.object({
  /** The bot's user id. */
  id: idSchema,
  username: z.string(),
  displayName: z.string(),
  description: z.string(),
  avatarUrl: z.string().nullable(),
  owner: userSummarySchema,
  createdAt: isoDateSchema,
  /** Deactivated bots cannot connect, and their tokens are refused. */
  deactivatedAt: isoDateSchema.nullable(),
});
export type Bot = z.infer<typeof botSchema>;
export const botListSchema = z.object({ bots: z.array(botSchema) });
export type BotList = z.infer<typeof botListSchema>;
export const botResponseSchema = z.object({ bot: botSchema });
export type BotResponse = z.infer<typeof botResponseSchema>;

export const createBotTokenBodySchema = z.strictObject({
  label: textInputSchema().trim().max(BOT_TOKEN_LABEL_MAX).default(''),
});
export type CreateBotTokenBody = z.input<typeof createBotTokenBodySchema>;

/** A token as the console lists it: never the token itself, only its first characters. */
export const botTokenSchema = z.object({
  id: idSchema,
  /** `pbt_` and the next 8 characters. */
  prefix: z.string(),
  label: z.string(),
  createdAt: isoDateSchema,
  lastUsedAt: isoDateSchema.nullable(),
  revokedAt: isoDateSchema.nullable(),
});
export type BotToken = z.infer<typeof botTokenSchema>;
export const botTokenListSchema = z.object({ tokens: z.array(botTokenSchema) });
export type BotTokenList = z.infer<typeof botTokenListSchema>;
/** The answer to creating a token: the only time `secret` (the whole token) is ever shown. */
export const createdBotTokenSchema = z.object({ token: botTokenSchema, secret: z.string() });
export type CreatedBotToken = z.infer<typeof createdBotTokenSchema>;

/**
 * What a webhook asks to be told of:
 * - `message`: any message in a conversation the bot is a member of (not the bot's own);
 * - `mention`: a message naming the bot as `@username`;
 * - `direct`: a message in a direct conversation with the bot.
 * A message matching several events the webhook asks for is delivered once per event.
 */
export const botWebhookEventSchema = z.enum(['message', 'mention', 'direct']);
export type BotWebhookEvent = z.infer<typeof botWebhookEventSchema>;

export const createBotWebhookBodySchema = z.strictObject({
  /**
   * http(s), without a user name or password in it (the console shows the URL; deliveries are signed
   * with the webhook's secret instead). Where it may point is the server's rule
   * (WEBHOOK_ALLOWED_PRIVATE_HOSTS, docs/bots.md).
   */
  url: wellFormed(
    z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .max(BOT_WEBHOOK_URL_MAX)
      // zod runs this check even after the URL check failed: what does not parse is that one's to refuse.
      .refine((url) => {
        try {
          const parsed = new URL(url);
          return parsed.username === '' && parsed.password === '';
        } catch {
          return true;
        }
      }, 'must not hold a user name or password'),
  ),
  events: z.array(botWebhookEventSchema).min(1).max(3),
});
export type CreateBotWebhookBody = z.infer<typeof createBotWebhookBodySchema>;

export const botWebhookSchema = z.object({
  id: idSchema,
  url: z.string(),
  events: z.array(botWebhookEventSchema),
  createdAt: isoDateSchema,
  disabledAt: isoDateSchema.nullable(),
});
export type BotWebhook = z.infer<typeof botWebhookSchema>;
export const botWebhookListSchema = z.object({ webhooks: z.array(botWebhookSchema) });
/** The answer to creating a webhook: `secret` signs its deliveries (docs/bots.md), shown this once. */
export const createdBotWebhookSchema = z.object({ webhook: botWebhookSchema, secret: z.string() });
export type CreatedBotWebhook = z.infer<typeof createdBotWebhookSchema>;

export const webhookDeliveryStatusSchema = z.enum(['pending', 'delivered', 'failed']);
export type WebhookDeliveryStatus = z.infer<typeof webhookDeliveryStatusSchema>;

export const webhookDeliverySchema = z.object({
  /** The delivery id (a UUID), also sent as `X-Parley-Delivery`. */
  id: z.string(),
  webhookId: idSchema,
  event: botWebhookEventSchema,
  messageId: idSchema,
  status: webhookDeliveryStatusSchema,
  attempts: z.number().int().nonnegative(),
  /** The receiver's last HTTP status; null if it never answered. */
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: isoDateSchema,
  finishedAt: isoDateSchema.nullable(),
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;
export const webhookDeliveryListSchema = z.object({ deliveries: z.array(webhookDeliverySchema) });

/** The JSON body Parley POSTs to a webhook (signed: see docs/bots.md). */
export const webhookPayloadSchema = z.object({
  deliveryId: z.string(),
  event: botWebhookEventSchema,
  bot: userSummarySchema,
  conversation: z.object({ id: idSchema, kind: z.enum(['direct', 'group']) }),
  message: messageSchema,
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/**
 * What a webhook receiver may answer with (HTTP 2xx, `Content-Type: application/json`): a message the
 * bot posts in the same conversation, once per delivery however often the delivery is retried.
 * Any other body (empty, not JSON, no `text`) posts nothing.
 */
export const webhookReplySchema = z.object({
  text: messageTextSchema,
  replyToId: idSchema.optional(),
});
export type WebhookReply = z.infer<typeof webhookReplySchema>;

/**
 * The most of a receiver's answer Parley reads, in bytes: a reply's text is at most 4,000 characters,
 * so 64 KiB holds any valid reply with room to spare. A longer body posts nothing (the delivery is
 * accepted, and the console says why); Parley stops reading it there.
 */
export const WEBHOOK_REPLY_MAX_BYTES = 65_536;

/**
 * `POST /api/conversations/:id/messages` (bots and people alike): the same send as the socket's
 * `message:send`, with `clientMsgId` as the idempotency key: a retry returns the stored message.
 */
export const postMessageBodySchema = withMessageContent(
  sendMessageFieldsSchema.omit({ conversationId: true }),
);
export type PostMessageBody = z.infer<typeof postMessageBodySchema>;

/**
 * What is counted per bot and UTC day in `bot_daily_counts` (features/bots/bot-counts.ts). The table
 * takes any metric name of up to 32 characters, so a feature adds its own here.
 */
export const BotMetric = {
  /** A message someone else sent in a conversation the bot is a member of. */
  MessagesReceived: 'messages_received',
  /** A message the bot sent (socket, HTTP or webhook reply). */
  RepliesSent: 'replies_sent',
  /** A webhook delivery the receiver accepted (2xx). */
  WebhookDeliveries: 'webhook_deliveries',
  /** A webhook delivery given up on after its retries. */
  WebhookFailures: 'webhook_failures',
  /** A companion's check-in, sent after a silence (features/companions). */
  CheckInsSent: 'check_ins_sent',
  /** A companion's model call that failed: a reply left failed, a check-in or summary put off. */
  ModelFailures: 'model_failures',
} as const;
export type BotMetric = (typeof BotMetric)[keyof typeof BotMetric];

export const BOT_COUNT_DAYS = 30;

/** A bot's counts over the last BOT_COUNT_DAYS UTC days (oldest first, today included, zeros filled). */
export const botCountsSchema = z.object({
  days: z.array(
    z.object({
      /** YYYY-MM-DD, UTC. */
      day: z.string(),
      /** metric name to count; every metric seen in the period appears on every day. */
      counts: z.record(z.string(), z.number().int().nonnegative()),
    }),
  ),
});
export type BotCounts = z.infer<typeof botCountsSchema>;
