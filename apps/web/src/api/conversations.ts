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

/** One page of history, oldest first; without `before` it is the newest page. */
export function fetchHistory(conversationId: number, before?: number): Promise<HistoryResponse> {
  return request('GET', `/api/conversations/${conversationId}/messages`, historyResponseSchema, {
    query: { before, limit: HISTORY_PAGE_SIZE },
  });
}
