import { fileURLToPath } from 'node:url';
import { UPLOAD_UNATTACHED_TTL_HOURS } from '@parley/shared';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import accountRoutes from './features/account/account.routes.js';
import { createAccountService } from './features/account/account.service.js';
import adminRoutes from './features/admin/admin.routes.js';
import { createAuditReader } from './features/admin/audit.query.js';
import { createAdminGroupsService } from './features/admin/groups.service.js';
import { createSiteService } from './features/admin/site.service.js';
import { createUsageQuery } from './features/admin/usage.query.js';
import { createAdminUsersService } from './features/admin/users.service.js';
import authRoutes from './features/auth/auth.routes.js';
import { createBotCounts } from './features/bots/bot-counts.js';
import { createBotTokens } from './features/bots/bot-tokens.js';
import { createBotWebhooksService } from './features/bots/bot-webhooks.service.js';
import { createOutboundPolicy } from './lib/outbound-http.js';
import { createBullDeliveryQueue, createDatabaseDeliveryQueue } from './features/bots/delivery-queue.js';
import { createWebhookDeliverer, type WebhookDeliverer } from './features/bots/webhook-deliverer.js';
import botsAdminRoutes from './features/bots/bots.admin.routes.js';
import { createBotsService } from './features/bots/bots.service.js';
import { createAuthService } from './features/auth/auth.service.js';
import authSocket from './features/auth/auth.socket.js';
import { createDeviceCookies } from './features/auth/device-cookies.js';
import { createSessionSockets } from './features/auth/session-sockets.js';
import { argon2Hasher, type PasswordHasher } from './features/auth/passwords.js';
import { createConversationsRepository } from './features/conversations/conversations.repository.js';
import conversationsRoutes from './features/conversations/conversations.routes.js';
import { createConversationsService } from './features/conversations/conversations.service.js';
import { createPositionBatcher } from './features/conversations/position-batcher.js';
import conversationsSocket from './features/conversations/conversations.socket.js';
import { createGroupNotifier } from './features/groups/groups.notifier.js';
import groupsRoutes from './features/groups/groups.routes.js';
import { createGroupsService } from './features/groups/groups.service.js';
import { createInvitesService } from './features/groups/invites.service.js';
import { createMembersQuery } from './features/groups/members.query.js';
import healthRoutes from './features/health/health.routes.js';
import { createMessagesRepository } from './features/messages/messages.repository.js';
import { createMessagePoster } from './features/messages/message-poster.js';
import messagesRoutes from './features/messages/messages.routes.js';
import { createMessagesService } from './features/messages/messages.service.js';
import { createSendBatcher } from './features/messages/send-batcher.js';
import messagesSocket from './features/messages/messages.socket.js';
import { createPresenceService } from './features/presence/presence.service.js';
import { startSearchIndexer, type SearchIndexer } from './features/search/search-indexer.js';
import searchRoutes from './features/search/search.routes.js';
import presenceSocket from './features/presence/presence.socket.js';
import { RedisPresenceStore } from './features/presence/presence.store.js';
import { toUserSummary, userSummarySelect } from './features/users/user-dto.js';
import { createUserNotifier } from './features/users/user-notifier.js';
import usersRoutes from './features/users/users.routes.js';
import { createJobRunner } from './features/companions/companions.jobs.js';
import { createCompanionsRepository } from './features/companions/companions.repository.js';
import companionsRoutes from './features/companions/companions.routes.js';
import { createCompanionsService, type CompanionsService } from './features/companions/companions.service.js';
import { createModelClient } from './features/companions/model-client.js';

