import {
  addMembersBodySchema,
  banPageQuerySchema,
  banPageSchema,
  createInviteBodySchema,
  groupSettingsBodySchema,
  groupStateSchema,
  idParamSchema,
  inviteListSchema,
  inviteResponseSchema,
  inviteTokenSchema,
  memberPageQuerySchema,
  memberPageSchema,
  muteBodySchema,
  setRoleBodySchema,
  transferOwnershipBodySchema,
} from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireSignedIn, requireUserId } from '../auth/require-user.js';
import type { GroupNotifier } from './groups.notifier.js';
import type { GroupOutcome, GroupsService } from './groups.service.js';
import type { InvitesService } from './invites.service.js';
import type { MembersQuery } from './members.query.js';

export interface GroupsRoutesOptions {
  groups: GroupsService;
  invites: InvitesService;
  members: MembersQuery;
  notify: GroupNotifier;
}

const groupParams = z.strictObject({ id: idParamSchema });
const memberParams = z.strictObject({ id: idParamSchema, userId: idParamSchema });
const stateResponse = { 200: z.object({ group: groupStateSchema }) };

/** Group administration over HTTP: each route checks the role table, then tells the sockets. */
const groupsRoutes: FastifyPluginAsync<GroupsRoutesOptions> = async (
  fastify,
  { groups, invites, members, notify },
) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // Every route here needs a signed-in caller: 401 before validation (features/auth/require-user.ts).
  app.addHook('onRequest', requireSignedIn);

  async function answer(outcome: GroupOutcome) {
    const state = await notify(outcome);
    return { group: state ?? (await groups.stateOf(outcome.conversationId)) };
  }

  app.patch(
    '/api/conversations/:id',
    { schema: { params: groupParams, body: groupSettingsBodySchema, response: stateResponse } },
    async (request) =>
      answer(await groups.updateSettings(requireUserId(request), request.params.id, request.body)),
  );

  app.get(
    '/api/conversations/:id/members',
    {
      schema: {
        params: groupParams,
        querystring: memberPageQuerySchema,
        response: { 200: memberPageSchema },
      },
    },
    async (request) => members.page(requireUserId(request), request.params.id, request.query),
  );

  app.post(
    '/api/conversations/:id/members',
    { schema: { params: groupParams, body: addMembersBodySchema, response: stateResponse } },
    async (request) =>
      answer(await groups.addMembers(requireUserId(request), request.params.id, request.body)),
  );

  app.delete(
    '/api/conversations/:id/members/:userId',
    { schema: { params: memberParams, response: stateResponse } },
    async (request) =>
      answer(await groups.removeMember(requireUserId(request), request.params.id, request.params.userId)),
  );

  app.post(
    '/api/conversations/:id/leave',
    { schema: { params: groupParams, response: { 204: z.null() } } },
    async (request, reply) => {
      await notify(await groups.leave(requireUserId(request), request.params.id));
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/api/conversations/:id/members/:userId/role',
    { schema: { params: memberParams, body: setRoleBodySchema, response: stateResponse } },
    async (request) =>
      answer(
        await groups.setRole(
          requireUserId(request),
          request.params.id,
          request.params.userId,
          request.body.role,
        ),
      ),
  );

  app.post(
    '/api/conversations/:id/owner',
    { schema: { params: groupParams, body: transferOwnershipBodySchema, response: stateResponse } },
    async (request) =>
      answer(await groups.transferOwnership(requireUserId(request), request.params.id, request.body.userId)),
  );

  app.put(
    '/api/conversations/:id/members/:userId/mute',
    { schema: { params: memberParams, body: muteBodySchema, response: stateResponse } },
    async (request) =>
      answer(
        await groups.mute(
          requireUserId(request),
          request.params.id,
          request.params.userId,
          request.body.seconds,
        ),
      ),
  );

  app.delete(
    '/api/conversations/:id/members/:userId/mute',
    { schema: { params: memberParams, response: stateResponse } },
    async (request) =>
      answer(await groups.mute(requireUserId(request), request.params.id, request.params.userId, null)),
  );

  app.get(
    '/api/conversations/:id/bans',
    { schema: { params: groupParams, querystring: banPageQuerySchema, response: { 200: banPageSchema } } },
    async (request) => members.bans(requireUserId(request), request.params.id, request.query),
  );

  app.put(
    '/api/conversations/:id/bans/:userId',
    { schema: { params: memberParams, response: stateResponse } },
    async (request) =>
      answer(await groups.ban(requireUserId(request), request.params.id, request.params.userId)),
  );

  app.delete(
    '/api/conversations/:id/bans/:userId',
    { schema: { params: memberParams, response: stateResponse } },
    async (request) =>
      answer(await groups.unban(requireUserId(request), request.params.id, request.params.userId)),
  );

  app.get(
    '/api/conversations/:id/invites',
    { schema: { params: groupParams, response: { 200: inviteListSchema } } },
    async (request) => ({ invites: await invites.list(requireUserId(request), request.params.id) }),
  );

  app.post(
    '/api/conversations/:id/invites',
    {
      schema: { params: groupParams, body: createInviteBodySchema, response: { 201: inviteResponseSchema } },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send({ invite: await invites.create(requireUserId(request), request.params.id, request.body) }),
  );

  app.delete(
    '/api/conversations/:id/invites/:inviteId',
    {
      schema: {
        params: z.strictObject({ id: idParamSchema, inviteId: idParamSchema }),
        response: { 200: inviteResponseSchema },
      },
    },
    async (request) => ({
      invite: await invites.revoke(requireUserId(request), request.params.id, request.params.inviteId),
    }),
  );

  /** Joining twice is harmless: 200 with the group either way. */
  app.post(
    '/api/invites/:token/join',
    {
      schema: {
        params: z.strictObject({ token: inviteTokenSchema }),
        response: { 200: z.object({ conversationId: z.number().int().positive() }) },
      },
    },
    async (request) => {
      const outcome = await invites.join(requireUserId(request), request.params.token);
      await notify(outcome);
      return { conversationId: outcome.conversationId };
    },
  );
};

export default groupsRoutes;
