import {
  conversationListResponseSchema,
  conversationResponseSchema,
  historyResponseSchema,
  notificationSettingsSchema,
  type Conversation,
  type ConversationListResponse,
  type CreateGroupBody,
  type HistoryResponse,
  type NotificationSettings,
  type NotificationSettingsBody,
} from '@parley/shared';
import { request } from './http';

export const HISTORY_PAGE_SIZE = 50;

/**
 * One page of the list, most recently active first: pass the answer's `nextCursor` for the next
 * (null for the first) until it is null; `limit` 1 to CONVERSATION_PAGE_MAX.
 */
export async function fetchConversationPage(
  cursor: string | null,
  limit: number,
): Promise<ConversationListResponse> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor !== null) query.set('cursor', cursor);
  return request('GET', `/api/conversations?${query}`, conversationListResponseSchema);
}

export async function fetchConversation(id: number): Promise<Conversation> {
  return (await request('GET', `/api/conversations/${id}`, conversationResponseSchema)).conversation;
}

export async function createGroup(body: CreateGroupBody): Promise<Conversation> {
  return (await request('POST', '/api/conversations', conversationResponseSchema, { body })).conversation;
}

/** The one direct conversation with this person, created the first time. */
export async function openDirect(username: string): Promise<Conversation> {
  return (
    await request('POST', '/api/conversations/direct', conversationResponseSchema, { body: { username } })
  ).conversation;
}

/** Where a history page starts: before a seq (older), after a seq (newer), or neither (the newest). */
export type HistoryCursor = { before: number } | { after: number } | null;

/** One page of history, oldest first; seq is gapless, so a page is an exact seq window. */
export function fetchHistory(
  conversationId: number,
  cursor: HistoryCursor = null,
  limit = HISTORY_PAGE_SIZE,
): Promise<HistoryResponse> {
  return request('GET', `/api/conversations/${conversationId}/messages`, historyResponseSchema, {
    query: { ...(cursor ?? {}), limit },
  });
}

/** The caller's own notification choice for a conversation (docs/protocol.md, "Notifications"). */
export async function setNotifications(
  id: number,
  body: NotificationSettingsBody,
): Promise<NotificationSettings> {
  return request('PUT', `/api/conversations/${id}/notifications`, notificationSettingsSchema, { body });
}
