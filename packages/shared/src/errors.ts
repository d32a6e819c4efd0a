/**
 * Stable error codes. Clients switch on these, never on messages; the web app maps each to words.
 * A code is never renamed or reused once released.
 */
export const ErrorCode = {
  /** Any HTTP body, query, param or socket payload that fails its shared schema. */
  Invalid: 'request/invalid',
  /** An HTTP route that does not exist. */
  RouteNotFound: 'request/not_found',
  /** Login, registration or socket flood limits (HTTP 429 or a socket ack). */
  RateLimited: 'request/rate_limited',
  /** A request body or socket frame larger than the server accepts (HTTP 413; 431 for headers). */
  PayloadTooLarge: 'request/too_large',
  /**
   * An HTTP request whose headers and body did not all arrive within HTTP_REQUEST_TIMEOUT_MS of its
   * first byte (HTTP 408; the server closes the connection).
   */
  RequestTimeout: 'request/timeout',
  /**
   * An HTTP body whose Content-Type the route does not take, refused before it is read (HTTP 415):
   * routes take `application/json`, POST /api/uploads `multipart/form-data`.
   */
  UnsupportedMediaType: 'request/unsupported_media_type',
  /** Registration with a username someone already has (HTTP 409). */
  UsernameTaken: 'auth/username_taken',
  /** Registration while a site admin has closed it (HTTP 403). */
  RegistrationClosed: 'auth/registration_closed',
  /**
   * Registration without a valid site invite code while registration is invite-only: the code is
   * missing, unknown, revoked, expired or already used; one answer for all (HTTP 403).
   */
  InviteRequired: 'auth/invite_required',
  /** Login with an unknown username or a wrong password; never says which (HTTP 401). */
  InvalidCredentials: 'auth/invalid_credentials',
  /**
   * A password change whose current password is wrong (HTTP 403, not 401: the session is fine).
   * Counted like failed logins: too many answer `request/rate_limited`.
   */
  WrongPassword: 'auth/wrong_password',
  /**
   * PATCH /api/me or PUT /api/me/password with a bot's token (HTTP 403): a bot's display name is a
   * site admin's to change (docs/bots.md), and a bot has no password.
   */
  PersonOnly: 'auth/person_only',
  /**
   * `session:ended` to a session that a password change ended: the person's own change made in
   * another session, or a site admin's reset. Sign in with the new password.
   */
  PasswordChanged: 'auth/password_changed',
  /** No valid session: HTTP 401, or the socket handshake's connect_error. */
  Unauthenticated: 'auth/unauthenticated',
  /** The account was deactivated by an admin: login and handshake refuse it. */
  AccountDeactivated: 'auth/deactivated',
  /** Password login as a bot account (HTTP 401): bots sign in with a token (docs/bots.md). */
  BotPasswordLogin: 'auth/bot_password_login',
  /**
   * An `Authorization: Bearer` token (HTTP 401, or the socket handshake's connect_error) that is
   * malformed or that no bot has (features/bots/bot-tokens.ts).
   */
  InvalidToken: 'auth/invalid_token',
  /** A bot token a site admin revoked (HTTP 401, connect_error, or `session:ended` on a connected bot). */
  TokenRevoked: 'auth/token_revoked',
  /**
   * Socket handshake (connect_error) or state-changing HTTP request (POST, PUT, PATCH, DELETE; HTTP 403)
   * from an Origin outside ALLOWED_ORIGINS, or from a browser that says it is cross-origin.
   */
  OriginNotAllowed: 'auth/origin_not_allowed',
  /**
   * A conversation that does not exist or that the caller is not a member of: one answer for both
   * (HTTP 404, on every route and socket event), since ids are sequential and telling them apart
   * would map which ids are taken.
   */
  ConversationNotFound: 'conversation/not_found',
  /**
   * No longer raised: a conversation the caller is not a member of answers `conversation/not_found`.
   * Kept because codes are never reused, and clients may still hold it (e.g. on a stored failed message).
   */
  NotMember: 'conversation/not_member',
  /** Group creation naming usernames that do not exist or are deactivated. */
  UnknownMembers: 'conversation/unknown_members',
  /**
   * A group action the caller's role may not take (GROUP_ROLE_TABLE in schemas/roles.ts), an action
   * on someone ranking at or above them, or on a direct conversation (HTTP 403). Nothing changed.
   */
  Forbidden: 'conversation/forbidden',
  /**
   * A rule of the group refuses the change itself (HTTP 409): the owner leaving while others remain,
   * acting on the owner's role, or adding past the group's size limit (`issues` says which).
   */
  GroupRule: 'conversation/rule',
  /**
   * Sending, editing, deleting or reacting in a group a site admin archived: members may read it,
   * nobody may change it (socket ack, HTTP 403).
   */
  Archived: 'conversation/archived',
  /** Sending while muted (socket ack); `until` says when the mute ends. */
  Muted: 'conversation/muted',
  /** Sending in an "only admins can post" group as a member (socket ack). */
  AdminsOnly: 'conversation/admins_only',
  /** Sending again within the group's slow-mode interval (socket ack); `retryAfterMs` says the wait. */
  SlowMode: 'conversation/slow_mode',
  /** Adding, or joining through a link, a user banned from the group (HTTP 403). */
  Banned: 'conversation/banned',
  /** An invite link that does not exist or was revoked (HTTP 404). */
  InviteNotFound: 'invite/not_found',
  /** An invite link past its expiry or its use limit (HTTP 410). */
  InviteExpired: 'invite/expired',
  /** Editing, deleting, reacting to or replying to a message that is not in that conversation. */
  MessageNotFound: 'message/not_found',
  /** Editing or deleting someone else's message. */
  NotAuthor: 'message/not_author',
  /** Editing a deleted message, or reacting to one. */
  MessageDeleted: 'message/deleted',
  /**
   * Companions (features/companions): no model endpoint is configured (LLM_BASE_URL unset), shown on
   * the companion in the console and on a reply it could not write; also POST …/retry then (HTTP 503).
   */
  CompanionUnavailable: 'companion/unavailable',
  /** A companion reply that failed: the model endpoint could not be reached or dropped the connection. */
  CompanionModelDown: 'companion/model_down',
  /** A companion reply that failed: the model sent nothing for LLM_TIMEOUT_MS. */
  CompanionModelSlow: 'companion/model_slow',
  /** A companion reply that failed: the model endpoint answered with an HTTP error. */
  CompanionModelError: 'companion/model_error',
  /** A companion reply that failed: the model sent something that is not a chat completion. */
  CompanionModelGarbage: 'companion/model_garbage',
  /**
   * A companion reply refused: the person asked for more than COMPANION_REPLIES_PER_HOUR replies in
   * an hour (on the failed reply, and on POST …/retry, HTTP 429 with retryAfterMs).
   */
  CompanionRateLimited: 'companion/rate_limited',
  /** A companion console route or check-in setting naming a user who is not a companion (HTTP 404). */
  CompanionNotFound: 'companion/not_found',
  /** POST …/messages/:id/retry on a message that is not a companion's failed reply (HTTP 409). */
  NotRetryable: 'message/not_retryable',
  /**
   * An upload id that does not exist, or whose upload was removed (never attached within a day, or
   * its message deleted): sending with it (socket ack) or fetching it (HTTP 404).
   */
  UploadNotFound: 'upload/not_found',
  /**
   * Attaching an upload someone else made (socket ack), or fetching the media of a conversation the
   * caller is not a member of (HTTP 403). Upload ids are 128 random bits, so this reveals nothing.
   */
  UploadForbidden: 'upload/forbidden',
  /** Sending with an upload already attached to another message (socket ack): one upload, one message. */
  UploadAlreadyAttached: 'upload/already_attached',
  /**
   * POST /api/uploads: the bytes are not what the kind needs (an image that is not JPEG, PNG, WebP or
   * GIF, such as HTML or SVG named .png; audio that is not audio in an accepted container) (HTTP 415).
   */
  UploadUnsupportedType: 'upload/unsupported_type',
  /** POST /api/uploads with no file part, or a file of zero bytes (HTTP 400). */
  UploadEmpty: 'upload/empty',
  /**
   * POST /api/uploads: an image whose header declares more pixels than UPLOAD_MAX_PIXELS, refused
   * before it is decoded (a decompression bomb) (HTTP 413).
   */
  UploadTooManyPixels: 'upload/too_many_pixels',
  /** POST /api/uploads: the file's type is right but its content cannot be decoded (truncated, corrupt) (HTTP 422). */
  UploadUnreadable: 'upload/unreadable',
  /** POST /api/uploads?kind=voice: a recording longer than the voice limit (HTTP 413). */
  UploadTooLong: 'upload/too_long',
  /**
   * POST /api/uploads?kind=voice on a server where ffmpeg or ffprobe (FFMPEG_PATH, FFPROBE_PATH) cannot
   * be run: voice messages cannot be checked there; /readyz and the admin console say why (HTTP 503).
   */
  UploadVoiceUnavailable: 'upload/voice_unavailable',
  /** GET of media with a Range header outside the content (HTTP 416, with `Content-Range: bytes *\/size`). */
  RangeNotSatisfiable: 'request/range_not_satisfiable',
  /** Opening a direct conversation with a username that does not exist or is deactivated. */
  UserNotFound: 'user/not_found',
  /**
   * A site console route (/api/admin/*) called by someone who is not a site admin (HTTP 403): the role
   * is read from the database on every request, so a demotion takes effect at once. Nothing changed.
   */
  AdminOnly: 'admin/forbidden',
  /**
   * A console route naming a bot, bot token, webhook or delivery that does not exist, or a user
   * route (password reset, role) naming a bot (HTTP 404).
   */
  BotNotFound: 'bot/not_found',
  /** Demoting or deactivating the last active site admin (HTTP 409): a site always keeps one. */
  LastAdmin: 'admin/last_admin',
  /**
   * A dependency (database, Redis) cannot be reached, or the connection to it was lost mid-request
   * (apps/server/src/lib/db-failures.ts); the request may be retried as is (HTTP 503).
   */
  Unavailable: 'server/unavailable',
  /**
   * The server is overloaded: its send queue is full, no database connection or transaction could be
   * had in time, or a row lock wait timed out or deadlocked (apps/server/src/lib/db-failures.ts,
   * lib/send-queue.ts). Nothing was stored; retry the same request as is after
   * `retryAfterMs` (HTTP 503 with `Retry-After`).
   */
  Busy: 'server/busy',
  /** Anything unexpected; logged on the server with the request id. */
  Internal: 'server/internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorIssue {
  /** Dotted path of the offending field, '' for the whole payload. */
  path: string;
  message: string;
}

