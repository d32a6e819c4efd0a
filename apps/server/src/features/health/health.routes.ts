import type { AudioStatus } from '@parley/shared';
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

export interface HealthRoutesOptions {
  /** ffmpeg and ffprobe (features/uploads/audio.ts): optional, reported but never "unavailable". */
  audioStatus: () => Promise<AudioStatus>;
}

const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (fastify, { audioStatus }) => {
  /** The process is up and serving. */
  fastify.get('/healthz', async () => ({ status: 'ok' }));

  /**
   * Dependencies reachable: the database always, Redis when configured. ffmpeg and ffprobe are
   * reported too, with the features missing without them (`degraded`), but never make the process
   * unready: everything but voice messages works without them.
   */
  fastify.get('/readyz', async (_request, reply) => {
    const redis = fastify.redis;
    const [database, redisState, audio] = await Promise.all([
      check(() => fastify.prisma.$queryRaw`SELECT 1`),
      redis ? check(() => redis.ping()) : Promise.resolve<Check>('not_configured'),
      audioStatus(),
    ]);
    const ready = database === 'up' && redisState !== 'down';
    const degraded = audio.voiceUploads
      ? []
      : [
          'voice uploads',
          ...audio.renditions.map((rendition) => `${rendition.to} rendition of ${rendition.from}`),
        ];
    return reply.status(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'unavailable',
      checks: {
        database,
        redis: redisState,
        ffmpeg: audio.ffmpeg.available ? 'up' : 'down',
        ffprobe: audio.ffprobe.available ? 'up' : 'down',
      },
      ...(degraded.length > 0 ? { degraded } : {}),
    });
  });
};

export default healthRoutes;
