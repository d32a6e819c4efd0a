import { randomBytes } from 'node:crypto';
import {
  ErrorCode,
  botWebhookEventSchema,
  type BotWebhook,
  type CreateBotWebhookBody,
  type CreatedBotWebhook,
  type WebhookDelivery,
} from '@parley/shared';
import type {
  BotWebhook as BotWebhookRow,
  BotWebhookDelivery as DeliveryRow,
  PrismaClient,
} from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { hostOf, type OutboundPolicy } from '../../lib/outbound-http.js';
import { recordAudit } from '../audit/audit.service.js';
import type { WebhookDeliverer } from './webhook-deliverer.js';

/** Deliveries the console lists per bot, newest first. */
export const RECENT_DELIVERIES = 50;

function toWebhook(row: BotWebhookRow): BotWebhook {
  return {
    id: row.id,
    url: row.url,
    events: row.events.split(',').map((event) => botWebhookEventSchema.parse(event)),
    createdAt: row.createdAt.toISOString(),
    disabledAt: row.disabledAt?.toISOString() ?? null,
  };
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhookId,
    event: botWebhookEventSchema.parse(row.event),
    messageId: row.messageId,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

export type BotWebhooksService = ReturnType<typeof createBotWebhooksService>;

/** A bot's outgoing webhooks and their deliveries, as the site console manages them. */
export function createBotWebhooksService(
  prisma: PrismaClient,
  deliverer: Pick<WebhookDeliverer, 'redeliver'>,
  /** Where webhooks may point (WEBHOOK_ALLOWED_PRIVATE_HOSTS); checked again at every delivery. */
  policy: OutboundPolicy,
) {
  async function requireBot(botId: number): Promise<void> {
    const bot = await prisma.bot.findUnique({ where: { userId: botId }, select: { userId: true } });
    if (!bot) throw new AppError(ErrorCode.BotNotFound, `No bot ${botId}`);
  }

  return {
    /**
     * Adds a webhook; the answer carries its signing secret, shown this once. A URL whose host is this
     * machine or an address in a private or reserved network is `request/invalid` (issue path
     * `body.url`), unless WEBHOOK_ALLOWED_PRIVATE_HOSTS lists it; a name is checked when delivering.
     */
    async create(actorId: number, botId: number, body: CreateBotWebhookBody): Promise<CreatedBotWebhook> {
      await requireBot(botId);
      const refused = policy.refusedHost(hostOf(new URL(body.url)));
      if (refused) {
        throw new AppError(ErrorCode.Invalid, `The webhook URL ${refused}`, [
          { path: 'body.url', message: refused },
        ]);
      }
      const secret = randomBytes(32).toString('base64url');
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.botWebhook.create({
          data: { botId, url: body.url, events: [...new Set(body.events)].join(','), secret },
        });
        await recordAudit(tx, {
          actorId,
          action: 'site.bot.webhook.create',
          targetUserId: botId,
          after: { webhookId: created.id, url: body.url, events: body.events },
        });
        return created;
      });
      return { webhook: toWebhook(row), secret };
    },

    async list(botId: number): Promise<BotWebhook[]> {
      await requireBot(botId);
      const rows = await prisma.botWebhook.findMany({ where: { botId }, orderBy: { id: 'asc' } });
      return rows.map(toWebhook);
    },

    /** Removes a webhook and its deliveries: nothing more is sent to it. */
    async remove(actorId: number, botId: number, webhookId: number): Promise<void> {
      await prisma.$transaction(async (tx) => {
        const found = await tx.botWebhook.findFirst({ where: { id: webhookId, botId } });
        if (!found) throw new AppError(ErrorCode.BotNotFound, `No webhook ${webhookId} for bot ${botId}`);
        await tx.botWebhook.delete({ where: { id: webhookId } });
        await recordAudit(tx, {
          actorId,
          action: 'site.bot.webhook.delete',
          targetUserId: botId,
          before: { webhookId, url: found.url, events: found.events },
        });
      });
    },

    /** The bot's RECENT_DELIVERIES newest deliveries, every webhook together. */
    async deliveries(botId: number): Promise<WebhookDelivery[]> {
      await requireBot(botId);
      const rows = await prisma.botWebhookDelivery.findMany({
        where: { webhook: { botId } },
        orderBy: { createdAt: 'desc' },
        take: RECENT_DELIVERIES,
      });
      return rows.map(toDelivery);
    },

    /** Queues a delivery of this bot again from now; `bot/not_found` for another bot's or none. */
    async redeliver(botId: number, deliveryId: string): Promise<WebhookDelivery> {
      const found = await prisma.botWebhookDelivery.findFirst({
        where: { id: deliveryId, webhook: { botId } },
      });
      if (!found) throw new AppError(ErrorCode.BotNotFound, `No delivery ${deliveryId} for bot ${botId}`);
      await deliverer.redeliver(deliveryId);
      const row = await prisma.botWebhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } });
      return toDelivery(row);
    },
  };
}