export interface ApiError {
  code: ErrorCode;
  message: string;
  issues?: ErrorIssue[];
  /**
   * With `server/busy` and `request/rate_limited`: wait at least this long (ms) before retrying.
   * With `conversation/slow_mode`: how long until the member may send again.
   */
  retryAfterMs?: number;
  /** With `conversation/muted`: when the mute ends (ISO 8601). */
  until?: string;
}

/**
 * Refusals that say nothing about the request itself: the same request (the same `clientMsgId` for a
 * send) may be sent again as is, after `retryAfterMs` when the error carries one, else after a back-off.
 * Every client (the web app's outbox, the server's test client) decides from this one set. Not here:
 * `server/internal`, which a client may retry a few times but must not retry for ever.
 */
export const RETRYABLE_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.Unavailable,
  ErrorCode.Busy,
  ErrorCode.RateLimited,
  ErrorCode.CompanionModelDown,
  ErrorCode.CompanionModelSlow,
  ErrorCode.CompanionModelError,
  ErrorCode.CompanionModelGarbage,
  ErrorCode.CompanionRateLimited,
]);

/** Whether a refusal with this code may be retried as is (see RETRYABLE_ERROR_CODES). */
export function isRetryableErrorCode(code: string): boolean {
  return (RETRYABLE_ERROR_CODES as ReadonlySet<string>).has(code);
}

