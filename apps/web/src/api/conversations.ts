import {
  conversationListResponseSchema,
  conversationResponseSchema,
  historyResponseSchema,
  type Conversation,
  type CreateGroupBody,
  type HistoryResponse,
} from '@parley/shared';
import { request } from './http';

export const HISTORY_PAGE_SIZE = 50;

export async function fetchConversations(): Promise<Conversation[]> {
  return (await request('GET', '/api/conversations', conversationListResponseSchema)).conversations;
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
