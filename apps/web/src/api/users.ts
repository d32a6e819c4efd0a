import { userSearchResponseSchema, type UserSummary } from '@parley/shared';
import { request } from './http';

export async function searchUsers(q: string, signal?: AbortSignal): Promise<UserSummary[]> {
  return (await request('GET', '/api/users', userSearchResponseSchema, { query: { q, limit: 8 }, signal }))
    .users;
}
