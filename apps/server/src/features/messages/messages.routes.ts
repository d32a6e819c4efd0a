import {
  historyQuerySchema,
  historyResponseSchema,
  idParamSchema,
  messageSchema,
  postMessageBodySchema,
} from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireSignedIn, requireUserId } from '../auth/require-user.js';
import type { MessagePoster } from './message-poster.js';
import type { MessagesService } from './messages.service.js';

const messagesRoutes: FastifyPluginAsync<{ messages: MessagesService; post: MessagePoster }> = async (
  fastify,
  { messages, post },
) => {
  // Every route here needs a signed-in caller: 401 before validation (features/auth/require-user.ts).
  fastify.addHook('onRequest', requireSignedIn);
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

  /**
   * `message:send` over HTTP, for bots (and any caller) without a socket: `clientMsgId` is the
   * idempotency key, so a retry after a lost answer gets the stored message (200 both times).
   */
  fastify.withTypeProvider<ZodTypeProvider>().post(
    '/api/conversations/:id/messages',
    {
      schema: {
        params: z.strictObject({ id: idParamSchema }),
        body: postMessageBodySchema,
        response: { 200: z.object({ message: messageSchema }) },
      },
    },
    async (request) => ({
      message: await post(requireUserId(request), { ...request.body, conversationId: request.params.id }),
    }),
  );
};

export default messagesRoutes;