import { createAudioTools } from './features/uploads/audio.js';
import { createLocalDiskStorage } from './features/uploads/blob-storage.js';
import { fileProcessor } from './features/uploads/file-processor.js';
import { createImageProcessor } from './features/uploads/image-processor.js';
import { createUploadGate } from './features/uploads/upload-gate.js';
import { startUploadSweeper } from './features/uploads/upload-sweeper.js';
import { createUploadsRepository } from './features/uploads/uploads.repository.js';
import uploadsRoutes from './features/uploads/uploads.routes.js';
import { createUploadsService, type UploadsService } from './features/uploads/uploads.service.js';
import { createVoiceProcessor } from './features/uploads/voice-processor.js';
import { padIdList } from './lib/id-list.js';
import { placeholders } from './lib/sql-lists.js';
import { createSendQueue } from './lib/send-queue.js';
import { createUserBudgets, socketBudgets } from './lib/socket-budgets.js';
import type { SocketHandlerOptions } from './lib/socket-handler.js';
import bearerAuth from './plugins/bearer-auth.js';
import errors, { clientErrorHandler, frameworkErrors } from './plugins/errors.js';
import prisma from './plugins/prisma.js';
import storePool, { READ_POOL_CONNECTIONS, SEARCH_QUERY_CONNECTIONS } from './plugins/store-pool.js';
import rateLimits from './plugins/rate-limits.js';
import redis from './plugins/redis.js';
import requestOrigin from './plugins/request-origin.js';
import securityHeaders from './plugins/security-headers.js';
import session from './plugins/session.js';
import socketIo from './plugins/socket-io.js';
import webApp from './plugins/web-app.js';

export interface AppOptions {
  config: Config;
  /** Tests swap in a cheaper hasher; production uses argon2id. */
  hasher?: PasswordHasher;
  clock?: () => Date;
  /**
   * How long a connected socket's session stays valid before it is read again (ms; each check puts
   * the next 0.75 to 1 times this later, features/auth/session-sockets.ts); tests shorten it.
   */
  sessionRecheckMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Account administration, as the site console (features/admin) and tests use it. */
    accounts: { deactivate(userId: number): Promise<void> };
    /** The unattached-upload sweep, as the periodic sweeper and tests run it. */
    uploads: Pick<UploadsService, 'sweep' | 'sweepOrphanBlobs' | 'sweepTemporaryFiles'>;
    /** The search indexer, whose catch-up tests run rather than wait for a round. */
    searchIndexer: Pick<SearchIndexer, 'catchUp'>;
  }
}

/** How often each process looks for uploads never attached within UPLOAD_UNATTACHED_TTL_HOURS. */
const UPLOAD_SWEEP_INTERVAL_MS = 10 * 60_000;
/** How often each process looks for blob and temporary files nothing refers to (and once at start). */
const UPLOAD_ORPHAN_SWEEP_INTERVAL_MS = 6 * 3_600_000;
/**
 * How old such a file must be before it is removed: far longer than any upload takes to receive,
 * process and store (HTTP_REQUEST_TIMEOUT_MS is at most 10 minutes).
 */
const UPLOAD_ORPHAN_GRACE_MS = 3_600_000;

/**
 * Message changes one round of the search indexer reads and writes at most: what it parses and
 * builds at once on the event loop (rounds follow each other while there is more).
 */
const SEARCH_INDEX_MAX_CHANGES = 500;
/** Searches waiting for a connection, all people together, and per person, before `server/busy`. */
const SEARCH_QUEUE_MAX = 200;
const SEARCH_QUEUE_PER_USER_MAX = 3;
/** Longest a search waits for its turn (ms) before it is refused `server/busy`. */
const SEARCH_QUEUE_MAX_WAIT_MS = 10_000;
/** Conversations one round of the search indexer reads at most. */
const SEARCH_INDEX_MAX_CONVERSATIONS = 500;

const DEFAULT_WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

