import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket as TcpSocket } from 'node:net';
import { ErrorCode, type ErrorResponse } from '@parley/shared';
import type {
  Ack,
  ClientToServerEvents,
  ConnectErrorData,
  Conversation,
  Message,
  ServerToClientEvents,
} from '@parley/shared';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import * as mariadb from 'mariadb';
import { io as connect, type Socket } from 'socket.io-client';
import { buildServer, type AppOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { parseDatabaseUrl } from '../../src/db/migrate.js';
import { createTestDatabase } from './database.js';
import { WAIT_CAP_MS } from './waits.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export interface TestServerOptions {
  /** Share sessions, limits and socket rooms through Redis (default: single process, no Redis). */
  redis?: boolean;
  env?: Record<string, string>;
  /** The database URL the server is given, from the fresh database's (e.g. through a TCP proxy). */
  databaseUrl?: (url: string) => string;
  /** App options besides the configuration (e.g. a shorter session recheck). */
  app?: Pick<AppOptions, 'sessionRecheckMs'>;
}

export interface TestServer {
  server: FastifyInstance;
  config: Config;
  url: string;
  origin: string;
  http: HttpClient;
  /** Register (and so sign in) a new user; returns their cookie and profile. */
  signUp(username?: string, displayName?: string): Promise<TestUser>;
  connectSocket(cookie: string | null, options?: SocketOptions): Promise<ClientSocket>;
  close(): Promise<void>;
}

export interface TestUser {
  id: number;
  username: string;
  cookie: string;
}

export interface HttpResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  cookie: string | null;
}

export type HttpClient = <T = unknown>(
  method: string,
  path: string,
  options?: { body?: unknown; cookie?: string | null; rawBody?: string; headers?: Record<string, string> },
) => Promise<HttpResponse<T>>;

let counter = 0;
export function uniqueName(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${counter}_${randomBytes(3).toString('hex')}`;
}

export function createHttpClient(baseUrl: string): HttpClient {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.cookie) headers.cookie = options.cookie;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    // A sign-in may clear the old cookie and set the new one in one response: the last one wins.
    const setCookie = response.headers
      .getSetCookie()
      .filter((value) => value.startsWith('parley.sid='))
      .at(-1);
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : null) as never,
      headers: response.headers,
      cookie: setCookie ? setCookie.split(';')[0]! : null,
    };
  };
}

/** How a test's socket connects: its Origin header, hang cap, and Engine.IO transports (WebSocket only). */
export interface SocketOptions {
  origin?: string;
  timeoutMs?: number;
  /** `['polling']` keeps the socket on HTTP long-polling (no upgrade). */
  transports?: Array<'websocket' | 'polling'>;
}

/**
 * Connects one socket (no reconnection) and resolves once the handshake is accepted; rejects with the
 * server's connect_error (its `data.code` says why it refused), or with "timeout" once `timeoutMs`
 * passed without an answer: a hang cap (socket.io-client's own default, 20 s, is a speed
 * expectation that a storm of handshakes on a loaded machine exceeds without anything refused).
 */
export function connectSocketTo(
  url: string,
  cookie: string | null,
  { origin, timeoutMs = WAIT_CAP_MS, transports = ['websocket'] }: SocketOptions = {},
): Promise<ClientSocket> {
  const socket: ClientSocket = connect(url, {
    transports,
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
    extraHeaders: { ...(cookie ? { cookie } : {}), ...(origin ? { origin } : {}) },
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error: Error & { data?: ConnectErrorData }) => {
      socket.close();
      reject(error);
    });
  });
}

/**
 * Registers (and so signs in) a new user through the HTTP API, as a test's setup does. server/busy
 * (the pool stayed full past DATABASE_POOL_TIMEOUT_MS, as a burst of sign-ups on a loaded machine
 * makes it) says "try again", and is tried again after its retryAfterMs, as every Parley client
 * does with a retryable refusal, until WAIT_CAP_MS; any other answer but 201 fails at once (rate
 * limits included: those are a test's own settings). Tests of registration itself call the API.
 */
export async function signUpThrough(
  http: HttpClient,
  username = uniqueName(),
  displayName = `${username} display`,
): Promise<TestUser> {
  const deadline = Date.now() + WAIT_CAP_MS;
  for (;;) {
    const response = await http<{ user: { id: number; username: string } } | ErrorResponse>(
      'POST',
      '/api/auth/register',
      { body: { username, displayName, password: 'correct horse battery' } },
    );
    const { body } = response;
    if (response.status === 201 && response.cookie && 'user' in body) {
      return { id: body.user.id, username: body.user.username, cookie: response.cookie };
    }
    const busy = 'error' in body && body.error.code === ErrorCode.Busy;
    if (!busy || Date.now() > deadline) {
      throw new Error(`sign-up failed: ${response.status} ${JSON.stringify(body)}`);
    }
    await sleep(body.error.retryAfterMs ?? 500);
  }
}

/** Builds Parley on a fresh database (and its own Redis key prefix), listening on a free port. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const keyPrefix = `parley-test:${database.name}:`;
  const uploadDir = await mkdtemp(join(tmpdir(), 'parley-uploads-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: options.databaseUrl?.(database.url) ?? database.url,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ALLOWED_ORIGINS: 'http://parley.test',
    UPLOAD_DIR: uploadDir,
    ...(options.redis ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: keyPrefix } : {}),
    ...options.env,
  });
  const server = await buildServer({ config, ...options.app });
  await server.listen({ host: config.host, port: 0 });
  await untilDatabaseAnswers(server);
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no port');
  const url = `http://127.0.0.1:${address.port}`;
  const http = createHttpClient(url);
  const openSockets = new Set<ClientSocket>();

  return {
    server,
    config,
    url,
    origin: 'http://parley.test',
    http,
    signUp: (username, displayName) => signUpThrough(http, username, displayName),
    async connectSocket(cookie, socketOptions = {}) {
      const socket = await connectSocketTo(url, cookie, socketOptions);
      openSockets.add(socket);
      return socket;
    },
    async close() {
      for (const socket of openSockets) socket.close();
      await server.close();
      await database.drop();
      await rm(uploadDir, { recursive: true, force: true });
      if (options.redis) await deleteRedisKeys(keyPrefix);
    },
  };
}

