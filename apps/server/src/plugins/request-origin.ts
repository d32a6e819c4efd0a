import { ErrorCode } from '@parley/shared';
import fp from 'fastify-plugin';
import { AppError } from '../lib/app-error.js';
import { isAllowedRequestOrigin } from '../lib/request-origin.js';

/** Methods that may change state; GET and HEAD must not, so they are not checked. */
const STATE_CHANGING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Cross-site request forgery defence for every HTTP route, present and future: a state-changing
 * request from an origin outside `allowedOrigins` is refused with 403 `auth/origin_not_allowed`
 * before its body is read, whatever its content type (a cross-origin `text/plain` or form POST
 * needs no CORS preflight, and a JSON one must not depend on the browser's preflight either).
 * The rule is `isAllowedRequestOrigin`, shared with the socket handshake.
 */
export default fp<{ allowedOrigins: string[] }>(
  async (fastify, { allowedOrigins }) => {
    fastify.addHook('onRequest', async (request) => {
      if (!STATE_CHANGING_METHODS.has(request.method)) return;
      if (isAllowedRequestOrigin(request.headers, allowedOrigins)) return;
      request.log.warn(
        { origin: request.headers.origin, secFetchSite: request.headers['sec-fetch-site'] },
        'request refused: origin not allowed',
      );
      throw new AppError(ErrorCode.OriginNotAllowed, 'Requests from this origin are not allowed');
    });
  },
  { name: 'request-origin', dependencies: ['errors'] },
);
