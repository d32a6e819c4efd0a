import type { CurrentUser, UserSummary } from '@parley/shared';
import type { User } from '../../generated/prisma/client.js';

export const userSummarySelect = { id: true, username: true, displayName: true } as const;

export function toUserSummary(user: Pick<User, 'id' | 'username' | 'displayName'>): UserSummary {
  return { id: user.id, username: user.username, displayName: user.displayName };
}

export function toCurrentUser(user: User): CurrentUser {
  return { ...toUserSummary(user), role: user.role, createdAt: user.createdAt.toISOString() };
}