/** The composition root: infrastructure first, then each feature given what it needs. */
const app: FastifyPluginAsync<AppOptions> = async (
  fastify,
  { config, hasher = argon2Hasher, clock, sessionRecheckMs = 60_000 },
) => {
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);
  // Bodies are JSON (uploads add multipart in their own scope): without Fastify's default text/plain
  // parser, a body of any other type is refused 415 before it is read (plugins/errors.ts).
  fastify.removeContentTypeParser('text/plain');

  await fastify.register(errors);
  await fastify.register(securityHeaders, { allowedOrigins: config.allowedOrigins });
  await fastify.register(requestOrigin, { allowedOrigins: config.allowedOrigins });
  await fastify.register(prisma, { databaseUrl: config.databaseUrl, pool: config.database });
  await fastify.register(storePool, {
    databaseUrl: config.databaseUrl,
    // One more for delivery and read reports (position-batcher.ts), so they never wait for sends.
    storeConnections: config.sendBatch.connections + 1,
    readConnections: READ_POOL_CONNECTIONS,
    pool: config.database,
  });
  await fastify.register(redis, { redis: config.redis });
  await fastify.register(rateLimits, { redisKeyPrefix: config.redis?.keyPrefix ?? 'parley:' });
  await fastify.register(session, {
    secret: config.sessionSecret,
    ttlMs: config.sessionTtlMs,
    redisKeyPrefix: config.redis?.keyPrefix ?? 'parley:',
  });
  // Bot tokens are read with the database only; revoking one ends its sockets (session-sockets.ts).
  const botTokens = createBotTokens({
    prisma: fastify.prisma,
    sockets: { endSession: (sessionId, code) => sessionSockets.endSession(sessionId, code) },
    clock,
  });
  await fastify.register(bearerAuth, { authenticate: botTokens.authenticate });
  await fastify.register(socketIo, {
    allowedOrigins: config.allowedOrigins,
    redis: config.redis,
    maxQueuedBytes: config.socketMaxQueuedBytes,
    authenticateBearer: botTokens.authenticate,
  });

  const conversationsRepository = createConversationsRepository(fastify.prisma, fastify.readPool);
  const positionBatcher = createPositionBatcher(fastify.storePool, {
    waitMs: config.sendBatch.waitMs,
    maxBatch: config.sendBatch.maxBatch,
    connections: 1,
    admissionTimeoutMs: config.database.poolTimeoutMs,
  });
  fastify.addHook('onClose', () => positionBatcher.drain());
  const conversations = createConversationsService({
    repository: conversationsRepository,
    positions: positionBatcher,
    maxGroupMembers: config.maxGroupMembers,
  });
  const messagesRepository = createMessagesRepository(fastify.prisma, clock);
  const sendBatcher = createSendBatcher(
    { pool: fastify.storePool, readMessages: messagesRepository.findMessagesByIds, clock },
    { ...config.sendBatch, admissionTimeoutMs: config.database.poolTimeoutMs },
  );
  // Before the store pool closes (onClose hooks run in reverse order): store what is waiting.
  fastify.addHook('onClose', () => sendBatcher.drain());
  // Bots hear of every message after it is stored (counts, webhooks); the deliverer needs the
  // message poster, made below from this service, so it is bound once both exist.
  let webhookDeliverer: WebhookDeliverer | null = null;
  // Made further down, once the messages service it posts through exists.
  let companions: CompanionsService | null = null;
  const messages = createMessagesService({
    repository: messagesRepository,
    conversations,
    store: sendBatcher.submit,
    afterSend: (message, replay) => {
      webhookDeliverer?.afterSend(message, replay);
      // A replay was answered the first time; the companion's reply is named after the message anyway.
      if (!replay) void companions?.onMessage(message);
    },
    isReplay: sendBatcher.isReplay,
  });
  const sessionSockets = createSessionSockets({
    io: fastify.io,
    currentSessions: async (sessionIds) => {
      const tokenSessions = sessionIds.filter(botTokens.isTokenSession);
      const cookieSessions = sessionIds.filter((sessionId) => !botTokens.isTokenSession(sessionId));
      // Either read is skipped when it has no ids.
      const [tokens, cookies] = await Promise.all([
        botTokens.currentMany(tokenSessions),
        fastify.sessions.currentMany(cookieSessions),
      ]);
      return new Map([...tokens, ...cookies]);
    },
    // On the driver, like the session reads: one for each batch of the periodic checks.
    activeUsers: async (userIds) => {
      const ids = padIdList(userIds);
      const rows = await fastify.readPool.execute<Array<[number]>>(
        {
          sql: `SELECT id FROM users WHERE id IN (${placeholders(ids.length, '?')}) AND deactivatedAt IS NULL`,
          rowsAsArray: true,
        },
        ids,
      );
      return new Set(rows.map(([id]) => Number(id)));
    },
    recheckMs: sessionRecheckMs,
    log: fastify.log,
  });
  fastify.addHook('onClose', () => sessionSockets.close());
  const site = createSiteService(fastify.prisma, clock);
  const auth = createAuthService({
    prisma: fastify.prisma,
    hasher,
    sessions: fastify.sessions.store,
    sockets: sessionSockets,
    admission: site,
  });
  fastify.decorate('accounts', { deactivate: auth.deactivate });
  const userNotifier = createUserNotifier({
    io: fastify.io,
    summaryOf: async (userId) => {
      const user = await fastify.prisma.user.findUnique({ where: { id: userId }, select: userSummarySelect });
      return user && toUserSummary(user);
    },
    conversationIdsOf: (userId) => conversationsRepository.conversationIdsOf(userId),
  });
  const companionsRepository = createCompanionsRepository(fastify.prisma);
  const presence = createPresenceService({
    io: fastify.io,
    prisma: fastify.prisma,
    conversations: conversationsRepository,
    shared: fastify.redis
      ? new RedisPresenceStore(fastify.redis, config.redis?.keyPrefix ?? 'parley:', 60_000)
      : null,
    crossProcess: config.redis !== null,
    log: fastify.log,
    batchMs: config.presenceBatchMs,
    eagerMaxMembers: config.presenceEagerMaxMembers,
    leaseRefreshMs: 20_000,
    // The person left (their last tab anywhere closed): what the companion remembers is written now,
    // not at idle. Once per presence window for everyone who left in it: a disconnect storm costs
    // one statement a window, where a query per closed tab kept the core busy for seconds after
    // 10,000 sockets closed (docs/architecture.md).
    onOffline: (userIds) => {
      companionsRepository
        .summariesDueNow(userIds, clock?.() ?? new Date())
        .catch((error: unknown) =>
          fastify.log.warn({ err: error, users: userIds.length }, 'companion memory not scheduled'),
        );
    },
  });

  const userBudgets = createUserBudgets(fastify.createLimiter, config.socketRateLimit);
  const budgets = socketBudgets(userBudgets);
  const handlerOptions: SocketHandlerOptions = {
    log: fastify.log,
    // The session first: a socket whose session is over spends no budget and reaches no handler.
    beforeEach: async (context) => {
      await sessionSockets.check(context);
      await budgets?.(context);
    },
  };

  // Voice needs ffmpeg and ffprobe; without them Parley runs and says so (/readyz, admin console).
  const voiceConfig = config.uploads.voice;
  const audio = createAudioTools({
    ffmpegPath: voiceConfig.ffmpegPath,
    ffprobePath: voiceConfig.ffprobePath,
  });
  const audioStatus = () => audio.status(voiceConfig.maxDurationS);
  await fastify.register(healthRoutes, { audioStatus });
  await fastify.register(authRoutes, {
    auth,
    rateLimit: config.authRateLimit,
    devices: createDeviceCookies(config.sessionSecret),
    sessionSockets,
  });
  await fastify.register(authSocket, { sessionSockets });
  await fastify.register(accountRoutes, {
    account: createAccountService({ prisma: fastify.prisma, hasher, notifier: userNotifier }),
    credentials: auth,
    sessions: fastify.sessions.store,
    sessionSockets,
    passwordAttempts: {
      perSession: config.authRateLimit.perAccountPerClientPer15Minutes,
      perAccount: config.authRateLimit.perAccountNewDevicesPer15Minutes,
    },
  });
  await fastify.register(usersRoutes, { prisma: fastify.prisma });
  await fastify.register(conversationsRoutes, { conversations, presence });
  await fastify.register(conversationsSocket, {
    conversations,
    repository: conversationsRepository,
    handlerOptions,
  });
  await fastify.register(searchRoutes, {
    pool: fastify.searchQueryPool,
    queue: createSendQueue({
      concurrency: SEARCH_QUERY_CONNECTIONS,
      maxQueued: SEARCH_QUEUE_MAX,
      perUserMax: SEARCH_QUEUE_PER_USER_MAX,
      maxWaitMs: SEARCH_QUEUE_MAX_WAIT_MS,
    }),
    conversations,
    messages: messagesRepository,
  });
  const searchIndexer = startSearchIndexer(fastify.searchIndexPool, {
    intervalMs: config.searchIndexIntervalMs,
    maxChanges: SEARCH_INDEX_MAX_CHANGES,
    maxConversations: SEARCH_INDEX_MAX_CONVERSATIONS,
    log: fastify.log,
  });
  fastify.decorate('searchIndexer', searchIndexer);
  // Before the database closes (onClose hooks run in reverse order).
  fastify.addHook('onClose', () => searchIndexer.stop());
  const groups = createGroupsService({ prisma: fastify.prisma, maxMembers: config.maxGroupMembers, clock });
  const notifyGroup = createGroupNotifier({
    io: fastify.io,
    conversations,
    presence,
    groups,
  });
  await fastify.register(groupsRoutes, {
    groups,
    invites: createInvitesService({ prisma: fastify.prisma, maxMembers: config.maxGroupMembers, clock }),
    members: createMembersQuery(fastify.prisma, clock),
    notify: notifyGroup,
  });
  const audit = createAuditReader(fastify.prisma);
  const adminUsers = createAdminUsersService({
    prisma: fastify.prisma,
    hasher,
    sessions: fastify.sessions.store,
    sockets: sessionSockets,
    deactivate: auth.deactivate,
    presence,
  });
  await fastify.register(adminRoutes, {
    prisma: fastify.prisma,
    users: adminUsers,
    groups: createAdminGroupsService({
      prisma: fastify.prisma,
      io: fastify.io,
      audit,
      notify: notifyGroup,
      clock,
    }),
    site,
    usage: createUsageQuery(fastify.prisma, clock),
    audit,
    audioStatus,
  });
  const botCounts = createBotCounts(fastify.prisma, clock);
  const deliveryQueue = config.redis
    ? createBullDeliveryQueue({
        url: config.redis.url,
        keyPrefix: config.redis.keyPrefix,
        prisma: fastify.prisma,
        pollMs: config.webhooks.pollMs,
        log: fastify.log,
      })
    : createDatabaseDeliveryQueue(fastify.prisma, { pollMs: config.webhooks.pollMs, log: fastify.log });
  webhookDeliverer = createWebhookDeliverer({
    prisma: fastify.prisma,
    queue: deliveryQueue,
    counts: botCounts,
    post: (userId, payload) => postMessage(userId, payload),
    config: config.webhooks,
    log: fastify.log,
    clock,
  });
  const storage = await createLocalDiskStorage(config.uploads.dir);
  const uploadGate = createUploadGate(config.uploads);
  const uploads = createUploadsService({
    repository: createUploadsRepository(fastify.prisma, storage),
    storage,
    processors: {
      image: createImageProcessor({ maxPixels: config.uploads.maxPixels }),
      file: fileProcessor,
      voice: createVoiceProcessor({ audio, maxDurationS: voiceConfig.maxDurationS }),
    },
    conversations,
    processingSlot: uploadGate.process,
    clock,
  });
  fastify.decorate('uploads', {
    sweep: uploads.sweep,
    sweepOrphanBlobs: uploads.sweepOrphanBlobs,
    sweepTemporaryFiles: uploads.sweepTemporaryFiles,
  });
  const sweeper = startUploadSweeper(
    uploads,
    {
      ttlMs: UPLOAD_UNATTACHED_TTL_HOURS * 3_600_000,
      intervalMs: UPLOAD_SWEEP_INTERVAL_MS,
      orphanIntervalMs: UPLOAD_ORPHAN_SWEEP_INTERVAL_MS,
      orphanGraceMs: UPLOAD_ORPHAN_GRACE_MS,
    },
    fastify.log,
  );
  fastify.addHook('onClose', () => sweeper.stop());
  await fastify.register(uploadsRoutes, {
    uploads,
    storage,
    limits: { maxBytes: config.uploads.maxBytes },
    gate: uploadGate,
  });
  const deliverer = webhookDeliverer;
  fastify.addHook('onReady', async () => deliveryQueue.start(deliverer.attempt));
  // Before the database closes (onClose hooks run in reverse order): running attempts finish first.
  fastify.addHook('onClose', () => deliveryQueue.close());
  await fastify.register(botsAdminRoutes, {
    prisma: fastify.prisma,
    bots: createBotsService(fastify.prisma, {
      onCreated: deliverer.botCreated,
      onRenamed: userNotifier.userUpdated,
    }),
    tokens: botTokens,
    webhooks: createBotWebhooksService(
      fastify.prisma,
      deliverer,
      createOutboundPolicy(config.webhooks.allowedPrivateHosts),
    ),
    counts: botCounts,
    users: adminUsers,
  });
  const companionsConfig = config.companions;
  if (!companionsConfig.llm) fastify.log.info('LLM_BASE_URL is not set: AI companions are unavailable');
  companions = createCompanionsService({
    repository: companionsRepository,
    messages,
    messagesRepository,
    io: fastify.io,
    model: companionsConfig.llm
      ? createModelClient(companionsConfig.llm, companionsConfig.timeoutMs, fastify.log)
      : null,
    config: companionsConfig,
    replyLimiter: fastify.createLimiter('companion-replies', {
      points: companionsConfig.repliesPerHour,
      durationSeconds: 3_600,
    }),
    count: (botId, metric) => botCounts.increment(botId, metric),
    log: fastify.log,
    clock,
  });
  const companionJobs = createJobRunner({
    repository: companionsRepository,
    run: (job) => companions.runJob(job),
    pollMs: companionsConfig.jobPollMs,
    // A job's model calls are bounded by the timeout; a holder silent for longer than two of them has died.
    leaseMs: 2 * companionsConfig.timeoutMs + 1_000,
    log: fastify.log,
    clock,
  });
  fastify.addHook('onReady', () => companionJobs.start());
  fastify.addHook('preClose', async () => {
    companions.close();
    await companionJobs.stop();
  });
  await fastify.register(companionsRoutes, {
    prisma: fastify.prisma,
    companions,
    repository: companionsRepository,
    conversations,
    modelConfigured: companionsConfig.llm !== null,
  });
  const sendQueue = createSendQueue(config.sendQueue);
  const postMessage = createMessagePoster({
    messages,
    io: fastify.io,
    queue: sendQueue,
    budget: userBudgets.messages,
  });
  await fastify.register(messagesRoutes, { messages, post: postMessage });
  await fastify.register(messagesSocket, { messages, handlerOptions, sendQueue });
  await fastify.register(presenceSocket, { presence, conversations, handlerOptions });
  await fastify.register(webApp, { root: config.webDistDir ?? DEFAULT_WEB_DIST });
};

