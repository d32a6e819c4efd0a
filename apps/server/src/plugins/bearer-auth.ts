import { ErrorCode } from '@parley/shared';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../lib/app-error.js';

/** Who a bearer token stands for; `sessionId` names the token's socket room (features/bots/bot-tokens.ts). */
export interface BearerIdentity {
  userId: number;
  tokenId: number;
  sessionId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request carried a valid `Authorization: Bearer` token; null otherwise. */
    bearer: BearerIdentity | null;
  }
}

export interface BearerAuthOptions {
  /** Resolves a token, or throws an AppError (`auth/invalid_token`, `auth/token_revoked`, `auth/deactivated`). */
  authenticate(token: string): Promise<BearerIdentity>;
}

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1; the scheme is
 * case-insensitive, RFC 9110 §11.1); undefined without one; '' for a malformed one.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^bearer +(\S+) *$/i.exec(header);
  return match ? match[1] : '';
}

/**
 * Bearer tokens on every HTTP route: a request that sends one is that bot's (requireUserId reads
 * `request.bearer` first), and a bad one is refused before any route runs (401 with the reason's
 * code), so a bot never falls back to acting without its identity.
 */
export default fp<BearerAuthOptions>(
  async (fastify, { authenticate }) => {
    fastify.decorateRequest('bearer', null);
    fastify.addHook('onRequest', async (request: FastifyRequest) => {
      const token = bearerToken(request.headers.authorization);
      if (token === undefined) return;
      if (token === '') throw new AppError(ErrorCode.InvalidToken, 'Authorization must be "Bearer <token>"');
      request.bearer = await authenticate(token);
    });
  },
  { name: 'bearer-auth' },
);
