import { USAGE_DAYS, type Usage } from '@parley/shared';
import type { PrismaClient } from '../../generated/prisma/client.js';

export type UsageQuery = ReturnType<typeof createUsageQuery>;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The statements behind the usage numbers, exported so a test can EXPLAIN them. Both range-scan
 * `messages_createdAt_senderId_conversationId_idx` over the last USAGE_DAYS days and read nothing
 * else ("Using index"): the cost grows with a month's messages, never with the whole table.
 */
export const USAGE_SQL = {
  perDay: `SELECT DATE_FORMAT(createdAt, '%Y-%m-%d') AS day, COUNT(*) AS messages, COUNT(DISTINCT senderId) AS activeUsers
             FROM messages WHERE createdAt >= ? GROUP BY day`,
  busiest: `SELECT conversationId, COUNT(*) AS messages
              FROM messages WHERE createdAt >= ? GROUP BY conversationId ORDER BY messages DESC LIMIT 40`,
} as const;

/** The first day (UTC midnight) of the USAGE_DAYS-day window that ends today. */
export function usageWindowStart(now: Date): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - (USAGE_DAYS - 1) * DAY_MS);
}

/**
 * Usage numbers for the site console. Messages per day and active users per day (people who sent a
 * message) come from one index-only range scan; the message total is the sum of the groups' and
 * direct conversations' last seq (so it counts deleted ones too); storage is what the database reports
 * for the schema's tables (information_schema, approximate for InnoDB).
 */
export function createUsageQuery(prisma: PrismaClient, clock: () => Date = () => new Date()) {
  return {
    async read(): Promise<Usage> {
      const start = usageWindowStart(clock());
      const [perDay, busiest, users, groups, messages, storage] = await Promise.all([
        prisma.$queryRawUnsafe<Array<{ day: string; messages: bigint; activeUsers: bigint }>>(
          USAGE_SQL.perDay,
          start,
        ),
        prisma.$queryRawUnsafe<Array<{ conversationId: number; messages: bigint }>>(USAGE_SQL.busiest, start),
        prisma.user.count(),
        prisma.conversation.count({ where: { kind: 'group' } }),
        prisma.conversation.aggregate({ _sum: { lastSeq: true } }),
        prisma.$queryRaw<Array<{ bytes: bigint | number | null }>>`
          SELECT SUM(DATA_LENGTH + INDEX_LENGTH) AS bytes FROM information_schema.TABLES
           WHERE TABLE_SCHEMA = DATABASE()`,
      ]);
      const byDay = new Map(perDay.map((row) => [row.day, row]));
      const days = Array.from({ length: USAGE_DAYS }, (_, index) => {
        const day = new Date(start.getTime() + index * DAY_MS).toISOString().slice(0, 10);
        const row = byDay.get(day);
        return { day, messages: Number(row?.messages ?? 0), activeUsers: Number(row?.activeUsers ?? 0) };
      });
      // Direct conversations count in the scan; only groups are shown (the 40 busiest leave room for them).
      const named = await prisma.conversation.findMany({
        where: { id: { in: busiest.map((row) => row.conversationId) }, kind: 'group' },
        select: { id: true, name: true },
      });
      const names = new Map(named.map((group) => [group.id, group.name]));
      const busiestGroups = busiest
        .filter((row) => names.has(row.conversationId))
        .slice(0, 10)
        .map((row) => ({
          id: row.conversationId,
          name: names.get(row.conversationId)!,
          messages: Number(row.messages),
        }));
      return {
        days,
        totals: {
          users,
          groups,
          messages: messages._sum.lastSeq ?? 0,
          storageBytes: Number(storage[0]?.bytes ?? 0),
        },
        busiestGroups,
      };
    },
  };
}
