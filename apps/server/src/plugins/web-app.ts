import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { ErrorCode, type ErrorResponse } from '@parley/shared';
import fp from 'fastify-plugin';

/**
 * Serves the built single-page app, and answers unknown paths: JSON 404 for the API, index.html
 * for anything else so client-side routes survive a reload.
 */
export default fp<{ root: string | null }>(
  async (fastify, { root }) => {
    const hasApp = root !== null && existsSync(join(root, 'index.html'));
    if (hasApp) {
      await fastify.register(fastifyStatic, { root, wildcard: false, index: 'index.html' });
    } else {
      fastify.log.info({ root }, 'no built web app found; serving the API only');
    }

    fastify.setNotFoundHandler((request, reply) => {
      const wantsPage =
        request.method === 'GET' &&
        !request.url.startsWith('/api/') &&
        request.headers.accept?.includes('text/html');
      if (hasApp && wantsPage) return reply.sendFile('index.html');
      const body: ErrorResponse = {
        error: {
          code: ErrorCode.RouteNotFound,
          message: `No route ${request.method} ${request.url.split('?')[0]}`,
        },
      };
      return reply.status(404).send(body);
    });
  },
  { name: 'web-app' },
);
