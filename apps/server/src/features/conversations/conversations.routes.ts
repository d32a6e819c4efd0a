import {
  conversationListQuerySchema,
  conversationListResponseSchema,
  conversationResponseSchema,
  createGroupBodySchema,
  idParamSchema,
  notificationSettingsBodySchema,
  notificationSettingsSchema,
  openDirectBodySchema,
  ServerEvent,
  type Conversation,
} from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { rooms } from '../../plugins/socket-io.js';
import { requireSignedIn, requireUserId } from '../auth/require-user.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { ConversationsService } from './conversations.service.js';

export interface ConversationsRoutesOptions {
  conversations: ConversationsService;
  presence: Pick<PresenceService, 'introduce'>;
}

const conversationsRoutes: FastifyPluginAsync<ConversationsRoutesOptions> = async (
  fastify,
  { conversations, presence },
) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // Every route here needs a signed-in caller: 401 before validation (features/auth/require-user.ts).
  app.addHook('onRequest', requireSignedIn);
  // Creating a conversation adds other people to it and notifies them all: keep it to a human pace.
  const creations = fastify.createLimiter('conversation-create', { points: 30, durationSeconds: 60 });
  // Each change is an event to every tab of the caller: a person's pace, not a script's.
  const notificationChanges = fastify.createLimiter('conversation-notifications', {
    points: 60,
    durationSeconds: 60,
  });

  /** Every tab of every member joins the room on whichever process holds it, then learns of it. */
  function announce(conversation: Conversation): void {
    for (const member of conversation.members) {
      fastify.io.in(rooms.user(member.id)).socketsJoin(rooms.conversation(conversation.id));
      fastify.io.to(rooms.user(member.id)).emit(ServerEvent.ConversationNew, conversation);
    }
    presence.introduce(
      conversation.id,
      conversation.members.map((member) => member.id),
    );
  }

  app.get(
    '/api/conversations',
    {
      schema: { querystring: conversationListQuerySchema, response: { 200: conversationListResponseSchema } },
    },
    async (request) => conversations.list(requireUserId(request), request.query),
  );

  app.get(
    '/api/conversations/:id',
    {
      schema: {
        params: z.strictObject({ id: idParamSchema }),
        response: { 200: conversationResponseSchema },
      },
    },
    async (request) => ({ conversation: await conversations.get(request.params.id, requireUserId(request)) }),
  );

  app.post(
    '/api/conversations',
    { schema: { body: createGroupBodySchema, response: { 201: conversationResponseSchema } } },
    async (request, reply) => {
      const userId = requireUserId(request);
      await creations.consume(String(userId));
      const conversation = await conversations.createGroup(userId, request.body);
      request.log.info(
        { conversationId: conversation.id, members: conversation.members.length },
        'group created',
      );
      announce(conversation);
      return reply.status(201).send({ conversation });
    },
  );

  /** The caller's own choice; every tab and device of theirs hears of it (`conversation:notifications`). */
  app.put(
    '/api/conversations/:id/notifications',
    {
      schema: {
        params: z.strictObject({ id: idParamSchema }),
        body: notificationSettingsBodySchema,
        response: { 200: notificationSettingsSchema },
      },
    },
    async (request) => {
      const userId = requireUserId(request);
      await notificationChanges.consume(String(userId));
      const settings = await conversations.setNotifications(userId, request.params.id, request.body);
      fastify.io.to(rooms.user(userId)).emit(ServerEvent.ConversationNotifications, settings);
      return settings;
    },
  );

  /** 201 the first time a pair talks, 200 with the same conversation after that. */
  app.post(
    '/api/conversations/direct',
    {
      schema: {
        body: openDirectBodySchema,
        response: { 200: conversationResponseSchema, 201: conversationResponseSchema },
      },
    },
    async (request, reply) => {
      const userId = requireUserId(request);
      await creations.consume(String(userId));
      const { conversation, created } = await conversations.openDirect(userId, request.body.username);
      if (created) announce(conversation);
      return reply.status(created ? 201 : 200).send({ conversation });
    },
  );
};

export default conversationsRoutes;
