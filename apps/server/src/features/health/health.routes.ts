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

/**
 * A load balancer or orchestrator asks these every few seconds, per process: their requests are not
 * logged at info (two lines per probe drowned everything else); a /readyz that says unavailable is
 * logged as a warning with its checks.
 */
const PROBE_ROUTE = { logLevel: 'warn' } as const;

const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (fastify, { audioStatus }) => {
  /** The process is up and serving. */
  fastify.get('/healthz', PROBE_ROUTE, async () => ({ status: 'ok' }));

  /**
   * Dependencies reachable: the database always, Redis when configured. ffmpeg and ffprobe are
   * reported too, with the features missing without them (`degraded`), but never make the process
   * unready: everything but voice messages works without them.
   */
  fastify.get('/readyz', PROBE_ROUTE, async (request, reply) => {
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
    const checks = {
      database,
      redis: redisState,
      ffmpeg: audio.ffmpeg.available ? 'up' : 'down',
      ffprobe: audio.ffprobe.available ? 'up' : 'down',
    };
    if (!ready) request.log.warn({ checks }, 'not ready: a dependency is down');
    return reply.status(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'unavailable',
      checks,
      ...(degraded.length > 0 ? { degraded } : {}),
    });
  });
};

export default healthRoutes;
