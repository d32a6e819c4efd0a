// The all-bots daily counts (GET /api/admin/bots/counts) over a year of rows: the query Prisma really
// sends is caught from its query log and EXPLAINed; it must range over (day, metric), in that order.
import { BOT_COUNT_DAYS, BotMetric } from '@parley/shared';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import * as mariadb from 'mariadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../../src/db/migrate.js';
import { createBotCounts } from '../../../src/features/bots/bot-counts.js';
import { PrismaClient } from '../../../src/generated/prisma/client.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';

const NOW = new Date('2026-12-06T12:00:00Z');
const BOTS = 20;
const DAYS_KEPT = 365;
const METRICS = Object.values(BotMetric).slice(0, 4);
const DAY_MS = 86_400_000;

interface PlanRow {
  table: string;
  type: string;
  key: string | null;
  Extra: string;
}

describe('the all-bots daily counts query', () => {
  let database: TestDatabase;
  let raw: mariadb.Connection;
  let prisma: PrismaClient;
  const queries: Array<{ query: string; params: string }> = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    raw = await mariadb.createConnection(parseDatabaseUrl(database.url));
    // A year of counts for every bot and metric: the window is a twelfth of the table.
    const rows: Array<[number, string, string, number]> = [];
    for (let ago = 0; ago < DAYS_KEPT; ago += 1) {
      const day = new Date(NOW.getTime() - ago * DAY_MS).toISOString().slice(0, 10);
      for (let bot = 1; bot <= BOTS; bot += 1) {
        for (const metric of METRICS) rows.push([bot, day, metric, ago + 1]);
      }
    }
    await raw.batch('INSERT INTO bot_daily_counts (botId, day, metric, count) VALUES (?, ?, ?, ?)', rows);
    await raw.query('ANALYZE TABLE bot_daily_counts');
    const { host, port, user, password, database: name } = parseDatabaseUrl(database.url);
    const logging = new PrismaClient({
      adapter: new PrismaMariaDb({ host, port, user, password, database: name, connectionLimit: 1 }),
      log: [{ emit: 'event', level: 'query' }],
    });
    logging.$on('query', (event) => queries.push({ query: event.query, params: event.params }));
    prisma = logging;
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await raw?.end();
    await database?.drop();
  });

  it('sums every bot per day and metric, and reads only the window through the (day, metric) index (EXPLAIN)', async () => {
    queries.length = 0;
    const counts = await createBotCounts(prisma, () => NOW).read(null);

    expect(counts.days).toHaveLength(BOT_COUNT_DAYS);
    // `ago + 1` per bot: today 1 each, the window's first day BOT_COUNT_DAYS each.
    expect(counts.days.at(-1)!.counts).toEqual(Object.fromEntries(METRICS.map((m) => [m, BOTS])));
    expect(counts.days[0]!.counts).toEqual(
      Object.fromEntries(METRICS.map((m) => [m, BOTS * BOT_COUNT_DAYS])),
    );

    const sent = queries.filter((query) => query.query.includes('bot_daily_counts'));
    expect(sent).toHaveLength(1);
    // The log shows a Date as ISO 8601; the adapter sends it in UTC as MariaDB writes one.
    const params = (JSON.parse(sent[0]!.params) as unknown[]).map((param) =>
      typeof param === 'string'
        ? param.replace(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z$/, '$1 $2')
        : param,
    );
    expect(params).toEqual([`${counts.days[0]!.day} 00:00:00`]);
    const plan: PlanRow[] = await raw.query(`EXPLAIN ${sent[0]!.query}`, params);
    expect(plan).toHaveLength(1);
    expect({ key: plan[0]!.key, type: plan[0]!.type }).toEqual({
      key: 'bot_daily_counts_day_metric_idx',
      type: 'range',
    });
    // Grouped in the index's order: no temporary table, no sort.
    expect(plan[0]!.Extra).not.toMatch(/temporary|filesort/i);
  });
});
