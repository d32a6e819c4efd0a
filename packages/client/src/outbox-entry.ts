// What the outbox holds about one message, and the rules that do not need the outbox itself.
import {
  ErrorCode,
  isRetryableErrorCode,
  type ApiError,
  type Attachment,
  type Message,
  type ReplyPreview,
  type SendMessagePayload,
  type UploadKind,
} from '@parley/shared';
import type { BackoffOptions } from './backoff.js';
import type { Clock, Logger } from './ports.js';
import type { RequestResult } from './request.js';
import type { OutboxRecord, OutboxStorage } from './storage.js';
import type { UploadResult } from './upload.js';

/**
 * `pending`: waiting for its turn or for a connection; `uploading`: its file is going to the server
 * (POST /api/uploads), the step before its send; `sending`: an attempt is out; `sent`: the server
 * acknowledged it (`message` is the stored message); `failed`: refused for a reason a retry as is
 * cannot fix (`error`), waiting for retry() or discard().
 */
export type OutboxState = 'pending' | 'uploading' | 'sending' | 'failed' | 'sent';

/** How one attempt ended: `disconnected` and `timeout` mean no acknowledgement came (outcome unknown). */
export type AttemptOutcome = 'ok' | 'error' | 'timeout' | 'disconnected';

export interface Attempt {
  /** `upload`: the file's POST /api/uploads; `send`: message:send. */
  step: 'upload' | 'send';
  outcome: AttemptOutcome;
  code?: ApiError['code'];
  /** What a retryable refusal asked the client to wait (ms). */
  retryAfterMs?: number;
  /** Clock time the attempt went out (ms). */
  startedAt: number;
  durationMs: number;
}

/** A message written by this client, from the moment it is queued. Read-only for callers. */
export interface OutboxEntry {
  readonly clientMsgId: string;
  readonly conversationId: number;
  readonly text: string;
  readonly replyToId: number | null;
  /** The quoted message as it looked when this one was written (see SendOptions.replyTo). */
  readonly replyTo: ReplyPreview | null;
  readonly createdAt: string;
  readonly order: number;
  state: OutboxState;
  /** This process's attempts (not saved: a restored entry starts with none). */
  attempts: Attempt[];
  message: Message | null;
  error: ApiError | null;
  /** The file sent with the message (uploaded first, then named by message:send), or null. */
  readonly attachment: OutboxAttachment | null;
}

/**
 * A message's file while it is in the outbox. `file` is the content as given (kept in storage until
 * the message is acknowledged, so a restart can upload it again); `uploaded` is the server's answer
 * once the upload succeeded; `progress` is the current upload's bytes sent of the request body's
 * total (null when no upload is running), updated at most every UPLOAD_PROGRESS_INTERVAL_MS.
 */
export interface OutboxAttachment {
  readonly kind: UploadKind;
  readonly fileName: string;
  /** Blob.type as the runtime gave it (may be empty); the server decides the real type from the bytes. */
  readonly mime: string;
  /** Blob.size. */
  readonly byteSize: number;
  readonly file: Blob;
  uploaded: Attachment | null;
  progress: { loaded: number; total: number } | null;
}

/** What may come with a message's text. */
export interface SendOptions {
  /** The message this one replies to. */
  replyToId?: number;
  /**
   * How the quoted message looks now, kept with the entry (and in storage) for showing the pending
   * message; its id is the replyToId when that is not given.
   */
  replyTo?: ReplyPreview;
  /**
   * A file to send with the message: uploaded as `kind` first (POST /api/uploads), then sent with
   * the text as its caption (which may then be empty). `fileName` is the name the server keeps.
   */
  attachment?: { kind: UploadKind; file: Blob; fileName: string };
}

/** What the outbox gives its upload driver for one upload (the client adds its origin and auth). */
export interface UploadStep {
  kind: UploadKind;
  file: Blob;
  fileName: string;
  signal: AbortSignal;
  onProgress(loaded: number, total: number): void;
}

export interface OutboxDeps {
  storage: OutboxStorage;
  clock: Clock;
  logger: Logger;
  /** `message:send` through the transport. */
  send(payload: SendMessagePayload): Promise<RequestResult<Message>>;
  /** POST /api/uploads through the client's Uploader. */
  upload(step: UploadStep): Promise<UploadResult>;
  isConnected(): boolean;
  /** An acknowledged message, to hold like any other copy. */
  stored(message: Message): void;
  /** Every change of an entry's state. */
  changed(entry: OutboxEntry): void;
  retry: BackoffOptions;
  newId(): string;
}

/** An unexpected server error may be a passing fault, but not one worth retrying for ever. */
const INTERNAL_FAILURES_MAX = 5;

/**
 * Whether a refusal leaves the message pending. The shared retryable codes do; `server/internal` does
 * a few times; a session that ended under the send (`auth/unauthenticated`) is not the message's
 * fault either, and it goes out once signed in again. Anything else is about the message itself.
 */
export function isTransient(code: string, failuresSoFar: number): boolean {
  if (code === ErrorCode.Internal) return failuresSoFar < INTERNAL_FAILURES_MAX;
  if (code === ErrorCode.Unauthenticated) return true;
  return isRetryableErrorCode(code);
}

export function toRecord(entry: OutboxEntry): OutboxRecord {
  return {
    clientMsgId: entry.clientMsgId,
    conversationId: entry.conversationId,
    text: entry.text,
    replyToId: entry.replyToId,
    replyTo: entry.replyTo,
    createdAt: entry.createdAt,
    order: entry.order,
    state: entry.state === 'failed' ? 'failed' : 'pending',
    errorCode: entry.state === 'failed' ? (entry.error?.code ?? null) : null,
    ...(entry.attachment
      ? {
          attachment: {
            kind: entry.attachment.kind,
            fileName: entry.attachment.fileName,
            mime: entry.attachment.mime,
            byteSize: entry.attachment.byteSize,
            file: entry.attachment.file,
            uploaded: entry.attachment.uploaded,
          },
        }
      : {}),
  };
}
