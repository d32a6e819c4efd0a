import type { CurrentUser, UserSummary } from '@parley/shared';
import type { User } from '../../generated/prisma/client.js';

export const userSummarySelect = { id: true, username: true, displayName: true, kind: true } as const;

export function toUserSummary(user: Pick<User, 'id' | 'username' | 'displayName' | 'kind'>): UserSummary {
  return { id: user.id, username: user.username, displayName: user.displayName, kind: user.kind };
}

export function toCurrentUser(user: User): CurrentUser {
  return { ...toUserSummary(user), role: user.role, createdAt: user.createdAt.toISOString() };
}
