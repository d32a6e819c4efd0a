import { BOT_COUNT_DAYS, type BotCounts } from '@parley/shared';
import type { PrismaClient } from '../../generated/prisma/client.js';

const DAY_MS = 86_400_000;

/** YYYY-MM-DD of a time, in UTC. */
function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export type BotCountsStore = ReturnType<typeof createBotCounts>;

/**
 * Per bot, UTC day and metric counts in `bot_daily_counts` (BotMetric in packages/shared names
 * them; any feature may add a metric name). One upsert per increment, no read first.
 */
export function createBotCounts(prisma: PrismaClient, clock: () => Date = () => new Date()) {
  return {
    /** Adds `by` to today's (UTC) count of `metric` for `botId`. */
    async increment(botId: number, metric: string, by = 1): Promise<void> {
      const day = utcDay(clock());
      await prisma.$executeRaw`
        INSERT INTO bot_daily_counts (botId, day, metric, count) VALUES (${botId}, ${day}, ${metric}, ${by})
        ON DUPLICATE KEY UPDATE count = count + VALUES(count)`;
    },

    /**
     * The last BOT_COUNT_DAYS UTC days, oldest first, with every metric seen in them on every day:
     * of one bot, or with `botId` null of every bot and companion together (the usage view's).
     */
    async read(botId: number | null): Promise<BotCounts> {
      const today = Date.parse(`${utcDay(clock())}T00:00:00Z`);
      const days = Array.from({ length: BOT_COUNT_DAYS }, (_, i) =>
        utcDay(new Date(today - (BOT_COUNT_DAYS - 1 - i) * DAY_MS)),
      );
      const since = new Date(`${days[0]}T00:00:00Z`);
      const rows =
        botId === null
          ? (
              await prisma.botDailyCount.groupBy({
                by: ['day', 'metric'],
                where: { day: { gte: since } },
                _sum: { count: true },
              })
            ).map((row) => ({ day: row.day, metric: row.metric, count: row._sum.count ?? 0 }))
          : await prisma.botDailyCount.findMany({ where: { botId, day: { gte: since } } });
      const metrics = [...new Set(rows.map((row) => row.metric))].sort();
      const byDay = new Map(days.map((day) => [day, Object.fromEntries(metrics.map((m) => [m, 0]))]));
      for (const row of rows) {
        const counts = byDay.get(utcDay(row.day));
        if (counts) counts[row.metric] = row.count;
      }
      return { days: days.map((day) => ({ day, counts: byDay.get(day)! })) };
    },
  };
}
