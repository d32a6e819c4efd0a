import { createHash, randomBytes } from 'node:crypto';
import { BOT_TOKEN_PREFIX, ErrorCode, type BotToken, type CreatedBotToken } from '@parley/shared';
import type { BotToken as BotTokenRow, PrismaClient } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { padIdList } from '../../lib/id-list.js';
import type { BearerIdentity } from '../../plugins/bearer-auth.js';
import { recordAudit } from '../audit/audit.service.js';
import type { SessionSockets } from '../auth/session-sockets.js';

/**
 * Bot API tokens: `pbt_` + 32 random bytes in base64url (256 bits). Only the SHA-256 of a token is
 * stored, and a presented token is found by that hash.
 *
 * Why SHA-256 and not argon2 or bcrypt: those are slow on purpose so that a stolen hash of a
 * *password* (little entropy, guessable) costs too much to brute-force (OWASP Password Storage Cheat
 * Sheet). A token made of 256 random bits cannot be guessed whatever the hash costs, so a fast hash
 * protects it as well, and it lets the server find the token by an indexed equality lookup on every
 * request and handshake (a salted slow hash cannot be looked up, and would cost ~50 ms of CPU per
 * bot request). GitHub, GitLab and Stripe store API tokens the same way.
 */
export const TOKEN_SESSION_PREFIX = 'bot-token:';

const TOKEN_PATTERN = new RegExp(`^${BOT_TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);
/** Characters of the token shown in the console: the prefix and 8 more (48 bits, enough to tell apart). */
const SHOWN_LENGTH = BOT_TOKEN_PREFIX.length + 8;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function toBotToken(row: BotTokenRow): BotToken {
  return {
    id: row.id,
    prefix: row.prefix,
    label: row.label,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export interface BotTokensDeps {
  prisma: PrismaClient;
  /** Ends the sockets of a revoked token at once, on every process. */
  sockets?: Pick<SessionSockets, 'endSession'>;
  clock?: () => Date;
}

export type BotTokens = ReturnType<typeof createBotTokens>;

export function createBotTokens({ prisma, sockets, clock = () => new Date() }: BotTokensDeps) {
  /** Last-used times are written at most once a minute per token, not on every request. */
  const LAST_USED_GRANULARITY_MS = 60_000;

  async function requireBot(botId: number): Promise<void> {
    const bot = await prisma.bot.findUnique({ where: { userId: botId }, select: { userId: true } });
    if (!bot) throw new AppError(ErrorCode.BotNotFound, `No bot ${botId}`);
  }

  return {
    /** Makes a token for a bot; the answer carries the token itself, which is never shown again. */
    async create(actorId: number, botId: number, label: string): Promise<CreatedBotToken> {
      await requireBot(botId);
      const secret = BOT_TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.botToken.create({
          data: {
            botId,
            prefix: secret.slice(0, SHOWN_LENGTH),
            tokenHash: hashToken(secret),
            label,
            createdById: actorId,
          },
        });
        await recordAudit(tx, {
          actorId,
          action: 'site.bot.token.create',
          targetUserId: botId,
          after: { tokenId: created.id, prefix: created.prefix, label },
        });
        return created;
      });
      return { token: toBotToken(row), secret };
    },

    /** A bot's tokens, newest first, revoked ones included. */
    async list(botId: number): Promise<BotToken[]> {
      await requireBot(botId);
      const rows = await prisma.botToken.findMany({ where: { botId }, orderBy: { id: 'desc' } });
      return rows.map(toBotToken);
    },

    /**
     * Revokes a token: refused from now on (`auth/token_revoked`), and sockets connected with it
     * receive `session:ended` and are disconnected. Revoking twice is harmless.
     */
    async revoke(actorId: number, botId: number, tokenId: number): Promise<BotToken> {
      const row = await prisma.$transaction(async (tx) => {
        const found = await tx.botToken.findFirst({ where: { id: tokenId, botId } });
        if (!found) throw new AppError(ErrorCode.BotNotFound, `No token ${tokenId} for bot ${botId}`);
        if (found.revokedAt) return found;
        const revoked = await tx.botToken.update({ where: { id: tokenId }, data: { revokedAt: clock() } });
        await recordAudit(tx, {
          actorId,
          action: 'site.bot.token.revoke',
          targetUserId: botId,
          before: { tokenId, prefix: found.prefix },
        });
        return revoked;
      });
      sockets?.endSession(TOKEN_SESSION_PREFIX + tokenId, ErrorCode.TokenRevoked);
      return toBotToken(row);
    },

    /**
     * The bot a presented token belongs to. Throws `auth/invalid_token` (malformed or unknown),
     * `auth/token_revoked`, or `auth/deactivated` (the bot was deactivated).
     */
    async authenticate(token: string): Promise<BearerIdentity> {
      if (!TOKEN_PATTERN.test(token)) throw new AppError(ErrorCode.InvalidToken, 'Not a valid bot token');
      const row = await prisma.botToken.findUnique({
        where: { tokenHash: hashToken(token) },
        include: { bot: { select: { user: { select: { deactivatedAt: true } } } } },
      });
      if (!row) throw new AppError(ErrorCode.InvalidToken, 'Not a valid bot token');
      if (row.revokedAt) throw new AppError(ErrorCode.TokenRevoked, 'This bot token has been revoked');
      if (row.bot.user.deactivatedAt) {
        throw new AppError(ErrorCode.AccountDeactivated, 'This bot has been deactivated');
      }
      const now = clock();
      if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
        await prisma.botToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
      }
      return { userId: row.botId, tokenId: row.id, sessionId: TOKEN_SESSION_PREFIX + row.id };
    },

    /**
     * For session-sockets.ts: whether the tokens behind bot sockets' session ids still hold, in one
     * query. A token that holds maps to its bot (tokens do not expire, so it is good until the next
     * check), a revoked one to `auth/token_revoked`; an unknown one is absent.
     */
    async currentMany(
      sessionIds: readonly string[],
    ): Promise<Map<string, { userId: number; expiresAt: number } | typeof ErrorCode.TokenRevoked>> {
      const states = new Map<string, { userId: number; expiresAt: number } | typeof ErrorCode.TokenRevoked>();
      const tokenIds = sessionIds
        .map((sessionId) => Number(sessionId.slice(TOKEN_SESSION_PREFIX.length)))
        .filter((tokenId) => Number.isSafeInteger(tokenId));
      if (tokenIds.length === 0) return states;
      const rows = await prisma.botToken.findMany({
        where: { id: { in: padIdList(tokenIds) } },
        select: { id: true, botId: true, revokedAt: true },
      });
      for (const row of rows) {
        states.set(
          TOKEN_SESSION_PREFIX + row.id,
          row.revokedAt ? ErrorCode.TokenRevoked : { userId: row.botId, expiresAt: Number.MAX_SAFE_INTEGER },
        );
      }
      return states;
    },

    isTokenSession: (sessionId: string) => sessionId.startsWith(TOKEN_SESSION_PREFIX),
  };
}
