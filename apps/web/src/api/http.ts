import { ErrorCode, isErrorCode, type ErrorIssue } from '@parley/shared';
import type { z } from 'zod';

/** Codes the client raises itself when no server answer could be read. */
export const ClientErrorCode = {
  Network: 'client/network',
  Timeout: 'client/timeout',
  BadResponse: 'client/bad_response',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';

  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    readonly status: number,
    readonly issues: readonly ErrorIssue[] = [],
  ) {
    super(message);
  }
}

export function isApiRequestError(error: unknown): error is ApiRequestError {
  return error instanceof ApiRequestError;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
}

function buildUrl(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function toIssues(value: unknown): ErrorIssue[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((issue: unknown) =>
    isRecord(issue) && typeof issue.path === 'string' && typeof issue.message === 'string'
      ? [{ path: issue.path, message: issue.message }]
      : [],
  );
}

/** Reads `{ error: { code, message, issues } }`; anything else becomes a generic error for the status. */
function errorFromBody(status: number, body: unknown): ApiRequestError {
  const error = isRecord(body) ? body.error : undefined;
  if (isRecord(error) && isErrorCode(error.code)) {
    const message = typeof error.message === 'string' ? error.message : error.code;
    return new ApiRequestError(error.code, message, status, toIssues(error.issues));
  }
  const fallback =
    status === 401
      ? ErrorCode.Unauthenticated
      : status === 429
        ? ErrorCode.RateLimited
        : status === 404
          ? ErrorCode.RouteNotFound
          : status === 503
            ? ErrorCode.Unavailable
            : ErrorCode.Internal;
  return new ApiRequestError(fallback, `HTTP ${status}`, status);
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Sends a same-origin JSON request and validates the answer with the shared schema,
 * so callers get typed data or an ApiRequestError, never an unchecked body.
 */
export async function request<S extends z.ZodType>(
  method: Method,
  path: string,
  schema: S,
  options?: RequestOptions,
): Promise<z.output<S>>;
export async function request(
  method: Method,
  path: string,
  schema: null,
  options?: RequestOptions,
): Promise<void>;
export async function request<S extends z.ZodType>(
  method: Method,
  path: string,
  schema: S | null,
  options: RequestOptions = {},
): Promise<z.output<S> | void> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = { method, credentials: 'same-origin', headers, signal: options.signal };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }

  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), init);
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiRequestError(ClientErrorCode.Network, 'network error', 0);
  }

  const body = await readJson(response);
  if (!response.ok) throw errorFromBody(response.status, body);
  if (schema === null) return;

  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    console.error(`Unexpected response from ${method} ${path}`, parsed.error.issues);
    throw new ApiRequestError(ClientErrorCode.BadResponse, 'unexpected response', response.status);
  }
  return parsed.data;
}