/**
 * Resolves once the server's own pool has answered a query: the sign that it is up, rather than only
 * listening. The pool opens its connections one at a time, each on a fresh MariaDB login; on a loaded
 * machine the first takes seconds, and a test's first requests (often a burst of sign-ups) would spend
 * their pool wait (DATABASE_POOL_TIMEOUT_MS, 3 s by default) on it and be refused as busy. A refused
 * attempt here is tried again until WAIT_CAP_MS; the last error says why the database never answered.
 */
async function untilDatabaseAnswers(server: FastifyInstance): Promise<void> {
  const deadline = Date.now() + WAIT_CAP_MS;
  for (;;) {
    try {
      await server.prisma.$queryRaw`SELECT 1`;
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`the test server's database never answered: ${String(error)}`);
      await sleep(100);
    }
  }
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Resolves with the next `event` the socket receives, or rejects after `timeoutMs` (a hang cap). */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
  timeoutMs = WAIT_CAP_MS,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener as never);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: Parameters<ServerToClientEvents[E]>[0]) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, listener as never);
  });
}

/** Collects every `event` the socket receives, for asserting that something did not arrive. */
export function collectEvents<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
): Array<Parameters<ServerToClientEvents[E]>[0]> {
  const received: Array<Parameters<ServerToClientEvents[E]>[0]> = [];
  socket.on(event, ((payload: Parameters<ServerToClientEvents[E]>[0]) => received.push(payload)) as never);
  return received;
}

/**
 * A client socket's TCP connection under its WebSocket (engine.io-client's transport keeps the `ws`
 * WebSocket, whose `_socket` it is): `pause()` makes a client that stops reading.
 */
