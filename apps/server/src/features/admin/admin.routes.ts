import {
  type AudioStatus,
  adminGroupDetailSchema,
  adminGroupPageSchema,
  adminGroupResponseSchema,
  adminSearchQuerySchema,
  adminUserPageSchema,
  adminUserResponseSchema,
  audioStatusSchema,
  auditPageSchema,
  auditQuerySchema,
  createSiteInviteBodySchema,
  deleteGroupBodySchema,
  idParamSchema,
  passwordResetResponseSchema,
  setSiteRoleBodySchema,
  siteInviteListSchema,
  siteInviteResponseSchema,
  siteSettingsSchema,
  usageSchema,
} from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { requireUserId } from '../auth/require-user.js';
import type { AuditReader } from './audit.query.js';
import type { AdminGroupsService } from './groups.service.js';
import { adminGuard } from './require-admin.js';
import type { SiteService } from './site.service.js';
import type { UsageQuery } from './usage.query.js';
import type { AdminUsersService } from './users.service.js';

export interface AdminRoutesOptions {
  prisma: PrismaClient;
  users: AdminUsersService;
  groups: AdminGroupsService;
  site: SiteService;
  usage: UsageQuery;
  audit: AuditReader;
  /** ffmpeg, ffprobe and the voice renditions this server can make (features/uploads/audio.ts). */
  audioStatus: () => Promise<AudioStatus>;
}

const idParams = z.strictObject({ id: idParamSchema });

/**
 * The site console's API, /api/admin/*: site admins only (`admin/forbidden` before anything else is
 * read). Every change is recorded in the audit log; the audit log itself is only listed here (there
 * is no route that changes or removes its rows).
 */
const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (fastify, options) => {
  const { users, groups, site, usage, audit } = options;
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // Encapsulated: this hook guards the routes of this plugin only.
  app.addHook('onRequest', adminGuard(options.prisma));

  app.get(
    '/api/admin/users',
    { schema: { querystring: adminSearchQuerySchema, response: { 200: adminUserPageSchema } } },
    async (request) => users.search(request.query),
  );
  app.post(
    '/api/admin/users/:id/deactivate',
    { schema: { params: idParams, response: { 200: adminUserResponseSchema } } },
    async (request) => ({ user: await users.deactivate(requireUserId(request), request.params.id) }),
  );
  app.post(
    '/api/admin/users/:id/reactivate',
    { schema: { params: idParams, response: { 200: adminUserResponseSchema } } },
    async (request) => ({ user: await users.reactivate(requireUserId(request), request.params.id) }),
  );
  app.put(
    '/api/admin/users/:id/role',
    { schema: { params: idParams, body: setSiteRoleBodySchema, response: { 200: adminUserResponseSchema } } },
    async (request) => ({
      user: await users.setRole(requireUserId(request), request.params.id, request.body.role),
    }),
  );
  app.post(
    '/api/admin/users/:id/password-reset',
    { schema: { params: idParams, response: { 200: passwordResetResponseSchema } } },
    async (request, reply) => {
      // The temporary password must not sit in a cache.
      void reply.header('cache-control', 'no-store');
      return users.resetPassword(requireUserId(request), request.params.id);
    },
  );

  app.get(
    '/api/admin/groups',
    { schema: { querystring: adminSearchQuerySchema, response: { 200: adminGroupPageSchema } } },
    async (request) => groups.search(request.query),
  );
  app.get(
    '/api/admin/groups/:id',
    { schema: { params: idParams, response: { 200: adminGroupDetailSchema } } },
    async (request) => groups.detail(request.params.id),
  );
  app.post(
    '/api/admin/groups/:id/archive',
    { schema: { params: idParams, response: { 200: adminGroupResponseSchema } } },
    async (request) => ({ group: await groups.archive(requireUserId(request), request.params.id) }),
  );
  app.post(
    '/api/admin/groups/:id/unarchive',
    { schema: { params: idParams, response: { 200: adminGroupResponseSchema } } },
    async (request) => ({ group: await groups.unarchive(requireUserId(request), request.params.id) }),
  );
  app.delete(
    '/api/admin/groups/:id',
    { schema: { params: idParams, body: deleteGroupBodySchema } },
    async (request, reply) => {
      await groups.remove(requireUserId(request), request.params.id, request.body.confirm);
      return reply.status(204).send();
    },
  );

  app.get('/api/admin/settings', { schema: { response: { 200: siteSettingsSchema } } }, async () =>
    site.settings(),
  );
  app.put(
    '/api/admin/settings',
    { schema: { body: siteSettingsSchema, response: { 200: siteSettingsSchema } } },
    async (request) => site.updateSettings(requireUserId(request), request.body),
  );
  app.get('/api/admin/invites', { schema: { response: { 200: siteInviteListSchema } } }, async () => ({
    invites: await site.listInvites(),
  }));
  app.post(
    '/api/admin/invites',
    { schema: { body: createSiteInviteBodySchema, response: { 201: siteInviteResponseSchema } } },
    async (request, reply) =>
      reply.status(201).send({ invite: await site.createInvite(requireUserId(request), request.body) }),
  );
  app.post(
    '/api/admin/invites/:id/revoke',
    { schema: { params: idParams, response: { 200: siteInviteResponseSchema } } },
    async (request) => ({ invite: await site.revokeInvite(requireUserId(request), request.params.id) }),
  );

  app.get('/api/admin/usage', { schema: { response: { 200: usageSchema } } }, async () => usage.read());
  app.get('/api/admin/audio', { schema: { response: { 200: audioStatusSchema } } }, async () =>
    options.audioStatus(),
  );

  app.get(
    '/api/admin/audit',
    { schema: { querystring: auditQuerySchema, response: { 200: auditPageSchema } } },
    async (request) => audit.list(request.query),
  );
};

export default adminRoutes;
