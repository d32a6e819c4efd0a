import {
  messageSearchQuerySchema,
  messageSearchResponseSchema,
  searchTerms,
  type MessageSearchQuery,
  type MessageSearchResponse,
} from '@parley/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Pool } from 'mariadb';
import { failpoint } from '../../lib/failpoints.js';
import type { SendQueue } from '../../lib/send-queue.js';
import { requireSignedIn, requireUserId } from '../auth/require-user.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { MessagesRepository } from '../messages/messages.repository.js';

/** Searches a person may make per minute: typing a query searches as it pauses (the web app). */
const SEARCHES_PER_MINUTE = 120;
/**
 * Seconds one search's statement may run (MariaDB's max_statement_time); past it the search is
 * refused `server/busy`. A very common word on a large site makes Mroonga return every match before
 * the membership join (docs/architecture.md, "Search").
 */
const SEARCH_STATEMENT_TIMEOUT_S = 5;

/**
 * A query in Mroonga's BOOLEAN MODE syntax (Groonga's query syntax,
 * https://groonga.org/docs/reference/grn_expr/query_syntax.html) that matches messages containing
 * every term: each a required phrase (`+"…"`), with `"` and `\` escaped inside it, so nothing a
 * person types is read as an operator. Starting with `+`, it can never be read as a `*D` pragma.
 */
export function toBooleanQuery(terms: readonly string[]): string {
  return terms.map((term) => `+"${term.replace(/["\\]/g, '\\$&')}"`).join(' ');
}

export interface MessageSearchDeps {
  /** Search's own connections (`searchQueryPool`), so a slow search holds up only other searches. */
  pool: Pool;
  conversations: Pick<ConversationsService, 'assertMember'>;
  messages: Pick<MessagesRepository, 'findMessagesByIds'>;
}

export interface SearchRoutesOptions extends MessageSearchDeps {
  /**
   * Admission control (lib/send-queue.ts, as `message:send` has it): one search per person at a
   * time, people taking turns at the pool's connections, a few waiting per person and the rest
   * refused `server/busy`. Forty searches at once from one person, each a second long on a large
   * index, held every connection of the shared pool and other people's requests were refused.
   */
  queue: SendQueue;
}

/**
 * Messages of the caller's conversations matching `query` (messageSearchQuerySchema), newest first.
 * Only conversations the caller is a member of now are searched; a deleted message is never found
 * (the index empties it, and a result deleted since is left out). Rejects with
 * `conversation/not_found` when `conversationId` names one the caller is not in.
 */
export async function searchMessages(
  { pool, conversations, messages }: MessageSearchDeps,
  userId: number,
  query: MessageSearchQuery,
): Promise<MessageSearchResponse> {
  if (query.conversationId !== undefined) await conversations.assertMember(query.conversationId, userId);
  const conditions = ['MATCH(s.text) AGAINST(? IN BOOLEAN MODE)'];
  const values: unknown[] = [userId, toBooleanQuery(searchTerms(query.q))];
  if (query.conversationId !== undefined) {
    conditions.push('s.conversationId = ?');
    values.push(query.conversationId);
  }
  if (query.before !== undefined) {
    conditions.push('s.messageId < ?');
    values.push(query.before);
  }
  const held = failpoint('message-search:query');
  if (held) await held;
  // The full-text index first, then membership by its primary key: one more than a page, to know
  // whether there is a next one. Bounded in time: past it, MariaDB ends it with error 1969, which
  // lib/db-failures.ts answers `server/busy`.
  const rows = await pool.query<Array<{ messageId: number }>>(
    `SET STATEMENT max_statement_time = ${SEARCH_STATEMENT_TIMEOUT_S} FOR
     SELECT s.messageId
       FROM message_search s
            STRAIGHT_JOIN memberships mb ON mb.conversationId = s.conversationId AND mb.userId = ?
      WHERE ${conditions.join(' AND ')}
      ORDER BY s.messageId DESC
      LIMIT ?`,
    [...values, query.limit + 1],
  );
  const ids = rows.slice(0, query.limit).map((row) => Number(row.messageId));
  const found = new Map((await messages.findMessagesByIds(ids)).map((message) => [message.id, message]));
  return {
    messages: ids.flatMap((id) => {
      const message = found.get(id);
      return message && message.deletedAt === null ? [message] : [];
    }),
    nextBefore: rows.length > query.limit ? ids[ids.length - 1]! : null,
  };
}

const searchRoutes: FastifyPluginAsync<SearchRoutesOptions> = async (fastify, { queue, ...deps }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  // Every route here needs a signed-in caller: 401 before validation (features/auth/require-user.ts).
  app.addHook('onRequest', requireSignedIn);
  const searches = fastify.createLimiter('message-search', {
    points: SEARCHES_PER_MINUTE,
    durationSeconds: 60,
  });

  app.get(
    '/api/search/messages',
    { schema: { querystring: messageSearchQuerySchema, response: { 200: messageSearchResponseSchema } } },
    async (request) => {
      const userId = requireUserId(request);
      await searches.consume(String(userId));
      return queue.take(userId).run(() => searchMessages(deps, userId, request.query));
    },
  );
};

export default searchRoutes;
