import { conversationListResponseSchema, type Conversation } from '@parley/shared';
import type { ParleyAuth } from './auth.js';

/**
 * The few HTTP calls the engine makes itself (the conversation list it tracks). With `browser` auth
 * the browser sends its cookie (`credentials: 'include'`); with `cookie` auth it goes in a header.
 */
export async function fetchConversations(url: string, auth: ParleyAuth): Promise<Conversation[]> {
  const response = await fetch(new URL('/api/conversations', url), {
    headers: auth.kind === 'cookie' ? { cookie: auth.cookie } : {},
    credentials: auth.kind === 'browser' ? 'include' : 'omit',
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`GET /api/conversations answered ${response.status}`);
  return conversationListResponseSchema.parse(await response.json()).conversations;
}
