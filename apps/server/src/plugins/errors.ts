import { ErrorCode, type ErrorIssue, type ErrorResponse } from '@parley/shared';
import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, toAppError } from '../lib/app-error.js';

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

/** Fastify's own client errors (bad JSON, wrong content type, body too large) under Parley's codes. */
function fromFastifyError(error: FastifyError): AppError | null {
  if (error.validation) {
    const issues = issuesOf(error.validation, error.validationContext);
    const first = issues[0];
    return new AppError(
      ErrorCode.Invalid,
      first ? `${first.path}: ${first.message}` : 'Invalid request',
      issues,
    );
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new AppError(ErrorCode.PayloadTooLarge, 'The request body is too large');
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new AppError(ErrorCode.Invalid, error.message);
  }
  return null;
}

export default fp(
  async (fastify) => {
    fastify.setErrorHandler((error: FastifyError, request, reply) => {
      const appError = error instanceof AppError ? error : (fromFastifyError(error) ?? toAppError(error));
      if (appError.code === ErrorCode.Internal) {
        request.log.error({ err: error }, 'request failed');
      } else if (appError.statusCode >= 500) {
        // Overload or an outage: expected under load, and answered as retryable.
        request.log.warn({ err: error }, 'request refused for now');
      }
      if (appError.retryAfterMs !== undefined) {
        // RFC 9110 §10.2.3: whole seconds.
        void reply.header('retry-after', String(Math.max(1, Math.ceil(appError.retryAfterMs / 1000))));
      }
      const body: ErrorResponse = { error: appError.toJSON() };
      return reply.status(appError.statusCode).send(body);
    });
  },
  { name: 'errors' },
);
