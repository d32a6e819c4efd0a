import {
  ErrorCode,
  createBotBodySchema,
  type Bot,
  type CreateBotBody,
  type UpdateBotBody,
} from '@parley/shared';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { recordAudit } from '../audit/audit.service.js';
import { toUserSummary, userSummarySelect } from '../users/user-dto.js';
import { lockUsers } from '../users/user-locks.js';

const botInclude = {
  user: { select: { username: true, displayName: true, deactivatedAt: true } },
  owner: { select: userSummarySelect },
} as const;

type BotRow = Prisma.BotGetPayload<{ include: typeof botInclude }>;

function toBot(row: BotRow): Bot {
  return {
    id: row.userId,
    username: row.user.username,
    displayName: row.user.displayName,
    description: row.description,
    avatarUrl: row.avatarUrl,
    owner: toUserSummary(row.owner),
    createdAt: row.createdAt.toISOString(),
    deactivatedAt: row.user.deactivatedAt?.toISOString() ?? null,
  };
}

/**
 * A bot's user row has no password: this is no argon2 hash, so no password ever verifies against it,
 * and login refuses bots before it would try (`auth/bot_password_login`).
 */
const NO_PASSWORD = '!';

export type BotsService = ReturnType<typeof createBotsService>;

/** Bot accounts as the site console makes and changes them; every change writes an audit row. */
export interface BotsServiceHooks {
  /** Told after a bot is made (the webhook deliverer starts looking at messages). */
  onCreated?: () => void;
  /** Told after a bot's display name changed, once committed (`user:updated`, users/user-notifier.ts). */
  onRenamed?: (botId: number) => Promise<void>;
}

export function createBotsService(prisma: PrismaClient, { onCreated, onRenamed }: BotsServiceHooks = {}) {
  async function ownerId(tx: Prisma.TransactionClient, username: string): Promise<number> {
    const owner = await tx.user.findUnique({ where: { username }, select: { id: true, kind: true } });
    if (!owner || owner.kind !== 'person') {
      throw new AppError(ErrorCode.UserNotFound, `No person with the username "${username}"`);
    }
    return owner.id;
  }

  async function find(botId: number): Promise<Bot> {
    const row = await prisma.bot.findUnique({ where: { userId: botId }, include: botInclude });
    if (!row) throw new AppError(ErrorCode.BotNotFound, `No bot ${botId}`);
    return toBot(row);
  }

  return {
    find,

    /**
     * Makes a bot: a user of kind `bot` (no password) and its bots row, in one transaction.
     * Throws `auth/username_taken`, or `user/not_found` for an owner who is not a person.
     */
    async create(actorId: number, input: CreateBotBody): Promise<Bot> {
      const body = createBotBodySchema.parse(input);
      try {
        const botId = await prisma.$transaction(async (tx) => {
          const owner = body.ownerUsername ? await ownerId(tx, body.ownerUsername) : actorId;
          const user = await tx.user.create({
            data: {
              username: body.username,
              displayName: body.displayName,
              passwordHash: NO_PASSWORD,
              kind: 'bot',
            },
          });
          await tx.bot.create({
            data: {
              userId: user.id,
              ownerId: owner,
              description: body.description,
              avatarUrl: body.avatarUrl,
              createdById: actorId,
            },
          });
          await recordAudit(tx, {
            actorId,
            action: 'site.bot.create',
            targetUserId: user.id,
            after: { username: body.username, displayName: body.displayName, ownerId: owner },
          });
          return user.id;
        });
        onCreated?.();
        return await find(botId);
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
          throw new AppError(ErrorCode.UsernameTaken, `The username "${body.username}" is taken`);
        }
        throw error;
      }
    },

    /** Changes what is given; the username stays (it is how people mention and find the bot). */
    async update(actorId: number, botId: number, body: UpdateBotBody): Promise<Bot> {
      const renamed = await prisma.$transaction(async (tx) => {
        const before = await tx.bot.findUnique({ where: { userId: botId }, include: botInclude });
        if (!before) throw new AppError(ErrorCode.BotNotFound, `No bot ${botId}`);
        const owner = body.ownerUsername ? await ownerId(tx, body.ownerUsername) : undefined;
        // Two users' rows, the bot's (its display name) and the new owner's (the foreign key's check
        // of ownerId locks it shared): locked first, in id order (users/user-locks.ts).
        if (owner !== undefined)
          await lockUsers(tx, [botId, owner], body.displayName !== undefined ? 'update' : 'share');
        if (body.displayName !== undefined) {
          await tx.user.update({ where: { id: botId }, data: { displayName: body.displayName } });
        }
        await tx.bot.update({
          where: { userId: botId },
          data: { description: body.description, avatarUrl: body.avatarUrl, ownerId: owner },
        });
        await recordAudit(tx, {
          actorId,
          action: 'site.bot.update',
          targetUserId: botId,
          before: {
            displayName: before.user.displayName,
            description: before.description,
            avatarUrl: before.avatarUrl,
            ownerId: before.ownerId,
          },
          after: body,
        });
        return body.displayName !== undefined && body.displayName !== before.user.displayName;
      });
      const bot = await find(botId);
      if (renamed) await onRenamed?.(bot.id);
      return bot;
    },

    /** Every bot, oldest first (a site has few). */
    async list(): Promise<Bot[]> {
      const rows = await prisma.bot.findMany({ include: botInclude, orderBy: { userId: 'asc' } });
      return rows.map(toBot);
    },
  };
}
