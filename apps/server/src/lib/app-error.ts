import { ErrorCode, type ApiError, type ErrorIssue } from '@parley/shared';
import type { ZodError } from 'zod';
import { classifyDatabaseFailure } from './db-failures.js';

/**
 * How long a client told `server/busy` waits before its retry. Long enough for a burst to drain
 * (a send holds a connection for a few ms), short enough not to be noticed; clients add jitter.
 */
export const BUSY_RETRY_AFTER_MS = 500;

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.Invalid]: 400,
  [ErrorCode.RouteNotFound]: 404,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.RequestTimeout]: 408,
  [ErrorCode.UnsupportedMediaType]: 415,
  [ErrorCode.UsernameTaken]: 409,
  [ErrorCode.RegistrationClosed]: 403,
  [ErrorCode.InviteRequired]: 403,
  [ErrorCode.InvalidCredentials]: 401,
  [ErrorCode.WrongPassword]: 403,
  [ErrorCode.PersonOnly]: 403,
  [ErrorCode.PasswordChanged]: 401,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.AccountDeactivated]: 403,
  [ErrorCode.BotPasswordLogin]: 401,
  [ErrorCode.InvalidToken]: 401,
  [ErrorCode.TokenRevoked]: 401,
  [ErrorCode.OriginNotAllowed]: 403,
  [ErrorCode.ConversationNotFound]: 404,
  [ErrorCode.NotMember]: 403,
  [ErrorCode.UnknownMembers]: 400,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.GroupRule]: 409,
  [ErrorCode.Archived]: 403,
  [ErrorCode.Muted]: 403,
  [ErrorCode.AdminsOnly]: 403,
  [ErrorCode.SlowMode]: 429,
  [ErrorCode.Banned]: 403,
  [ErrorCode.InviteNotFound]: 404,
  [ErrorCode.InviteExpired]: 410,
  [ErrorCode.MessageNotFound]: 404,
  [ErrorCode.NotAuthor]: 403,
  [ErrorCode.MessageDeleted]: 409,
  [ErrorCode.CompanionUnavailable]: 503,
  [ErrorCode.CompanionModelDown]: 502,
  [ErrorCode.CompanionModelSlow]: 504,
  [ErrorCode.CompanionModelError]: 502,
  [ErrorCode.CompanionModelGarbage]: 502,
  [ErrorCode.CompanionRateLimited]: 429,
  [ErrorCode.CompanionNotFound]: 404,
  [ErrorCode.NotRetryable]: 409,

  [ErrorCode.UploadNotFound]: 404,
  [ErrorCode.UploadForbidden]: 403,
  [ErrorCode.UploadAlreadyAttached]: 409,
  [ErrorCode.UploadUnsupportedType]: 415,
  [ErrorCode.UploadEmpty]: 400,
  [ErrorCode.UploadTooManyPixels]: 413,
  [ErrorCode.UploadUnreadable]: 422,
  [ErrorCode.UploadTooLong]: 413,
  [ErrorCode.UploadVoiceUnavailable]: 503,
  [ErrorCode.RangeNotSatisfiable]: 416,
  [ErrorCode.UserNotFound]: 404,
  [ErrorCode.AdminOnly]: 403,
  [ErrorCode.BotNotFound]: 404,
  [ErrorCode.LastAdmin]: 409,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.Busy]: 503,
  [ErrorCode.Internal]: 500,
};

/**
 * An expected failure: carries a stable code, and an HTTP status derived from it. `retryAfterMs`
 * (busy, rate limited) reaches the client in the error body or ack, and as `Retry-After` over HTTP.
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ErrorIssue[],
    readonly retryAfterMs?: number,
    /** `conversation/muted`: when the mute ends (ISO 8601). */
    readonly until?: string,
  ) {
    super(message);
    this.statusCode = STATUS_BY_CODE[code];
  }

  toJSON(): ApiError {
    return {
      code: this.code,
      message: this.message,
      ...(this.issues ? { issues: this.issues } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
      ...(this.until !== undefined ? { until: this.until } : {}),
    };
  }
}

/**
 * Makes an error without capturing a stack trace: for refusals that come in floods under load
 * (busy, rate limited), where the trace says nothing (the code and message do) and capturing and
 * formatting one per refusal was measurable CPU (V8 captures a trace in every `Error` constructor,
 * up to `Error.stackTraceLimit` frames).
 */
export function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The server is overloaded: nothing was done, try the same request again after `retryAfterMs`. */
export function busy(message: string, retryAfterMs = BUSY_RETRY_AFTER_MS): AppError {
  return withoutStack(() => new AppError(ErrorCode.Busy, message, undefined, retryAfterMs));
}

/** `context` names where an HTTP field came from, as the schema errors of routes do ("body.name"). */
export function issuesFromZod(error: ZodError, context?: string): ErrorIssue[] {
  return error.issues.map((issue) => ({
    path: [context, ...issue.path].filter((part) => part !== undefined).join('.'),
    message: issue.message,
  }));
}

/** `request/invalid` with zod's issues: a body checked in a handler gives `context` 'body'. */
export function invalid(error: ZodError, context?: 'body' | 'query' | 'params'): AppError {
  const issues = issuesFromZod(error, context);
  const first = issues[0];
  const summary = first ? `${first.path || 'payload'}: ${first.message}` : 'invalid payload';
  return new AppError(ErrorCode.Invalid, summary, issues);
}

/**
 * Maps anything thrown by a feature to the error a client may see. A failure that may pass on a retry
 * (lib/db-failures.ts) is never answered as the final `server/internal`.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const retryable = classifyDatabaseFailure(error);
  if (retryable?.answer === 'busy') {
    return busy(`The server is busy (${retryable.class.replaceAll('_', ' ')}); try again shortly`);
  }
  if (retryable?.answer === 'unavailable') {
    return new AppError(ErrorCode.Unavailable, 'The database is unavailable; try again shortly');
  }
  return new AppError(ErrorCode.Internal, 'Something went wrong on the server');
}
