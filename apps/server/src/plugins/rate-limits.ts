import { ErrorCode } from '@parley/shared';
import fp from 'fastify-plugin';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { AppError, withoutStack } from '../lib/app-error.js';

/** A named budget: `points` actions per `durationSeconds` for one key. */
export interface Budget {
  points: number;
  durationSeconds: number;
}

export interface Limiter {
  /** Spends one point of `key`'s budget, or throws a request/rate_limited AppError. */
  consume(key: string): Promise<void>;
  /** Gives a key its whole budget back (e.g. a client after a successful login). */
  reset(key: string): Promise<void>;
  /** Gives back one point spent on an attempt that turned out to be allowed (e.g. a successful login). */
  refund(key: string): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    createLimiter(name: string, budget: Budget): Limiter;
  }
}

export class RateLimitedError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      ErrorCode.RateLimited,
      `Too many attempts; try again in ${retryAfterSeconds} s`,
      undefined,
      retryAfterSeconds * 1000,
    );
  }
}

/**
 * Limits are shared by every process through Redis when it is configured. When Redis fails,
 * the in-memory limiter takes over for that process rather than letting everything through.
 */
export default fp<{ redisKeyPrefix: string }>(
  async (fastify, options) => {
    fastify.decorate('createLimiter', (name: string, budget: Budget): Limiter => {
      const base = {
        points: budget.points,
        duration: budget.durationSeconds,
        keyPrefix: `${options.redisKeyPrefix}rl:${name}`,
      };
      const memory = new RateLimiterMemory(base);
      const limiter: RateLimiterAbstract = fastify.redis
        ? new RateLimiterRedis({
            ...base,
            storeClient: fastify.redis,
            insuranceLimiter: memory,
            useRedisPackage: false,
          })
        : memory;
      return {
        async consume(key) {
          try {
            await limiter.consume(key);
          } catch (rejection) {
            if (rejection instanceof RateLimiterRes) {
              throw withoutStack(
                () => new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))),
              );
            }
            throw rejection;
          }
        },
        async reset(key) {
          await limiter.delete(key);
        },
        async refund(key) {
          await limiter.reward(key, 1);
        },
      };
    });
  },
  { name: 'rate-limits', dependencies: ['redis'] },
);
