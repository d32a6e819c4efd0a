import { createHash, randomUUID } from 'node:crypto';
import { backoffDelay } from '@parley/client';
import {
  BotMetric,
  isRetryableErrorCode,
  WEBHOOK_REPLY_MAX_BYTES,
  webhookReplySchema,
  type BotWebhookEvent,
  type Message,
  type SendMessagePayload,
  type WebhookPayload,
  type WebhookReply,
} from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { WebhookConfig } from '../../config.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { createOutboundPolicy, postOutbound } from '../../lib/outbound-http.js';
import type { BotCountsStore } from './bot-counts.js';
import { claimDelivery, type DeliveryQueue } from './delivery-queue.js';
import { signWebhook, WebhookHeader } from './webhook-signature.js';

export interface WebhookDelivererDeps {
  prisma: PrismaClient;
  queue: DeliveryQueue;
  counts: BotCountsStore;
  /** Posts a webhook's reply as the bot: the same send as everyone's (features/messages/message-poster.ts). */
  post(userId: number, payload: SendMessagePayload): Promise<Message>;
  config: WebhookConfig;
  log: FastifyBaseLogger;
  clock?: () => Date;
}

interface BotMemberRow {
  botId: number;
  username: string;
  displayName: string;
  conversationKind: 'direct' | 'group';
  webhookId: number | null;
  events: string | null;
}

/** Error text kept for the console, cut to the column's size. */
const errorText = (text: string) => text.slice(0, 500);

/**
 * A clientMsgId made from the delivery id: a webhook's reply to one delivery is stored once however
 * often the delivery is retried or redelivered (the send's (sender, clientMsgId) rule). An RFC 9562
 * version 8 UUID (custom bits) from the SHA-256 of the delivery id.
 */
export function replyClientMsgId(deliveryId: string): string {
  const hex = createHash('sha256').update(`webhook-reply:${deliveryId}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** What came of posting a receiver's reply. */
type ReplyOutcome =
  | { posted: true }
  /** Final: nothing will be posted (no reply, not JSON, refused for good); `why` for the console. */
  | { posted: false; why: string | null }
  /** Refused for now (a full send budget, a busy server): post the same reply again later. */
  | { posted: false; retry: { why: string; afterMs: number } };

/** Whether `text` names `@username` as a word (not inside a longer name or an address). */
function mentions(text: string, username: string): boolean {
  const escaped = username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w@.])@${escaped}(?![\\w-]|\\.\\w)`, 'i').test(text);
}

export type WebhookDeliverer = ReturnType<typeof createWebhookDeliverer>;

/** While a site has no bots, how often (ms) a process asks again whether one was made elsewhere. */
const NO_BOTS_RECHECK_MS = 5_000;

/**
 * Bots hear of messages: counts (received, replies) and webhook deliveries. `afterSend` is the
 * messages service's hook: it queues and returns, never delaying a send; delivering happens in the
 * queue's workers (delivery-queue.ts), each attempt signed, retried with @parley/client's back-off
 * until `retryForMs` after queueing, then marked failed.
 */
