import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import authRoutes from './features/auth/auth.routes.js';
import { createAuthService } from './features/auth/auth.service.js';
import { argon2Hasher, type PasswordHasher } from './features/auth/passwords.js';
import { createConversationsRepository } from './features/conversations/conversations.repository.js';
import conversationsRoutes from './features/conversations/conversations.routes.js';
import { createConversationsService } from './features/conversations/conversations.service.js';
import conversationsSocket from './features/conversations/conversations.socket.js';
import healthRoutes from './features/health/health.routes.js';
import { createMessagesRepository } from './features/messages/messages.repository.js';
import messagesRoutes from './features/messages/messages.routes.js';
import { createMessagesService } from './features/messages/messages.service.js';
import messagesSocket from './features/messages/messages.socket.js';
import { createPresenceService } from './features/presence/presence.service.js';
import presenceSocket from './features/presence/presence.socket.js';
import { RedisPresenceStore } from './features/presence/presence.store.js';
import usersRoutes from './features/users/users.routes.js';
import { createSendQueue } from './lib/send-queue.js';
import { socketBudgets } from './lib/socket-budgets.js';
import type { SocketHandlerOptions } from './lib/socket-handler.js';
import errors from './plugins/errors.js';
import prisma from './plugins/prisma.js';
import rateLimits from './plugins/rate-limits.js';
import redis from './plugins/redis.js';
import session from './plugins/session.js';
import socketIo from './plugins/socket-io.js';
import webApp from './plugins/web-app.js';

export interface AppOptions {
  config: Config;
  /** Tests swap in a cheaper hasher; production uses argon2id. */
  hasher?: PasswordHasher;
  clock?: () => Date;
}

const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

/** The composition root: infrastructure first, then each feature given what it needs. */
const app: FastifyPluginAsync<AppOptions> = async (fastify, { config, hasher = argon2Hasher, clock }) => {
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);

  await fastify.register(errors);
  await fastify.register(prisma, { databaseUrl: config.databaseUrl, pool: config.database });
  await fastify.register(redis, { redis: config.redis });
  await fastify.register(rateLimits, { redisKeyPrefix: config.redis?.keyPrefix ?? 'parley:' });
  await fastify.register(session, {
    secret: config.sessionSecret,
    ttlMs: config.sessionTtlMs,
    redisKeyPrefix: config.redis?.keyPrefix ?? 'parley:',
  });
  await fastify.register(socketIo, { allowedOrigins: config.allowedOrigins, redis: config.redis });

  const conversationsRepository = createConversationsRepository(fastify.prisma);
  const conversations = createConversationsService({ repository: conversationsRepository });
  const messages = createMessagesService({
    repository: createMessagesRepository(fastify.prisma, clock),
    conversations,
  });
  const auth = createAuthService({ prisma: fastify.prisma, hasher });
  const presence = createPresenceService({
    io: fastify.io,
    prisma: fastify.prisma,
    conversations: conversationsRepository,
    shared: fastify.redis
      ? new RedisPresenceStore(fastify.redis, config.redis?.keyPrefix ?? 'parley:', 60_000)
      : null,
    log: fastify.log,
    batchMs: config.presenceBatchMs,
    leaseRefreshMs: 20_000,
  });

  const handlerOptions: SocketHandlerOptions = {
    log: fastify.log,
    beforeEach: socketBudgets(fastify.createLimiter, config.socketRateLimit),
  };

  await fastify.register(healthRoutes);
  await fastify.register(authRoutes, { auth, rateLimit: config.authRateLimit });
  await fastify.register(usersRoutes, { prisma: fastify.prisma });
  await fastify.register(conversationsRoutes, { conversations, presence });
  await fastify.register(conversationsSocket, {
    conversations,
    repository: conversationsRepository,
    handlerOptions,
  });
  await fastify.register(messagesRoutes, { messages });
  await fastify.register(messagesSocket, {
    messages,
    handlerOptions,
    sendQueue: createSendQueue(config.sendQueue),
  });
  await fastify.register(presenceSocket, { presence, conversations, handlerOptions });
  await fastify.register(webApp, { root: config.webDistDir ?? DEFAULT_WEB_DIST });
};

export default app;

/** A Fastify instance with Parley registered, not yet listening. */
export async function buildServer(options: AppOptions): Promise<FastifyInstance> {
  const fastify = Fastify({
    logger: { level: options.config.logLevel },
    trustProxy: options.config.trustProxy,
    // Fastify ends idle keep-alive connections on close; sockets are ended by the socket-io plugin.
    forceCloseConnections: 'idle',
  });
  await fastify.register(app, options);
  return fastify;
}