export function tcpOf(client: ClientSocket): TcpSocket {
  return (client.io.engine.transport as unknown as { ws: { _socket: TcpSocket } }).ws._socket;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves the next time `server` logs `message` at `level`, whatever its log level (tests run
 * silent): the positive signal for what only the log tells, such as a background job that failed.
 * Start waiting before causing it. Rejects after `timeoutMs` (a hang cap).
 */
export function nextLog(
  server: FastifyInstance,
  level: 'warn' | 'error',
  message: string,
  timeoutMs = WAIT_CAP_MS,
): Promise<void> {
  const log = server.log;
  const original = log[level];
  return new Promise<void>((resolve, reject) => {
    const restore = () => {
      clearTimeout(timer);
      log[level] = original;
    };
    const timer = setTimeout(() => {
      restore();
      reject(new Error(`no ${level} "${message}" logged within ${timeoutMs} ms`));
    }, timeoutMs);
    log[level] = function (this: unknown, ...args: unknown[]) {
      if (args.includes(message)) {
        restore();
        resolve();
      }
      return (original as (...a: unknown[]) => void).apply(this, args);
    } as typeof original;
  });
}

/**
 * A barrier for asserting that something did not arrive: `from` sends a message into
 * `conversationId`, and this resolves with it once `to` has received it. One server process emits to
 * a socket in order, so whatever it emitted to `to` before the barrier has arrived by then: assert
 * absence after this, never after a sleep. `from` and `to` may be the same user's two sockets.
 */
export async function messageBarrier(
  from: ClientSocket,
  to: ClientSocket,
  conversationId: number,
): Promise<Message> {
  const clientMsgId = randomUUID();
  const arrived = new Promise<Message>((resolve, reject) => {
    const timer = setTimeout(() => {
      to.off('message:new', listener);
      reject(new Error(`the barrier message did not arrive within ${WAIT_CAP_MS} ms`));
    }, WAIT_CAP_MS);
    const listener = (message: Message) => {
      if (message.clientMsgId !== clientMsgId) return;
      clearTimeout(timer);
      to.off('message:new', listener);
      resolve(message);
    };
    to.on('message:new', listener);
  });
  okData(await from.emitWithAck('message:send', { conversationId, clientMsgId, text: 'barrier' }));
  return arrived;
}

/** The data of a successful acknowledgement; fails the test with the error code otherwise. */
export function okData<T>(ack: Ack<T>): T {
  if (!ack.ok) throw new Error(`expected ok, got ${ack.error.code}: ${ack.error.message}`);
  return ack.data;
}

/** The error code of a refused acknowledgement, or 'ok' when it was accepted. */
export function ackCode(ack: Ack<unknown>): string {
  return ack.ok ? 'ok' : ack.error.code;
}

/** Sends a text message (a fresh clientMsgId) and returns the stored message. */
export async function sendText(
  socket: ClientSocket,
  conversationId: number,
  text: string,
  extra: { replyToId?: number } = {},
): Promise<Message> {
  return okData(
    await socket.emitWithAck('message:send', { conversationId, clientMsgId: randomUUID(), text, ...extra }),
  );
}

/** A group owned by `owner` with `members`, created over HTTP. */
export async function createGroup(
  t: TestServer,
  owner: TestUser,
  members: TestUser[],
  name = 'Group',
): Promise<Conversation> {
  const response = await t.http<{ conversation: Conversation }>('POST', '/api/conversations', {
    cookie: owner.cookie,
    body: { name, memberUsernames: members.map((member) => member.username) },
  });
  if (response.status !== 201)
    throw new Error(`group creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.conversation;
}

/** The direct conversation of `user` and `peer`, opened over HTTP by `user`. */
export async function openDirect(t: TestServer, user: TestUser, peer: TestUser): Promise<Conversation> {
  const response = await t.http<{ conversation: Conversation }>('POST', '/api/conversations/direct', {
    cookie: user.cookie,
    body: { username: peer.username },
  });
  if (response.status !== 201 && response.status !== 200)
    throw new Error(`direct conversation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.conversation;
}

/**
 * Connects with `listen` attached before the handshake, for events a server sends right after
 * connecting (such as the presence snapshot). Close the socket yourself.
 */
export function connectSocketListening(
  url: string,
  cookie: string,
  listen: (socket: ClientSocket) => void,
): Promise<ClientSocket> {
  const socket: ClientSocket = connect(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: WAIT_CAP_MS,
    autoConnect: false,
    extraHeaders: { cookie },
  });
  listen(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error: Error) => {
      socket.close();
      reject(error);
    });
    socket.connect();
  });
}

export interface SecondProcess {
  server: FastifyInstance;
  url: string;
  connectSocket(cookie: string): Promise<ClientSocket>;
  close(): Promise<void>;
}

/** Another Parley process with the test server's configuration (same database, Redis and secret). */
export async function startSecondProcess(
  t: TestServer,
  app: Pick<AppOptions, 'sessionRecheckMs'> = {},
): Promise<SecondProcess> {
  const server = await buildServer({ config: t.config, ...app });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('second process has no port');
  const url = `http://127.0.0.1:${address.port}`;
  const sockets = new Set<ClientSocket>();
  return {
    server,
    url,
    async connectSocket(cookie) {
      const socket = await connectSocketTo(url, cookie);
      sockets.add(socket);
      return socket;
    },
    async close() {
      for (const socket of sockets) socket.close();
      await server.close();
    },
  };
}

/** Runs one SQL statement directly against the test server's database, bypassing the app. */
export async function queryDatabase<T>(t: TestServer, sql: string, values: unknown[] = []): Promise<T[]> {
  const connection = await mariadb.createConnection(parseDatabaseUrl(t.config.databaseUrl));
  try {
    return (await connection.query(sql, values)) as T[];
  } finally {
    await connection.end();
  }
}

/**
 * Resolves once `predicate` holds (polled every 10 ms), or rejects naming `what` after `timeoutMs`,
 * a cap on a hang (WAIT_CAP_MS), not a speed expectation.
 */
export async function waitUntil(
  predicate: () => boolean,
  what = 'condition',
  timeoutMs = WAIT_CAP_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
