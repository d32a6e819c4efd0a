import {
  banPageSchema,
  groupStateSchema,
  inviteListSchema,
  inviteResponseSchema,
  memberPageSchema,
  type BanPage,
  type CreateInviteBody,
  type GroupSettingsBody,
  type GroupState,
  type Invite,
  type MemberPage,
} from '@parley/shared';
import { z } from 'zod';
import { request } from './http';

const stateResponse = z.object({ group: groupStateSchema });
const base = (id: number) => `/api/conversations/${id}`;

/** Group administration (docs/protocol.md, "Groups"); each answers the group's new shared state. */
export async function updateGroupSettings(id: number, body: GroupSettingsBody): Promise<GroupState> {
  return (await request('PATCH', base(id), stateResponse, { body })).group;
}

export async function addGroupMembers(id: number, usernames: string[]): Promise<GroupState> {
  return (await request('POST', `${base(id)}/members`, stateResponse, { body: { usernames } })).group;
}

export async function removeGroupMember(id: number, userId: number): Promise<GroupState> {
  return (await request('DELETE', `${base(id)}/members/${userId}`, stateResponse)).group;
}

export async function setGroupRole(
  id: number,
  userId: number,
  role: 'admin' | 'member',
): Promise<GroupState> {
  return (await request('PUT', `${base(id)}/members/${userId}/role`, stateResponse, { body: { role } }))
    .group;
}

export async function transferGroupOwnership(id: number, userId: number): Promise<GroupState> {
  return (await request('POST', `${base(id)}/owner`, stateResponse, { body: { userId } })).group;
}

/** `seconds` null lifts the mute. */
export async function muteGroupMember(id: number, userId: number, seconds: number | null): Promise<void> {
  const path = `${base(id)}/members/${userId}/mute`;
  if (seconds === null) await request('DELETE', path, stateResponse);
  else await request('PUT', path, stateResponse, { body: { seconds } });
}

export async function banGroupMember(id: number, userId: number): Promise<void> {
  await request('PUT', `${base(id)}/bans/${userId}`, stateResponse);
}

export async function unbanGroupMember(id: number, userId: number): Promise<void> {
  await request('DELETE', `${base(id)}/bans/${userId}`, stateResponse);
}

/** A page of the group's bans by user id, after `cursor` (the last id of the previous page). */
export function fetchGroupBans(id: number, cursor?: number): Promise<BanPage> {
  return request('GET', `${base(id)}/bans`, banPageSchema, { query: { limit: 50, cursor } });
}

export function leaveGroup(id: number): Promise<void> {
  return request('POST', `${base(id)}/leave`, null);
}

export function fetchGroupMembers(id: number, query: { q?: string; after?: string }): Promise<MemberPage> {
  return request('GET', `${base(id)}/members`, memberPageSchema, { query: { ...query, limit: 50 } });
}

export async function fetchInvites(id: number): Promise<Invite[]> {
  return (await request('GET', `${base(id)}/invites`, inviteListSchema)).invites;
}

export async function createInvite(id: number, body: CreateInviteBody): Promise<Invite> {
  return (await request('POST', `${base(id)}/invites`, inviteResponseSchema, { body })).invite;
}

export async function revokeInvite(id: number, inviteId: number): Promise<Invite> {
  return (await request('DELETE', `${base(id)}/invites/${inviteId}`, inviteResponseSchema)).invite;
}

export async function joinByInvite(token: string): Promise<number> {
  return (await request('POST', `/api/invites/${token}/join`, z.object({ conversationId: z.number() })))
    .conversationId;
}