export default app;

/**
 * Node's request deadlines (http.createServer options) for a whole-request timeout in ms.
 *
 * Fastify disables Node's request timeout by default, so a client sending a body one byte at a time
 * could hold a connection for ever; `requestTimeout` (set on Fastify too) bounds the time from a
 * request's first byte until it has been received in full. It ends there: a Socket.IO long-poll GET,
 * whose response is held open, and a WebSocket, once upgraded, are not affected. Headers keep Node's
 * 60 s limit unless the whole request must arrive sooner (Node requires headersTimeout <= requestTimeout).
 * Node only looks for late requests every `connectionsCheckingInterval` (default 30 s, which let slow
 * headers live 60 to 90 s); a tenth of the timeout, at most 5 s, keeps the cut close to the deadline.
 */
export function requestDeadlines(timeoutMs: number): {
  requestTimeout: number;
  headersTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    requestTimeout: timeoutMs,
    headersTimeout: Math.min(60_000, timeoutMs),
    connectionsCheckingInterval: Math.min(5_000, Math.ceil(timeoutMs / 10)),
  };
}

/** A Fastify instance with Parley registered, not yet listening. */
export async function buildServer(options: AppOptions): Promise<FastifyInstance> {
  const fastify = Fastify({
    logger: { level: options.config.logLevel },
    trustProxy: options.config.trustProxy,
    // Fastify ends idle keep-alive connections on close; sockets are ended by the socket-io plugin.
    forceCloseConnections: 'idle',
    requestTimeout: options.config.httpRequestTimeoutMs,
    http: requestDeadlines(options.config.httpRequestTimeoutMs),
    clientErrorHandler,
    frameworkErrors,
  });
  // Registered without encapsulation, so what the app decorates (io, sessions, accounts) is reachable
  // on the instance returned here, by server.ts and by tests.
  await fastify.register(fp(app, { name: 'parley' }), options);
  return fastify;
}