export function createWebhookDeliverer({
  prisma,
  queue,
  counts,
  post,
  config,
  log,
  clock = () => new Date(),
}: WebhookDelivererDeps) {
  const policy = createOutboundPolicy(config.allowedPrivateHosts);
  // Bots are never deleted (only deactivated), so once one exists this stays true. Until then a
  // message costs no query: a site without bots pays one lookup per NO_BOTS_RECHECK_MS per process.
  let botsExist = false;
  let checkedAt = Number.NEGATIVE_INFINITY;

  /** Known without asking: no bot was seen within NO_BOTS_RECHECK_MS (a message then costs no promise). */
  const knownBotless = () => !botsExist && Date.now() - checkedAt < NO_BOTS_RECHECK_MS;

  async function mayHaveBots(): Promise<boolean> {
    if (botsExist) return true;
    const now = Date.now();
    if (now - checkedAt < NO_BOTS_RECHECK_MS) return false;
    checkedAt = now;
    botsExist = (await prisma.bot.findFirst({ select: { userId: true } })) !== null;
    return botsExist;
  }

  async function botsHearing(message: Message, replay: boolean): Promise<void> {
    if (!(await mayHaveBots())) return;
    const rows = await prisma.$queryRaw<BotMemberRow[]>`
      SELECT u.id AS botId, u.username, u.displayName, c.kind AS conversationKind,
             w.id AS webhookId, w.events
        FROM memberships m
        JOIN users u ON u.id = m.userId AND u.kind = 'bot' AND u.deactivatedAt IS NULL
        JOIN conversations c ON c.id = m.conversationId
        LEFT JOIN bot_webhooks w ON w.botId = u.id AND w.disabledAt IS NULL
       WHERE m.conversationId = ${message.conversationId}`;
    const counted = new Set<number>();
    const deliveries: Array<{ id: string; webhookId: number; event: BotWebhookEvent; payload: string }> = [];
    for (const row of rows) {
      if (row.botId === message.sender.id) continue;
      if (!counted.has(row.botId) && !replay) {
        counted.add(row.botId);
        await counts.increment(row.botId, BotMetric.MessagesReceived);
      }
      if (row.webhookId === null || row.events === null) continue;
      const wanted = new Set(row.events.split(','));
      const events: BotWebhookEvent[] = [];
      if (wanted.has('message')) events.push('message');
      if (wanted.has('mention') && mentions(message.text, row.username)) events.push('mention');
      if (wanted.has('direct') && row.conversationKind === 'direct') events.push('direct');
      for (const event of events) {
        const id = randomUUID();
        const payload: WebhookPayload = {
          deliveryId: id,
          event,
          bot: { id: row.botId, username: row.username, displayName: row.displayName, kind: 'bot' },
          conversation: { id: message.conversationId, kind: row.conversationKind },
          message,
        };
        deliveries.push({ id, webhookId: row.webhookId, event, payload: JSON.stringify(payload) });
      }
    }
    if (deliveries.length === 0) return;
    const now = clock();
    // A retried send comes here again: the (webhook, message, event) key makes each delivery once.
    await prisma.botWebhookDelivery.createMany({
      data: deliveries.map((d) => ({ ...d, messageId: message.id, nextAttemptAt: now, createdAt: now })),
      skipDuplicates: true,
    });
    const queued = await prisma.botWebhookDelivery.findMany({
      where: { id: { in: deliveries.map((d) => d.id) } },
      select: { id: true },
    });
    for (const { id } of queued) await queue.schedule(id, 0, 0);
  }

  /**
   * Marks an attempt's failure: the next attempt after the back-off (or `atLeastMs`, a refusal's
   * retryAfterMs, if longer), or failed past the time bound.
   */
  async function failed(
    deliveryId: string,
    attempts: number,
    queuedAt: Date,
    status: number | null,
    error: string,
    atLeastMs = 0,
  ) {
    const now = clock();
    const delay = Math.max(atLeastMs, backoffDelay(attempts - 1, { ...config.retry, jitter: 0.2 }));
    const giveUp = now.getTime() + delay - queuedAt.getTime() > config.retryForMs;
    await prisma.botWebhookDelivery.update({
      where: { id: deliveryId },
      data: giveUp
        ? {
            status: 'failed',
            finishedAt: now,
            nextAttemptAt: null,
            lockedUntil: null,
            lastStatusCode: status,
            lastError: errorText(error),
          }
        : {
            nextAttemptAt: new Date(now.getTime() + delay),
            lockedUntil: null,
            lastStatusCode: status,
            lastError: errorText(error),
          },
    });
    if (giveUp) return true;
    await queue.schedule(deliveryId, attempts, delay);
    return false;
  }

  /**
   * One attempt of one delivery (the queue's handler): POST it to the receiver and post the reply it
   * answers with, or, when an earlier attempt's reply is waiting (`reply`), post that without asking the
   * receiver again, since a receiver deduplicating by delivery id would answer a repeat with nothing.
   */
  async function attempt(deliveryId: string): Promise<void> {
    const delivery = await prisma.botWebhookDelivery.findUnique({
      where: { id: deliveryId },
      include: { webhook: true },
    });
    if (!delivery || delivery.status !== 'pending') return;
    // Handed out twice (two processes' relays, a duplicate or early job): one claim wins, the rest stop.
    if (!(await claimDelivery(prisma, delivery, clock(), config.timeoutMs))) return;
    const attempts = delivery.attempts + 1;
    /** `failed`'s answer: a delivery given up on is counted as a failure. */
    const countIfGivenUp = async (gaveUp: boolean) => {
      if (gaveUp) await counts.increment(delivery.webhook.botId, BotMetric.WebhookFailures);
    };
    let statusCode = delivery.lastStatusCode;
    let outcome: ReplyOutcome;
    if (delivery.reply !== null) {
      outcome = await postReply(delivery.webhook.botId, delivery.id, delivery.payload, delivery.reply);
    } else {
      const timestamp = Math.floor(clock().getTime() / 1000);
      let response: { status: number; body: string | null };
      try {
        response = await postOutbound(new URL(delivery.webhook.url), {
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Parley-Webhook/1',
            [WebhookHeader.Delivery]: delivery.id,
            [WebhookHeader.Event]: delivery.event,
            [WebhookHeader.Timestamp]: String(timestamp),
            [WebhookHeader.Signature]: signWebhook(delivery.webhook.secret, timestamp, delivery.payload),
          },
          body: delivery.payload,
          timeoutMs: config.timeoutMs,
          maxBodyBytes: WEBHOOK_REPLY_MAX_BYTES,
          policy,
        });
      } catch (error) {
        await countIfGivenUp(await failed(deliveryId, attempts, delivery.createdAt, null, String(error)));
        return;
      }
      if (response.status < 200 || response.status > 299) {
        await countIfGivenUp(
          await failed(deliveryId, attempts, delivery.createdAt, response.status, `HTTP ${response.status}`),
        );
        return;
      }
      statusCode = response.status;
      const body = response.body;
      outcome =
        body === null
          ? {
              posted: false,
              why: `The reply body is over ${WEBHOOK_REPLY_MAX_BYTES} bytes; nothing posted`,
            }
          : await postReply(delivery.webhook.botId, delivery.id, delivery.payload, body);
    }
    if (!outcome.posted && 'retry' in outcome) {
      await countIfGivenUp(
        await failed(
          deliveryId,
          attempts,
          delivery.createdAt,
          statusCode,
          outcome.retry.why,
          outcome.retry.afterMs,
        ),
      );
      return;
    }
    await prisma.botWebhookDelivery.update({
      where: { id: deliveryId },
      data: {
        status: 'delivered',
        finishedAt: clock(),
        nextAttemptAt: null,
        lockedUntil: null,
        lastStatusCode: statusCode,
        lastError: outcome.posted ? null : outcome.why,
        reply: null,
      },
    });
    await counts.increment(delivery.webhook.botId, BotMetric.WebhookDeliveries);
  }

  /**
   * A receiver's answer may carry a message for the bot to post in the same conversation
   * (webhookReplySchema). Anything else posts nothing. A reply refused for a reason that passes
   * (RETRYABLE_ERROR_CODES) is kept on the delivery, to be posted by its next attempt.
   */
  async function postReply(
    botId: number,
    deliveryId: string,
    sentPayload: string,
    body: string,
  ): Promise<ReplyOutcome> {
    if (body.trim() === '') return { posted: false, why: null };
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { posted: false, why: 'The reply body is not JSON; nothing posted' };
    }
    const reply = webhookReplySchema.safeParse(parsed);
    if (!reply.success) return { posted: false, why: 'The reply has no valid "text"; nothing posted' };
    const { conversation } = JSON.parse(sentPayload) as WebhookPayload;
    try {
      await post(botId, {
        conversationId: conversation.id,
        clientMsgId: replyClientMsgId(deliveryId),
        text: reply.data.text,
        ...(reply.data.replyToId ? { replyToId: reply.data.replyToId } : {}),
      });
      return { posted: true };
    } catch (error) {
      const { code, retryAfterMs } = error as { code?: string; retryAfterMs?: number };
      if (code !== undefined && isRetryableErrorCode(code)) {
        const kept: WebhookReply = reply.data;
        await prisma.botWebhookDelivery.update({
          where: { id: deliveryId },
          data: { reply: JSON.stringify(kept) },
        });
        return {
          posted: false,
          retry: { why: `The reply is not posted yet: ${code}; trying again`, afterMs: retryAfterMs ?? 0 },
        };
      }
      log.warn({ err: error, deliveryId }, 'webhook reply not posted');
      return { posted: false, why: errorText(`The reply was not posted: ${code ?? String(error)}`) };
    }
  }

  return {
    attempt,

    /**
     * The messages service's afterSend hook: counts and queues, never throws, never awaited. A
     * retry's answer (`replay`) stores what a crash lost between the store and here (a no-op for what
     * was stored) but is not counted again; rows stored but never queued are the relay's (delivery-queue.ts).
     */
    afterSend(message: Message, replay: boolean): void {
      if (message.type !== 'text' || knownBotless()) return;
      botsHearing(message, replay).catch((error: unknown) =>
        log.error({ err: error, messageId: message.id }, 'bot events for a message were not recorded'),
      );
      // The sender's own count: a bot's message is a reply sent.
      if (message.sender.kind === 'bot' && !replay) {
        counts
          .increment(message.sender.id, BotMetric.RepliesSent)
          .catch((error: unknown) => log.error({ err: error }, 'bot reply count not recorded'));
      }
    },

    /** A bot was made in this process: messages are looked at from now on (see mayHaveBots). */
    botCreated(): void {
      botsExist = true;
    },

    /** Queues a delivery again from now (the console's "redeliver"), whatever its state. */
    async redeliver(deliveryId: string): Promise<boolean> {
      const now = clock();
      const { count } = await prisma.botWebhookDelivery.updateMany({
        where: { id: deliveryId },
        data: {
          status: 'pending',
          attempts: 0,
          createdAt: now,
          nextAttemptAt: now,
          lockedUntil: null,
          finishedAt: null,
          reply: null,
        },
      });
      if (count === 0) return false;
      // Attempt 0 again. Should its job id still be queued from before, that job attempts it (the
      // row is due); and the relay re-adds it should this add be lost.
      await queue.schedule(deliveryId, 0, 0);
      return true;
    },
  };
}
