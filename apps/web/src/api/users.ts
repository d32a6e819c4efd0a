import { userSearchResponseSchema, type UserSummary } from '@parley/shared';
import { request } from './http';

export async function searchUsers(q: string, signal?: AbortSignal, limit = 8): Promise<UserSummary[]> {
  return (await request('GET', '/api/users', userSearchResponseSchema, { query: { q, limit }, signal }))
    .users;
}
