/**
 * The one place that decides which failures may pass on a retry. Everything the database layer can
 * throw reaches here in one of three shapes, all read below (seen against MariaDB 11 with
 * @prisma/adapter-mariadb 7 and the mariadb connector 3, not guessed):
 *
 * 1. `PrismaClientKnownRequestError` with a Prisma code, and for errors the driver raised,
 *    `meta.driverAdapterError.cause`: `{ kind, originalCode, originalMessage, ... }`. The adapter maps
 *    MariaDB errno 1213 to `kind: 'TransactionWriteConflict'` (P2034) and 1040/1203 to
 *    `'TooManyConnections'` (P2037); every other errno (1205 lock wait, the connector's own 45xxx)
 *    comes as `kind: 'mysql'` with `code: <errno>` and `cause: <the driver error's cause message>`,
 *    under P2039 (P2010 for raw queries).
 * 2. The transaction manager's own P2028 ("Transaction API error: ..."), with no driver error.
 * 3. A bare connector `SqlError` (`errno`, `sqlState`) or a Node socket error (`code: 'ECONNRESET'`),
 *    from code that talks to the driver directly.
 *
 * The classes and what the client is told (docs/protocol.md, "Retryable refusals"):
 *
 * | class                       | raised by                                              | answer   |
 * | --------------------------- | ------------------------------------------------------ | -------- |
 * | pool_timeout                | 45028 ER_GET_CONNECTION_TIMEOUT with every connection  | busy     |
 * |                             | in use (no cause); P2024 (the query engine's pool)     |          |
 * | transaction_start_timeout   | P2028 "Unable to start a transaction in the given time" | busy     |
 * | transaction_timeout         | P2028 on an expired transaction (rolled back by Prisma) | busy     |
 * | lock_wait_timeout           | errno 1205 ER_LOCK_WAIT_TIMEOUT                        | busy     |
 * | deadlock                    | errno 1213 ER_LOCK_DEADLOCK (P2034)                    | busy     |
 * | too_many_connections        | errno 1040 / 1203 (P2037)                              | busy     |
 * | statement_timeout           | errno 1969 ER_STATEMENT_TIMEOUT (max_statement_time)   | busy     |
 * | connection_lost             | 45001, 45009, 45013, 45019, 45026; 1927 killed; 1053   | unavailable |
 * |                             | shutdown; P1017, P1008; ECONNRESET, EPIPE, ETIMEDOUT   |          |
 * | database_unreachable        | 45028 with a cause (no connection could be opened),    | unavailable |
 * |                             | 45012; P1001, P1002; ECONNREFUSED; client init failure |          |
 * | server_closing              | 45027 ER_POOL_ALREADY_CLOSED, 45037 ER_CLOSING_POOL:   | unavailable |
 * |                             | this process is closing (its pools end on close)       |          |
 *
 * Every class is safe to retry as is: InnoDB rolls back a deadlocked transaction whole, Prisma rolls
 * back one it gave up on, and a send lost mid-commit is found again by its clientMsgId.
 */

/** Why a database operation failed in a way that may pass on a retry. */
export type DatabaseFailureClass =
  | 'pool_timeout'
  | 'transaction_start_timeout'
  | 'transaction_timeout'
  | 'lock_wait_timeout'
  | 'deadlock'
  | 'too_many_connections'
  /** A statement ran past the `max_statement_time` its caller gave it (message search bounds its own). */
  | 'statement_timeout'
  | 'connection_lost'
  | 'database_unreachable'
  /**
   * This process's pool has ended or is ending: the server is closing. Sends its sockets had queued
   * still reach the store after it (the send queue runs one per user), and another process (or this
   * one restarted) stores them when the client sends them again.
   */
  | 'server_closing';

export interface RetryableFailure {
  class: DatabaseFailureClass;
  /** 'busy': overloaded, retry after a pause. 'unavailable': the database is not (fully) there. */
  answer: 'busy' | 'unavailable';
}

const BUSY_ERRNOS: ReadonlyMap<number, DatabaseFailureClass> = new Map([
  [1205, 'lock_wait_timeout'], // ER_LOCK_WAIT_TIMEOUT
  [1213, 'deadlock'], // ER_LOCK_DEADLOCK
  [1040, 'too_many_connections'], // ER_CON_COUNT_ERROR
  [1203, 'too_many_connections'], // ER_TOO_MANY_USER_CONNECTIONS
  [1969, 'statement_timeout'], // ER_STATEMENT_TIMEOUT
]);

const CONNECTION_LOST_ERRNOS: ReadonlySet<number> = new Set([
  45001, // ER_CONNECTION_ALREADY_CLOSED
  45009, // ER_SOCKET_UNEXPECTED_CLOSE
  45013, // ER_CMD_CONNECTION_CLOSED
  45019, // ER_SOCKET
  45026, // ER_SOCKET_TIMEOUT
  1927, // ER_CONNECTION_KILLED
  1053, // ER_SERVER_SHUTDOWN
]);

const ER_GET_CONNECTION_TIMEOUT = 45028;
const POOL_CLOSING_ERRNOS: ReadonlySet<number> = new Set([
  45027, // ER_POOL_ALREADY_CLOSED
  45037, // ER_CLOSING_POOL
]);
const ER_CONNECTION_TIMEOUT = 45012;

