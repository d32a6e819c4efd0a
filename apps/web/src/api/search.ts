import { messageSearchResponseSchema, type MessageSearchResponse } from '@parley/shared';
import { request } from './http';

/** One page of message search (`GET /api/search/messages`, docs/protocol.md): newest first. */
export function searchMessages(
  query: { q: string; conversationId?: number; before?: number },
  signal?: AbortSignal,
): Promise<MessageSearchResponse> {
  return request('GET', '/api/search/messages', messageSearchResponseSchema, { query, signal });
}