/**
 * Refusals of what a message carries, its text or its file: the same message is refused the same way
 * however often it is sent again, so a client offers to discard it, not to retry it. The others that
 * are final (not a member, muted, slow mode, archived) depend on the moment and may pass later.
 */
export const CONTENT_REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.Invalid,
  ErrorCode.PayloadTooLarge,
  ErrorCode.UnsupportedMediaType,
  ErrorCode.UploadUnsupportedType,
  ErrorCode.UploadEmpty,
  ErrorCode.UploadTooManyPixels,
  ErrorCode.UploadUnreadable,
  ErrorCode.UploadTooLong,
]);

/** Whether a refusal with this code is one of the message's content (see CONTENT_REFUSAL_CODES). */
export function isContentRefusalCode(code: string): boolean {
  return (CONTENT_REFUSAL_CODES as ReadonlySet<string>).has(code);
}

/** Body of every HTTP error response. */
export interface ErrorResponse {
  error: ApiError;
}

const KNOWN_ERROR_CODES: ReadonlySet<string> = new Set<string>(Object.values(ErrorCode));

/**
 * Whether `code` is one of Parley's codes. A client checks what it is told before switching on it, so
 * an unknown code (a newer server, a proxy's own error) is treated as unknown rather than trusted.
 */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && KNOWN_ERROR_CODES.has(code);
}
