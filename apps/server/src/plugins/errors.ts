import { ErrorCode, type ErrorIssue, type ErrorResponse } from '@parley/shared';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, toAppError } from '../lib/app-error.js';
import { refusalLogOf } from '../lib/refusal-log.js';

interface ValidationEntry {
  instancePath?: string;
  message?: string;
}

function issuesOf(validation: ValidationEntry[], context: string | undefined): ErrorIssue[] {
  return validation.map((entry) => {
    const field = (entry.instancePath ?? '').split('/').filter(Boolean).join('.');
    return { path: [context, field].filter(Boolean).join('.'), message: entry.message ?? 'is invalid' };
  });
}

/**
 * Fastify's body parser refusals (its FST_ERR_CTP_* errors), each under the Parley code that tells a
 * caller what to change; the status follows from the code (lib/app-error.ts). Routes parse JSON only
 * (app.ts; uploads multipart), so a body of another type is refused before it is read.
 */
function bodyParserRefusal(error: FastifyError, request: FastifyRequest): AppError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(
        ErrorCode.UnsupportedMediaType,
        'The body must be JSON, sent with Content-Type: application/json',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(
        ErrorCode.PayloadTooLarge,
        `The request body is larger than the ${request.routeOptions.bodyLimit} bytes the server takes`,
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError(ErrorCode.Invalid, 'The body is not valid JSON');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError(
        ErrorCode.Invalid,
        'The body is empty but its Content-Type says JSON: send JSON, or no Content-Type',
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError(ErrorCode.Invalid, 'The body is not as long as its Content-Length says');
  }
  return null;
}

/**
 * Other client errors of Fastify or its plugins, by status: a refusal of the body's size or type keeps
 * its status and meaning; any other 4xx is `request/invalid` (400).
 */
const CODE_BY_CLIENT_STATUS: Readonly<Record<number, ErrorCode>> = {
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
};

/** Fastify's own client errors (schema failures, body parser refusals) under Parley's codes. */
function fromFastifyError(error: FastifyError, request: FastifyRequest): AppError | null {
  if (error.validation) {
    const issues = issuesOf(error.validation, error.validationContext);
    const first = issues[0];
    return new AppError(
      ErrorCode.Invalid,
      first ? `${first.path}: ${first.message}` : 'Invalid request',
      issues,
    );
  }
  const refusal = bodyParserRefusal(error, request);
  if (refusal) return refusal;
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new AppError(CODE_BY_CLIENT_STATUS[status] ?? ErrorCode.Invalid, error.message);
  }
  return null;
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (Fastify's `clientErrorHandler`),
 * answered with Parley's error body like any other failure, then the connection is closed:
 * the request timeout (408 `request/timeout`), headers over Node's size limit (431
 * `request/too_large`) and malformed HTTP (400 `request/invalid`). A reset connection gets nothing.
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let appError = new AppError(ErrorCode.Invalid, 'Malformed HTTP request');
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    appError = new AppError(ErrorCode.RequestTimeout, 'The request did not arrive in time');
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    appError = new AppError(ErrorCode.PayloadTooLarge, 'The request headers are too large');
  }
  this.log.debug({ err: error, status }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({ error: appError.toJSON() } satisfies ErrorResponse);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * What Fastify's router refuses before any route or error handler runs (a malformed URL, a path
 * parameter over `maxParamLength`): 400 `request/invalid` with Parley's error body, like every other
 * bad request, instead of Fastify's own body (which echoes the path back). Passed to `Fastify()`
 * as `frameworkErrors`.
 */
export function frameworkErrors(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  request.log.debug({ err: error }, 'request refused by the router');
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long' : 'Malformed URL';
  const body: ErrorResponse = { error: new AppError(ErrorCode.Invalid, message).toJSON() };
  return reply.status(400).send(body);
}

export default fp(
  async (fastify) => {
    fastify.setErrorHandler((error: FastifyError, request, reply) => {
      const appError =
        error instanceof AppError ? error : (fromFastifyError(error, request) ?? toAppError(error));
      if (appError.code === ErrorCode.Internal) {
        request.log.error({ err: error }, 'request failed');
      } else if (appError.statusCode >= 500) {
        // Overload or an outage: expected under load, answered as retryable, logged in summaries.
        refusalLogOf(fastify.log).record(request.routeOptions.url ?? request.url, appError, {
          err: error,
          reqId: request.id,
        });
      }
      if (appError.retryAfterMs !== undefined) {
        // RFC 9110 §10.2.3: whole seconds.
        void reply.header('retry-after', String(Math.max(1, Math.ceil(appError.retryAfterMs / 1000))));
      }
      const body: ErrorResponse = { error: appError.toJSON() };
      return reply.status(appError.statusCode).send(body);
    });
    // Registered first, so this runs last of the onClose hooks: after the sockets and the send
    // batches are done, whatever they refused on the way is counted in this last summary.
    fastify.addHook('onClose', async () => {
      refusalLogOf(fastify.log).flush();
    });
  },
  { name: 'errors' },
);
