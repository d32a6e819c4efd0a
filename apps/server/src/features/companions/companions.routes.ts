import {
  BOT_COUNT_DAYS,
  checkInPreferenceSchema,
  companionListSchema,
  companionSchema,
  companionSettingsSchema,
  conversationCompanionSchema,
  ErrorCode,
  idParamSchema,
  messageSchema,
  timeZoneBodySchema,
  type Companion,
} from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { adminGuard } from '../admin/require-admin.js';
import { requireSignedIn, requireUserId } from '../auth/require-user.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { CompanionRow, CompanionsRepository } from './companions.repository.js';
import type { CompanionsService } from './companions.service.js';
import { isTimeZone } from './quiet-hours.js';

export interface CompanionsRoutesOptions {
  prisma: PrismaClient;
  companions: CompanionsService;
  repository: CompanionsRepository;
  conversations: Pick<ConversationsService, 'assertMember'>;
  /** Whether LLM_BASE_URL is set. */
  modelConfigured: boolean;
}

const companionsRoutes: FastifyPluginAsync<CompanionsRoutesOptions> = async (
  fastify,
  { prisma, companions, repository, conversations, modelConfigured },
) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // Every route here needs a signed-in caller: 401 before validation (features/auth/require-user.ts).
  app.addHook('onRequest', requireSignedIn);
  const availability = {
    available: modelConfigured,
    unavailableReason: modelConfigured ? null : ErrorCode.CompanionUnavailable,
  };
  /** Each companion's counts over the last BOT_COUNT_DAYS UTC days, by metric. */
  async function recentCounts(botIds: number[]): Promise<Map<number, Record<string, number>>> {
    const since = new Date(Date.now() - BOT_COUNT_DAYS * 86_400_000);
    const rows = await prisma.botDailyCount.groupBy({
      by: ['botId', 'metric'],
      where: { botId: { in: botIds }, day: { gte: since } },
      _sum: { count: true },
    });
    const byBot = new Map<number, Record<string, number>>();
    for (const row of rows) {
      const counts = byBot.get(row.botId) ?? {};
      counts[row.metric] = row._sum.count ?? 0;
      byBot.set(row.botId, counts);
    }
    return byBot;
  }
  const toCompanion = (
    row: CompanionRow,
    user: { username: string; displayName: string },
    counts: Record<string, number> = {},
  ): Companion => ({
    userId: row.userId,
    username: user.username,
    displayName: user.displayName,
    persona: row.persona,
    greeting: row.greeting,
    model: row.model,
    temperature: row.temperature,
    maxReplyTokens: row.maxReplyTokens,
    checkInMinutes: row.checkInMinutes,
    checkInSkipWhileActive: row.checkInSkipWhileActive,
    quietHours:
      row.quietHoursStart !== null && row.quietHoursEnd !== null
        ? { start: row.quietHoursStart, end: row.quietHoursEnd }
        : null,
    ...availability,
    recentCounts: counts,
  });
  const userParams = z.strictObject({ userId: idParamSchema });

  await app.register(async (admin) => {
    const adminApp = admin.withTypeProvider<ZodTypeProvider>();
    adminApp.addHook('onRequest', adminGuard(prisma));

    adminApp.get(
      '/api/admin/companions',
      { schema: { response: { 200: companionListSchema } } },
      async () => {
        const rows = await prisma.companion.findMany({
          include: { user: { select: { username: true, displayName: true } } },
          orderBy: { userId: 'asc' },
        });
        const counts = await recentCounts(rows.map((row) => row.userId));
        return { companions: rows.map((row) => toCompanion(row, row.user, counts.get(row.userId))) };
      },
    );

    /** Makes a bot a companion, or changes its settings. Unknown user: `companion/not_found`. */
    adminApp.put(
      '/api/admin/companions/:userId',
      { schema: { params: userParams, body: companionSettingsSchema, response: { 200: companionSchema } } },
      async (request) => {
        const { userId } = request.params;
        const user = await prisma.user.findFirst({
          where: { id: userId, kind: 'bot', deactivatedAt: null },
          select: { username: true, displayName: true },
        });
        if (!user) throw new AppError(ErrorCode.CompanionNotFound, 'No such bot');
        const { quietHours, ...settings } = request.body;
        const fields = {
          ...settings,
          quietHoursStart: quietHours?.start ?? null,
          quietHoursEnd: quietHours?.end ?? null,
        };
        const row = await prisma.companion.upsert({
          where: { userId },
          create: { userId, ...fields },
          update: fields,
        });
        companions.companionsChanged();
        return toCompanion(row, user, (await recentCounts([userId])).get(userId));
      },
    );

    adminApp.delete(
      '/api/admin/companions/:userId',
      { schema: { params: userParams } },
      async (request, reply) => {
        const { count } = await prisma.companion.deleteMany({ where: { userId: request.params.userId } });
        if (count === 0) throw new AppError(ErrorCode.CompanionNotFound, 'No such companion');
        return reply.code(204).send();
      },
    );
  });

  app.get(
    '/api/conversations/:id/companion',
    {
      schema: {
        params: z.strictObject({ id: idParamSchema }),
        response: { 200: conversationCompanionSchema },
      },
    },
    async (request) => {
      const userId = requireUserId(request);
      await conversations.assertMember(request.params.id, userId);
      const found = await repository.inConversation(request.params.id);
      const companion = found?.kind === 'direct' ? found.companions[0] : undefined;
      if (!companion) return { companion: null };
      if (modelConfigured) await companions.greet(request.params.id);
      return {
        companion: {
          userId: companion.userId,
          displayName: companion.displayName,
          checkInsEnabled: await repository.checkInsEnabled(companion.userId, userId),
          ...availability,
        },
      };
    },
  );

  app.put(
    '/api/companions/:userId/check-ins',
    {
      schema: {
        params: userParams,
        body: checkInPreferenceSchema,
        response: { 200: checkInPreferenceSchema },
      },
    },
    async (request) => {
      const userId = requireUserId(request);
      const companion = await repository.find(request.params.userId);
      if (!companion) throw new AppError(ErrorCode.CompanionNotFound, 'No such companion');
      await repository.setCheckInsEnabled(companion.userId, userId, request.body.enabled);
      return { enabled: request.body.enabled };
    },
  );

  app.post(
    '/api/conversations/:id/messages/:messageId/retry',
    {
      schema: {
        params: z.strictObject({ id: idParamSchema, messageId: idParamSchema }),
        response: { 200: messageSchema },
      },
    },
    async (request) => {
      const userId = requireUserId(request);
      await conversations.assertMember(request.params.id, userId);
      return companions.retry(userId, request.params.id, request.params.messageId);
    },
  );

  app.put('/api/me/time-zone', { schema: { body: timeZoneBodySchema } }, async (request, reply) => {
    const userId = requireUserId(request);
    const { timeZone } = request.body;
    if (!isTimeZone(timeZone)) {
      throw new AppError(ErrorCode.Invalid, `Unknown time zone "${timeZone}"`, [
        { path: 'timeZone', message: 'is not an IANA time zone' },
      ]);
    }
    await prisma.user.update({ where: { id: userId }, data: { timeZone } });
    return reply.code(204).send();
  });
};

export default companionsRoutes;
