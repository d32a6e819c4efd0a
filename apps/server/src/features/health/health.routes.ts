import type { FastifyPluginAsync } from 'fastify';

type Check = 'up' | 'down' | 'not_configured';

async function check(probe: () => Promise<unknown>): Promise<Check> {
  try {
    await probe();
    return 'up';
  } catch {
    return 'down';
  }
}

const healthRoutes: FastifyPluginAsync = async (fastify) => {
  /** The process is up and serving. */
  fastify.get('/healthz', async () => ({ status: 'ok' }));

  /** Dependencies reachable: the database always, Redis when configured. */
  fastify.get('/readyz', async (_request, reply) => {
    const redis = fastify.redis;
    const [database, redisState] = await Promise.all([
      check(() => fastify.prisma.$queryRaw`SELECT 1`),
      redis ? check(() => redis.ping()) : Promise.resolve<Check>('not_configured'),
    ]);
    const ready = database === 'up' && redisState !== 'down';
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'unavailable', checks: { database, redis: redisState } });
  });
};

export default healthRoutes;
