import {
  botCountsSchema,
  botListSchema,
  botResponseSchema,
  botTokenListSchema,
  botTokenSchema,
  botWebhookListSchema,
  createdBotTokenSchema,
  createdBotWebhookSchema,
  webhookDeliveryListSchema,
  webhookDeliverySchema,
  type Bot,
  type BotCounts,
  type BotToken,
  type BotWebhook,
  type CreateBotBody,
  type CreateBotWebhookBody,
  type CreatedBotToken,
  type CreatedBotWebhook,
  type UpdateBotBody,
  type WebhookDelivery,
  adminGroupDetailSchema,
  adminGroupPageSchema,
  adminGroupResponseSchema,
  adminUserPageSchema,
  adminUserResponseSchema,
  audioStatusSchema,
  auditPageSchema,
  passwordResetResponseSchema,
  siteInviteListSchema,
  siteInviteResponseSchema,
  siteSettingsSchema,
  usageSchema,
  type AdminGroup,
  type AdminGroupDetail,
  type AdminGroupPage,
  type AdminUser,
  type AdminUserPage,
  type AudioStatus,
  type AuditPage,
  type AuditQuery,
  type RegistrationMode,
  type SiteInvite,
  type Usage,
  type UserRole,
} from '@parley/shared';
import { z } from 'zod';
import { request } from './http';

// The site console's calls (/api/admin/*, docs/protocol.md "Site administration"). The server refuses
// them with admin/forbidden for anyone but a site admin; the console's route only hides them.

export function searchAdminUsers(q: string, cursor?: number): Promise<AdminUserPage> {
  return request('GET', '/api/admin/users', adminUserPageSchema, { query: { q, cursor } });
}

export async function setUserActive(id: number, active: boolean): Promise<AdminUser> {
  const path = `/api/admin/users/${id}/${active ? 'reactivate' : 'deactivate'}`;
  return (await request('POST', path, adminUserResponseSchema)).user;
}

export async function setUserRole(id: number, role: UserRole): Promise<AdminUser> {
  return (await request('PUT', `/api/admin/users/${id}/role`, adminUserResponseSchema, { body: { role } }))
    .user;
}

export async function resetPassword(id: number): Promise<string> {
  return (await request('POST', `/api/admin/users/${id}/password-reset`, passwordResetResponseSchema))
    .temporaryPassword;
}

export function searchAdminGroups(q: string, cursor?: number): Promise<AdminGroupPage> {
  return request('GET', '/api/admin/groups', adminGroupPageSchema, { query: { q, cursor } });
}

export function fetchAdminGroup(id: number): Promise<AdminGroupDetail> {
  return request('GET', `/api/admin/groups/${id}`, adminGroupDetailSchema);
}

export async function setGroupArchived(id: number, archived: boolean): Promise<AdminGroup> {
  const path = `/api/admin/groups/${id}/${archived ? 'archive' : 'unarchive'}`;
  return (await request('POST', path, adminGroupResponseSchema)).group;
}

export function deleteGroup(id: number, confirm: string): Promise<void> {
  return request('DELETE', `/api/admin/groups/${id}`, null, { body: { confirm } });
}

export async function fetchRegistrationMode(): Promise<RegistrationMode> {
  return (await request('GET', '/api/admin/settings', siteSettingsSchema)).registrationMode;
}

export async function setRegistrationMode(registrationMode: RegistrationMode): Promise<RegistrationMode> {
  return (await request('PUT', '/api/admin/settings', siteSettingsSchema, { body: { registrationMode } }))
    .registrationMode;
}

export async function fetchSiteInvites(): Promise<SiteInvite[]> {
  return (await request('GET', '/api/admin/invites', siteInviteListSchema)).invites;
}

export async function createSiteInvite(expiresInHours?: number): Promise<SiteInvite> {
  return (await request('POST', '/api/admin/invites', siteInviteResponseSchema, { body: { expiresInHours } }))
    .invite;
}

