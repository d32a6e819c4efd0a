import { ErrorCode, type ApiError, type ErrorIssue } from '@parley/shared';
import type { ZodError } from 'zod';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.Invalid]: 400,
  [ErrorCode.RouteNotFound]: 404,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.RequestTimeout]: 408,
  [ErrorCode.UsernameTaken]: 409,
  [ErrorCode.InvalidCredentials]: 401,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.AccountDeactivated]: 403,
  [ErrorCode.OriginNotAllowed]: 403,
  [ErrorCode.ConversationNotFound]: 404,
  [ErrorCode.NotMember]: 403,
  [ErrorCode.UnknownMembers]: 400,
  [ErrorCode.MessageNotFound]: 404,
  [ErrorCode.NotAuthor]: 403,
  [ErrorCode.MessageDeleted]: 409,
  [ErrorCode.UserNotFound]: 404,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.Internal]: 500,
};

/** An expected failure: carries a stable code, and an HTTP status derived from it. */
export class AppError extends Error {
  override name = 'AppError';
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ErrorIssue[],
  ) {
    super(message);
    this.statusCode = STATUS_BY_CODE[code];
  }

  toJSON(): ApiError {
    return this.issues
      ? { code: this.code, message: this.message, issues: this.issues }
      : { code: this.code, message: this.message };
  }
}

export function issuesFromZod(error: ZodError): ErrorIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

export function invalid(error: ZodError): AppError {
  const issues = issuesFromZod(error);
  const first = issues[0];
  const summary = first ? `${first.path || 'payload'}: ${first.message}` : 'invalid payload';
  return new AppError(ErrorCode.Invalid, summary, issues);
}

/** Prisma/driver errors that mean "the database is not reachable right now", worth a retry. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && ['P1001', 'P1002', 'P1008', 'P1017', 'P2024'].includes(code)) return true;
  const name = error.name;
  if (name === 'PrismaClientInitializationError') return true;
  const text = `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}`;
  return /ECONNREFUSED|ECONNRESET|ER_GET_CONNECTION_TIMEOUT|pool timeout|Connection closed|socket has unexpectedly been closed|ETIMEDOUT|connect ECONN/i.test(
    text,
  );
}

/** Maps anything thrown by a feature to the error a client may see. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isDatabaseUnavailable(error)) {
    return new AppError(ErrorCode.Unavailable, 'The database is unavailable; try again shortly');
  }
  return new AppError(ErrorCode.Internal, 'Something went wrong on the server');
}