const PRISMA_CODES: ReadonlyMap<string, RetryableFailure> = new Map([
  ['P2024', { class: 'pool_timeout', answer: 'busy' }],
  ['P2034', { class: 'deadlock', answer: 'busy' }],
  ['P2037', { class: 'too_many_connections', answer: 'busy' }],
  ['P1017', { class: 'connection_lost', answer: 'unavailable' }],
  ['P1008', { class: 'connection_lost', answer: 'unavailable' }],
  ['P1001', { class: 'database_unreachable', answer: 'unavailable' }],
  ['P1002', { class: 'database_unreachable', answer: 'unavailable' }],
]);

const SOCKET_CODES: ReadonlyMap<string, RetryableFailure> = new Map([
  ['ECONNRESET', { class: 'connection_lost', answer: 'unavailable' }],
  ['EPIPE', { class: 'connection_lost', answer: 'unavailable' }],
  ['ETIMEDOUT', { class: 'connection_lost', answer: 'unavailable' }],
  ['ECONNREFUSED', { class: 'database_unreachable', answer: 'unavailable' }],
  ['EHOSTUNREACH', { class: 'database_unreachable', answer: 'unavailable' }],
]);

interface DriverCause {
  kind?: unknown;
  code?: unknown;
  cause?: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** The adapter's mapped driver error, when Prisma carries one. */
function driverCauseOf(error: Record<string, unknown>): DriverCause | null {
  const meta = error.meta;
  const adapterError = isObject(meta) ? meta.driverAdapterError : undefined;
  const fromMeta = isObject(adapterError) ? adapterError.cause : undefined;
  if (isObject(fromMeta)) return fromMeta;
  // A DriverAdapterError thrown as is (not wrapped by the client).
  if (error.name === 'DriverAdapterError' && isObject(error.cause)) return error.cause;
  return null;
}

function fromErrno(errno: number, hasCause: boolean): RetryableFailure | null {
  if (errno === ER_GET_CONNECTION_TIMEOUT) {
    // The pool attaches the reason it could not open a connection when it holds none at all;
    // without one, every connection was simply in use.
    return hasCause
      ? { class: 'database_unreachable', answer: 'unavailable' }
      : { class: 'pool_timeout', answer: 'busy' };
  }
  if (errno === ER_CONNECTION_TIMEOUT) return { class: 'database_unreachable', answer: 'unavailable' };
  const busy = BUSY_ERRNOS.get(errno);
  if (busy) return { class: busy, answer: 'busy' };
  if (CONNECTION_LOST_ERRNOS.has(errno)) return { class: 'connection_lost', answer: 'unavailable' };
  if (POOL_CLOSING_ERRNOS.has(errno)) return { class: 'server_closing', answer: 'unavailable' };
  return null;
}

function fromDriverCause(cause: DriverCause): RetryableFailure | null {
  switch (cause.kind) {
    case 'TransactionWriteConflict':
      return { class: 'deadlock', answer: 'busy' };
    case 'TooManyConnections':
      return { class: 'too_many_connections', answer: 'busy' };
    case 'ConnectionClosed':
    case 'SocketTimeout':
      return { class: 'connection_lost', answer: 'unavailable' };
    case 'DatabaseNotReachable':
      return { class: 'database_unreachable', answer: 'unavailable' };
    case 'mysql':
      return typeof cause.code === 'number'
        ? fromErrno(cause.code, typeof cause.cause === 'string' && cause.cause !== '')
        : null;
    default:
      return null;
  }
}

/** P2028 covers every transaction-manager error; only these two mean "too slow, rolled back". */
function fromTransactionApiError(message: string): RetryableFailure | null {
  if (message.includes('Unable to start a transaction in the given time')) {
    return { class: 'transaction_start_timeout', answer: 'busy' };
  }
  if (message.includes('expired transaction')) return { class: 'transaction_timeout', answer: 'busy' };
  return null;
}

/**
 * Classifies anything thrown by database code: a retryable class and the answer the client gets, or
 * null when a retry would not help (a constraint, a bug), which the caller answers as final.
 */
export function classifyDatabaseFailure(error: unknown, depth = 0): RetryableFailure | null {
  if (!isObject(error) || depth > 3) return null;
  if (error.name === 'PrismaClientInitializationError') {
    return { class: 'database_unreachable', answer: 'unavailable' };
  }
  const driverCause = driverCauseOf(error);
  if (driverCause) {
    const classified = fromDriverCause(driverCause);
    if (classified) return classified;
  }
  if (typeof error.code === 'string') {
    if (error.code === 'P2028') return fromTransactionApiError(String(error.message));
    const known = PRISMA_CODES.get(error.code) ?? SOCKET_CODES.get(error.code);
    if (known) return known;
  }
  if (typeof error.errno === 'number' && 'sqlState' in error) {
    const classified = fromErrno(error.errno, error.cause !== undefined && error.cause !== null);
    if (classified) return classified;
  }
  // A socket error wrapped by another (e.g. a driver error whose cause is the ECONNRESET).
  return classifyDatabaseFailure(error.cause, depth + 1);
  return null;
}
