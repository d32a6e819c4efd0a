import {
  ErrorCode,
  isErrorCode,
  uploadResponseSchema,
  type ApiError,
  type Attachment,
  type UploadKind,
} from '@parley/shared';
import { authHeaders, type ParleyAuth } from './auth.js';

/** One file to send to POST /api/uploads?kind=…, as the outbox asks an Uploader for it. */
export interface UploadRequest {
  /** The server's origin (ParleyClientOptions.url). */
  url: string;
  auth: ParleyAuth;
  kind: UploadKind;
  file: Blob;
  /** The name the server keeps (cleaned of directories and control characters there). */
  fileName: string;
  /** Aborted when the message is discarded or the client stops: the upload ends as `aborted`. */
  signal: AbortSignal;
  /** Bytes of the request body sent so far, of `total`; as often as the driver can tell. */
  onProgress(loaded: number, total: number): void;
}

/**
 * How an upload ended. `ok`: the server stored it (HTTP 201). Otherwise the server's refusal, or a
 * `server/unavailable` made here when no answer came (`lost`), which the outbox retries; `aborted`
 * when the request's signal stopped it.
 */
export type UploadResult =
  { ok: true; upload: Attachment } | { ok: false; error: ApiError; lost?: boolean; aborted?: boolean };

/**
 * The upload port: how the outbox sends a file over HTTP. Two drivers: `fetchUploader` (any runtime
 * with fetch; progress only at the start and the end) and the browser's `xhrUploader`
 * (`@parley/client/browser`, progress from XMLHttpRequest's upload events). Never rejects.
 */
export interface Uploader {
  upload(request: UploadRequest): Promise<UploadResult>;
}

/** The multipart field the file travels in (the server takes the one file part, whatever its name). */
export const UPLOAD_FIELD = 'file';

/** POST /api/uploads?kind=… on `url`. */
export function uploadUrl(url: string, kind: UploadKind): string {
  const target = new URL('/api/uploads', url);
  target.searchParams.set('kind', kind);
  return target.toString();
}

/** The multipart body: one file part, named as the file. */
export function uploadForm(file: Blob, fileName: string): FormData {
  const form = new FormData();
  form.append(UPLOAD_FIELD, file, fileName);
  return form;
}

/** Retry-After (RFC 9110 §10.2.3: seconds or an HTTP date) in milliseconds, if given and sensible. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

type UploadFailure = Extract<UploadResult, { ok: false }>;

/** The answer the outbox gets when no answer came (network down, connection reset, timeout). */
export function lostUpload(message: string): UploadFailure {
  return { ok: false, error: { code: ErrorCode.Unavailable, message }, lost: true };
}

/** The answer of an upload its signal stopped. */
export function abortedUpload(): UploadFailure {
  return { ...lostUpload('upload aborted'), aborted: true };
}

/**
 * Reads the server's answer to an upload: 201 with the attachment, or an error body with a Parley
 * code. An answer that is neither (a proxy's HTML page) is classified by its status: 5xx and 429 as
 * retryable (`server/unavailable`, `request/rate_limited`), anything else as `server/internal`.
 * `retryAfter` is the Retry-After header; the body's own `retryAfterMs` wins over it.
 */
export function readUploadAnswer(status: number, body: string, retryAfter: string | null): UploadResult {
  let parsed: unknown = null;
  try {
    parsed = body ? JSON.parse(body) : null;
  } catch {
    parsed = null;
  }
  if (status === 201) {
    const answer = uploadResponseSchema.safeParse(parsed);
    if (answer.success) return { ok: true, upload: answer.data.upload };
    return { ok: false, error: { code: ErrorCode.Internal, message: 'malformed upload answer' } };
  }
  const error = (parsed as { error?: Partial<ApiError> } | null)?.error;
  const waitMs = retryAfterMs(retryAfter, Date.now());
  const wait = waitMs !== undefined ? { retryAfterMs: waitMs } : {};
  if (error && isErrorCode(error.code) && typeof error.message === 'string')
    return { ok: false, error: { ...wait, ...(error as ApiError) } };
  const code =
    status === 429 ? ErrorCode.RateLimited : status >= 500 ? ErrorCode.Unavailable : ErrorCode.Internal;
  return { ok: false, error: { code, message: `upload answered HTTP ${status}`, ...wait } };
}

/**
 * Uploads with fetch: works in Node (bots, tests) and browsers, but fetch cannot tell how much of a
 * request body went out, so progress is reported only at the start (0) and the end (all of it).
 */
export const fetchUploader: Uploader = {
  async upload({ url, auth, kind, file, fileName, signal, onProgress }) {
    onProgress(0, file.size);
    let response: Response;
    let body: string;
    try {
      response = await fetch(uploadUrl(url, kind), {
        method: 'POST',
        headers: authHeaders(auth),
        credentials: auth.kind === 'browser' ? 'include' : 'omit',
        body: uploadForm(file, fileName),
        signal,
      });
      body = await response.text();
    } catch (error) {
      if (signal.aborted) return abortedUpload();
      return lostUpload(`upload failed: ${String(error)}`);
    }
    if (response.status === 201) onProgress(file.size, file.size);
    return readUploadAnswer(response.status, body, response.headers.get('retry-after'));
  },
};
