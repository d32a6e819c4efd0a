import { historyQuerySchema, historyResponseSchema, idParamSchema } from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUserId } from '../auth/require-user.js';
import type { MessagesService } from './messages.service.js';

const messagesRoutes: FastifyPluginAsync<{ messages: MessagesService }> = async (fastify, { messages }) => {
  fastify.withTypeProvider<ZodTypeProvider>().get(
    '/api/conversations/:id/messages',
    {
      schema: {
        params: z.strictObject({ id: idParamSchema }),
        querystring: historyQuerySchema,
        response: { 200: historyResponseSchema },
      },
    },
    async (request) => messages.history(requireUserId(request), request.params.id, request.query),
  );
};

export default messagesRoutes;
