import { BotMetric, type BotCounts } from '@parley/shared';

/** The series the usage view shows of bots and companions, in this order (docs/bots.md, Counts). */
export const ACTIVITY_SERIES = ['received', 'replies', 'checkIns', 'failures'] as const;
export type ActivitySeries = (typeof ACTIVITY_SERIES)[number];

/** One UTC day of bot and companion activity, as the usage view charts and tables it. */
export type ActivityDay = { day: string } & Record<ActivitySeries, number>;

/**
 * Per day, the counts the console shows of `counts` (`bot_daily_counts`, of one bot or all):
 * messages received, replies sent, check-ins sent, and failures, which are webhook deliveries given
 * up on and model calls that failed together (each is a time the bot let someone down). Webhook
 * deliveries accepted are not shown: they repeat the messages a webhook bot received.
 */
export function activityDays(counts: BotCounts): ActivityDay[] {
  return counts.days.map(({ day, counts: c }) => ({
    day,
    received: c[BotMetric.MessagesReceived] ?? 0,
    replies: c[BotMetric.RepliesSent] ?? 0,
    checkIns: c[BotMetric.CheckInsSent] ?? 0,
    failures: (c[BotMetric.WebhookFailures] ?? 0) + (c[BotMetric.ModelFailures] ?? 0),
  }));
}

/** Each series' total over `days`. */
export function activityTotals(days: readonly ActivityDay[]): Record<ActivitySeries, number> {
  const totals = { received: 0, replies: 0, checkIns: 0, failures: 0 };
  for (const day of days) for (const series of ACTIVITY_SERIES) totals[series] += day[series];
  return totals;
}