export async function revokeSiteInvite(id: number): Promise<SiteInvite> {
  return (await request('POST', `/api/admin/invites/${id}/revoke`, siteInviteResponseSchema)).invite;
}

export function fetchUsage(): Promise<Usage> {
  return request('GET', '/api/admin/usage', usageSchema);
}

/** ffmpeg, ffprobe and the voice renditions the server can make now (the console's Server tab). */
export function fetchAudioStatus(): Promise<AudioStatus> {
  return request('GET', '/api/admin/audio', audioStatusSchema);
}

/** `GET /api/admin/audit`'s filters (auditQuerySchema); the page's cursor and size are apart. */
export type AuditFilter = Omit<Partial<AuditQuery>, 'cursor' | 'limit'>;

export function fetchAudit(filter: AuditFilter, cursor?: number): Promise<AuditPage> {
  return request('GET', '/api/admin/audit', auditPageSchema, { query: { ...filter, cursor } });
}

// Bots (docs/bots.md): accounts, tokens, webhooks, deliveries and counts.

export async function fetchBots(): Promise<Bot[]> {
  return (await request('GET', '/api/admin/bots', botListSchema)).bots;
}

export async function createBot(body: CreateBotBody): Promise<Bot> {
  return (await request('POST', '/api/admin/bots', botResponseSchema, { body })).bot;
}

export async function updateBot(id: number, body: UpdateBotBody): Promise<Bot> {
  return (await request('PATCH', `/api/admin/bots/${id}`, botResponseSchema, { body })).bot;
}

export async function setBotActive(id: number, active: boolean): Promise<Bot> {
  const action = active ? 'reactivate' : 'deactivate';
  return (await request('POST', `/api/admin/bots/${id}/${action}`, botResponseSchema)).bot;
}

export async function fetchBotTokens(id: number): Promise<BotToken[]> {
  return (await request('GET', `/api/admin/bots/${id}/tokens`, botTokenListSchema)).tokens;
}

export function createBotToken(id: number, label: string): Promise<CreatedBotToken> {
  return request('POST', `/api/admin/bots/${id}/tokens`, createdBotTokenSchema, { body: { label } });
}

export async function revokeBotToken(id: number, tokenId: number): Promise<BotToken> {
  return (
    await request(
      'POST',
      `/api/admin/bots/${id}/tokens/${tokenId}/revoke`,
      z.object({ token: botTokenSchema }),
    )
  ).token;
}

export async function fetchBotWebhooks(id: number): Promise<BotWebhook[]> {
  return (await request('GET', `/api/admin/bots/${id}/webhooks`, botWebhookListSchema)).webhooks;
}

export function createBotWebhook(id: number, body: CreateBotWebhookBody): Promise<CreatedBotWebhook> {
  return request('POST', `/api/admin/bots/${id}/webhooks`, createdBotWebhookSchema, { body });
}

export function deleteBotWebhook(id: number, webhookId: number): Promise<void> {
  return request('DELETE', `/api/admin/bots/${id}/webhooks/${webhookId}`, null);
}

export async function fetchBotDeliveries(id: number): Promise<WebhookDelivery[]> {
  return (await request('GET', `/api/admin/bots/${id}/deliveries`, webhookDeliveryListSchema)).deliveries;
}

export async function redeliver(id: number, deliveryId: string): Promise<WebhookDelivery> {
  return (
    await request(
      'POST',
      `/api/admin/bots/${id}/deliveries/${deliveryId}/redeliver`,
      z.object({ delivery: webhookDeliverySchema }),
    )
  ).delivery;
}

export function fetchBotCounts(id: number): Promise<BotCounts> {
  return request('GET', `/api/admin/bots/${id}/counts`, botCountsSchema);
}

/** Every bot's and companion's counts together, per UTC day (the usage view's). */
export function fetchAllBotCounts(): Promise<BotCounts> {
  return request('GET', '/api/admin/bots/counts', botCountsSchema);
}
