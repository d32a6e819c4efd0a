import {
  botCountsSchema,
  botWebhookListSchema,
  createBotWebhookBodySchema,
  createdBotWebhookSchema,
  webhookDeliveryListSchema,
  webhookDeliverySchema,
  botListSchema,
  botResponseSchema,
  botTokenListSchema,
  botTokenSchema,
  createBotBodySchema,
  createBotTokenBodySchema,
  createdBotTokenSchema,
  idParamSchema,
  updateBotBodySchema,
} from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { adminGuard } from '../admin/require-admin.js';
import type { AdminUsersService } from '../admin/users.service.js';
import { requireUserId } from '../auth/require-user.js';
import type { BotCountsStore } from './bot-counts.js';
import type { BotTokens } from './bot-tokens.js';
import type { BotWebhooksService } from './bot-webhooks.service.js';
import type { BotsService } from './bots.service.js';

export interface BotsAdminRoutesOptions {
  prisma: PrismaClient;
  bots: BotsService;
  tokens: BotTokens;
  webhooks: BotWebhooksService;
  counts: BotCountsStore;
  /** Deactivation and reactivation as for any account (sessions and sockets end at once). */
  users: Pick<AdminUsersService, 'deactivate' | 'reactivate'>;
}

const idParams = z.strictObject({ id: idParamSchema });
const tokenParams = z.strictObject({ id: idParamSchema, tokenId: idParamSchema });
const webhookParams = z.strictObject({ id: idParamSchema, webhookId: idParamSchema });
const deliveryParams = z.strictObject({ id: idParamSchema, deliveryId: z.uuid() });

/** The site console's bot routes, /api/admin/bots/*: site admins only (`admin/forbidden`). */
const botsAdminRoutes: FastifyPluginAsync<BotsAdminRoutesOptions> = async (fastify, options) => {
  const { bots, tokens, webhooks, counts, users } = options;
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', adminGuard(options.prisma));

  app.get('/api/admin/bots', { schema: { response: { 200: botListSchema } } }, async () => ({
    bots: await bots.list(),
  }));
  app.post(
    '/api/admin/bots',
    { schema: { body: createBotBodySchema, response: { 201: botResponseSchema } } },
    async (request, reply) => {
      const bot = await bots.create(requireUserId(request), request.body);
      return reply.code(201).send({ bot });
    },
  );
  app.get(
    '/api/admin/bots/:id',
    { schema: { params: idParams, response: { 200: botResponseSchema } } },
    async (request) => ({ bot: await bots.find(request.params.id) }),
  );
  app.patch(
    '/api/admin/bots/:id',
    { schema: { params: idParams, body: updateBotBodySchema, response: { 200: botResponseSchema } } },
    async (request) => ({ bot: await bots.update(requireUserId(request), request.params.id, request.body) }),
  );
  app.post(
    '/api/admin/bots/:id/deactivate',
    { schema: { params: idParams, response: { 200: botResponseSchema } } },
    async (request) => {
      await bots.find(request.params.id);
      await users.deactivate(requireUserId(request), request.params.id);
      return { bot: await bots.find(request.params.id) };
    },
  );
  app.post(
    '/api/admin/bots/:id/reactivate',
    { schema: { params: idParams, response: { 200: botResponseSchema } } },
    async (request) => {
      await bots.find(request.params.id);
      await users.reactivate(requireUserId(request), request.params.id);
      return { bot: await bots.find(request.params.id) };
    },
  );

  app.get(
    '/api/admin/bots/:id/tokens',
    { schema: { params: idParams, response: { 200: botTokenListSchema } } },
    async (request) => ({ tokens: await tokens.list(request.params.id) }),
  );
  app.post(
    '/api/admin/bots/:id/tokens',
    {
      schema: { params: idParams, body: createBotTokenBodySchema, response: { 201: createdBotTokenSchema } },
    },
    async (request, reply) => {
      const created = await tokens.create(requireUserId(request), request.params.id, request.body.label);
      // The token is in this body and nowhere else: no cache may keep it.
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );
  app.post(
    '/api/admin/bots/:id/tokens/:tokenId/revoke',
    { schema: { params: tokenParams, response: { 200: z.object({ token: botTokenSchema }) } } },
    async (request) => ({
      token: await tokens.revoke(requireUserId(request), request.params.id, request.params.tokenId),
    }),
  );

  app.get(
    '/api/admin/bots/:id/webhooks',
    { schema: { params: idParams, response: { 200: botWebhookListSchema } } },
    async (request) => ({ webhooks: await webhooks.list(request.params.id) }),
  );
  app.post(
    '/api/admin/bots/:id/webhooks',
    {
      schema: {
        params: idParams,
        body: createBotWebhookBodySchema,
        response: { 201: createdBotWebhookSchema },
      },
    },
    async (request, reply) => {
      const created = await webhooks.create(requireUserId(request), request.params.id, request.body);
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );
  app.delete(
    '/api/admin/bots/:id/webhooks/:webhookId',
    { schema: { params: webhookParams } },
    async (request, reply) => {
      await webhooks.remove(requireUserId(request), request.params.id, request.params.webhookId);
      return reply.code(204).send();
    },
  );
  app.get(
    '/api/admin/bots/:id/deliveries',
    { schema: { params: idParams, response: { 200: webhookDeliveryListSchema } } },
    async (request) => ({ deliveries: await webhooks.deliveries(request.params.id) }),
  );
  app.post(
    '/api/admin/bots/:id/deliveries/:deliveryId/redeliver',
    { schema: { params: deliveryParams, response: { 200: z.object({ delivery: webhookDeliverySchema }) } } },
    async (request) => ({ delivery: await webhooks.redeliver(request.params.id, request.params.deliveryId) }),
  );
  app.get('/api/admin/bots/counts', { schema: { response: { 200: botCountsSchema } } }, async () =>
    counts.read(null),
  );
  app.get(
    '/api/admin/bots/:id/counts',
    { schema: { params: idParams, response: { 200: botCountsSchema } } },
    async (request) => {
      await bots.find(request.params.id);
      return counts.read(request.params.id);
    },
  );
};

export default botsAdminRoutes;
