import {
  CONVERSATION_PAGE_MAX,
  conversationListResponseSchema,
  sessionResponseSchema,
  type ConversationListResponse,
  type CurrentUser,
} from '@parley/shared';
import { authHeaders, type ParleyAuth } from './auth.js';

async function getJson(url: string, path: string, auth: ParleyAuth): Promise<unknown> {
  const response = await fetch(new URL(path, url), {
    headers: authHeaders(auth),
    credentials: auth.kind === 'browser' ? 'include' : 'omit',
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
  return response.json();
}

/**
 * The few HTTP calls the engine makes itself (the conversation list it tracks). With `browser` auth
 * the browser sends its cookie (`credentials: 'include'`); the other kinds go in a header.
 *
 * One page of the caller's conversations, most recently active first, `CONVERSATION_PAGE_MAX` at
 * most: pass the answer's `nextCursor` for the next page (null for the first), until it is null.
 */
export async function fetchConversationPage(
  url: string,
  auth: ParleyAuth,
  cursor: string | null,
): Promise<ConversationListResponse> {
  const query = new URLSearchParams({ limit: String(CONVERSATION_PAGE_MAX) });
  if (cursor !== null) query.set('cursor', cursor);
  return conversationListResponseSchema.parse(await getJson(url, `/api/conversations?${query}`, auth));
}

/**
 * Who `auth` signs in as (GET /api/auth/me): a bot learns its own id and username this way, to tell
 * its own messages from others'. Throws on a refusal (e.g. a revoked token: HTTP 401).
 */
export async function fetchCurrentUser(url: string, auth: ParleyAuth): Promise<CurrentUser> {
  return sessionResponseSchema.parse(await getJson(url, '/api/auth/me', auth)).user;
}
