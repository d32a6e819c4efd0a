/**
 * History paging: Parley's seq cursor against OFFSET paging, the peer many chat servers use,
 * measured in the same run on the same data. See docs/benchmarks.md.
 */
import mariadb from 'mariadb';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { createMessagesRepository } from '../src/features/messages/messages.repository.js';
import { messageInclude } from '../src/features/messages/message-dto.js';
import { createPrismaClient } from '../src/plugins/prisma.js';
import { parseDatabaseUrl } from '../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const PAGE = 50;
/** Long enough that whichever contender runs first does not pay the others' warm-up. */
const OPTIONS = { warmupTime: 1_000, time: 2_000 };

let database: TestDatabase;
let prisma: ReturnType<typeof createPrismaClient>;
let repository: ReturnType<typeof createMessagesRepository>;

async function seed(url: string): Promise<void> {
  const connection = await mariadb.createConnection({ ...parseDatabaseUrl(url), multipleStatements: true });
  try {
    await connection.query(`
      INSERT INTO users (id, username, displayName, passwordHash) VALUES (1, 'bench', 'Bench', 'x');
      INSERT INTO conversations (id, kind, name, createdById, lastSeq, lastChangeSeq)
        VALUES (1, 'group', 'Bench', 1, ${MESSAGES}, ${MESSAGES});
      INSERT INTO memberships (conversationId, userId, role) VALUES (1, 1, 'owner');
      INSERT INTO messages (conversationId, seq, senderId, clientMsgId, text, changeSeq)
        SELECT 1, n, 1, UUID(), CONCAT('Message number ', n), n FROM (
          SELECT a.d + b.d * 10 + c.d * 100 + d.d * 1000 + e.d * 10000 + f.d * 100000 + 1 AS n
          FROM (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a,
               (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,
               (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c,
               (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) d,
               (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e,
               (SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) f
        ) numbers WHERE n <= ${MESSAGES};
      ANALYZE TABLE messages;`);
  } finally {
    await connection.end();
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  await seed(database.url);
  prisma = createPrismaClient(database.url);
  repository = createMessagesRepository(prisma);
  // Warm both query shapes (Prisma compiles each once) so the first measured run is not penalised.
  await repository.page(1, { limit: PAGE });
  await repository.page(1, { before: 10, limit: PAGE });
  await prisma.message.findMany({ where: { conversationId: 1 }, orderBy: { seq: 'desc' }, skip: 1, take: 1 });
}, 300_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});

/** The same page two ways: Parley's `before` cursor, and skip/take (OFFSET) as the peer. */
function pageDeep(depth: number) {
  describe(`a page ${depth.toLocaleString('en')} messages back in ${MESSAGES.toLocaleString('en')}`, () => {
    // Depth 0 is the page a conversation opens on: Parley asks for the newest page, no cursor.
    const query = depth === 0 ? { limit: PAGE } : { before: MESSAGES - depth + 1, limit: PAGE };
    bench(
      'seq cursor (Parley)',
      async () => {
        await repository.page(1, query);
      },
      OPTIONS,
    );
    bench(
      'OFFSET (peer)',
      async () => {
        await prisma.message.findMany({
          where: { conversationId: 1 },
          include: messageInclude,
          orderBy: { seq: 'desc' },
          skip: depth,
          take: PAGE + 1,
        });
      },
      OPTIONS,
    );
  });
}

pageDeep(0);
pageDeep(Math.floor(MESSAGES / 2));
pageDeep(MESSAGES - PAGE);
