import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  DEFAULT_MAX_GROUP_MEMBERS,
  MAX_VOICE_DURATION_S,
  PRESENCE_BATCH_MS,
  UPLOAD_MAX_BYTES_DEFAULT,
} from '@parley/shared';
import { z } from 'zod';
import { createOutboundPolicy } from './lib/outbound-http.js';
import type { SendQueueOptions } from './lib/send-queue.js';

const DEFAULT_DATABASE_URL = 'mysql://root@127.0.0.1:3306/parley';
const SESSION_SECRET_MIN = 32;

const booleanString = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  DATABASE_URL: z
    .string()
    .regex(
      /^(mysql|mariadb):\/\/[^/]+\/[A-Za-z0-9_]+(\?.*)?$/,
      'must look like mysql://user:password@host:3306/database',
    )
    .default(DEFAULT_DATABASE_URL),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  DATABASE_POOL_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(3_000),
  DATABASE_LOCK_WAIT_TIMEOUT_S: z.coerce.number().int().min(1).max(3_600).default(5),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must look like redis://host:6379/0')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  REDIS_KEY_PREFIX: z.string().min(1).max(64).default('parley:'),
  SESSION_SECRET: z
    .string()
    .min(SESSION_SECRET_MIN, `must be at least ${SESSION_SECRET_MIN} characters`)
    .optional(),
  SESSION_SECRET_FILE: z.string().min(1).default('.parley/session-secret'),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .default(24 * 30),
  ALLOWED_ORIGINS: z.string().optional(),
  TRUST_PROXY: booleanString.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WEB_DIST_DIR: z.string().min(1).optional(),
  AUTH_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(30),
  AUTH_RATE_LIMIT_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
  AUTH_RATE_LIMIT_PER_ACCOUNT_NEW_DEVICES: z.coerce.number().int().min(1).default(100),
  SOCKET_RATE_LIMIT: z.coerce.number().int().min(1).default(150),
  SEND_QUEUE_MAX: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  SEND_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).optional(),
  SEND_QUEUE_MAX_WAIT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  BATCH_WAIT_MS: z.coerce.number().min(0).max(1_000).default(1),
  // 128: the send queue runs BATCH_MAX × BATCH_CONNECTIONS sends at once, and near 3,000 msg/s a send
  // takes 35–75 ms from its turn to its commit, so 128 (64 a lane) queued them (Little's law:
  // rate × time in flight). docs/benchmarks.md, "A batch of 128".
  BATCH_MAX: z.coerce.number().int().min(1).max(1_000).default(128),
  BATCH_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(2),
  GC_HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(1_000).default(100),
  SOCKET_SIGNAL_RATE_LIMIT: z.coerce.number().int().min(1).default(300),
  SOCKET_MAX_QUEUED_BYTES: z.coerce
    .number()
    .int()
    .min(16 * 1024)
    .max(1024 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  PRESENCE_BATCH_MS: z.coerce.number().int().min(10).max(60_000).default(PRESENCE_BATCH_MS),
  SEARCH_INDEX_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(1_000),
  PRESENCE_EAGER_MAX_MEMBERS: z.coerce.number().int().min(2).max(100_000).default(100),
  MAX_GROUP_MEMBERS: z.coerce.number().int().min(2).max(100_000).default(DEFAULT_MAX_GROUP_MEMBERS),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(600_000).default(5_000),
  WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(10).max(3_600_000).default(300_000),
  WEBHOOK_RETRY_FOR_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(7 * 86_400_000)
    .default(3_600_000),
  WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  WEBHOOK_ALLOWED_PRIVATE_HOSTS: z.string().default(''),

  UPLOAD_DIR: z.string().min(1).default('.parley/uploads'),
  UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(1024 * 1024 * 1024)
    .default(UPLOAD_MAX_BYTES_DEFAULT),
  UPLOAD_MAX_PIXELS: z.coerce.number().int().min(1_000_000).max(268_402_689).default(40_000_000),
  MAX_VOICE_DURATION_S: z.coerce.number().int().min(5).max(3_600).default(MAX_VOICE_DURATION_S),
  FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
  FFPROBE_PATH: z.string().min(1).default('ffprobe'),
  UPLOAD_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(32),
  UPLOAD_MAX_IN_FLIGHT_PER_USER: z.coerce.number().int().min(1).max(10_000).default(4),
  UPLOAD_PROCESSING_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(2),
  PARLEY_PROCESSES: z.coerce.number().int().min(1).max(256).optional(),
  WEB_CONCURRENCY: z.coerce.number().int().min(1).max(256).optional(),
  LLM_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:11434/v1' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().min(1).max(200).default('llama3.2'),
  LLM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  COMPANION_REPLIES_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(60),
  COMPANION_CONTEXT_TOKENS: z.coerce.number().int().min(256).max(1_000_000).default(4_000),
  COMPANION_MEMORY_IDLE_MINUTES: z.coerce
    .number()
    .min(0.01)
    .max(24 * 60)
    .default(15),
  COMPANION_JOB_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(5_000),
});

/**
 * Every environment variable Parley reads at start-up, by name. README.md's configuration table and
 * .env.example each list them all (test/config.test.ts holds them to it).
 */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

export interface WebhookConfig {
  /** How long a receiver has to answer one attempt (ms). */
  timeoutMs: number;
  /** The back-off between attempts (@parley/client's backoffDelay: doubling from baseMs up to maxMs). */
  retry: { baseMs: number; maxMs: number };
  /** A delivery not accepted this long (ms) after it was queued is marked failed. */
  retryForMs: number;
  /**
   * How often (ms) due deliveries nobody holds are handed out: the database queue's poll, and BullMQ's
   * relay of rows stored without a job (features/bots/delivery-queue.ts).
   */
  pollMs: number;
  /**
   * Receivers inside the network Parley runs in that webhooks may still reach (lib/outbound-http.ts):
   * host names, addresses and CIDR ranges. Everything else private, loopback or reserved is refused.
   */
  allowedPrivateHosts: string[];
}

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  databaseUrl: string;
  /** The connection pool (plugins/prisma.ts) and how long anything waits for the database. */
  database: DatabasePoolConfig;
  redis: { url: string; keyPrefix: string } | null;
  sessionSecret: string;
  sessionTtlMs: number;
  /**
   * Origins whose pages may open a socket or send state-changing HTTP requests (cross-site request
   * forgery and WebSocket hijacking defence; see lib/request-origin.ts).
   */
  allowedOrigins: string[];
  trustProxy: boolean;
  logLevel: string;
  /** The built web app to serve, if any. */
  webDistDir: string | null;
  /**
   * Registration and login limits (OWASP Authentication Cheat Sheet): attempts per IP per minute;
   * failed logins per username per client (a device that signed in to it before, else an IP) per
   * 15 minutes; and failed logins per username per 15 minutes from all clients without a device
   * cookie together, which never holds back the owner's known devices.
   */
  authRateLimit: AuthRateLimit;
  /**
   * Socket events one user may send per 10 seconds, all tabs together: messages (send, edit,
   * delete, react, sync) and signals (typing, presence, receipts) each have their own budget.
   */
  socketRateLimit: { messages: number; signals: number };
  /**
   * Bytes waiting to be written to one socket's client at most (SOCKET_MAX_QUEUED_BYTES, 8 MiB): a
   * client that reads slower than it is written to is disconnected past it, and catches up when it
   * reconnects (plugins/socket-io.ts). Well above the largest answer (a full conversation:sync page).
   */
  socketMaxQueuedBytes: number;
  /** Admission control for message:send (lib/send-queue.ts). */
  sendQueue: SendQueueOptions;
  /** Group commit for message:send (features/messages/send-batcher.ts). */
  sendBatch: SendBatchConfig;
  presenceBatchMs: number;
  /** Milliseconds between the search indexer's rounds: how long a new message may take to be found. */
  searchIndexIntervalMs: number;
  /**
   * Groups with more members than this share presence on demand: their members are not each other's
   * contacts (no snapshot entries, no changes through the group), only sockets that `presence:watch`
   * the group follow them (features/presence/presence.service.ts).
   */
  presenceEagerMaxMembers: number;
  /** Outgoing bot webhooks (features/bots/webhook-deliverer.ts, docs/bots.md). */
  webhooks: WebhookConfig;
  /** Members a group may have at most: adding and joining past it is refused (`conversation/rule`). */
  maxGroupMembers: number;
  /**
   * Milliseconds a client has to send one whole HTTP request, headers and body, from its first byte;
   * slower requests are answered 408 and their connection closed (slow-body denial of service).
   */
  httpRequestTimeoutMs: number;
  /** Uploads (features/uploads): where the local-disk storage keeps them, and what one may be. */
  uploads: UploadConfig;
  /**
   * Server processes `node dist/server.js` runs on this machine (src/cluster.ts), sharing one port.
   * PARLEY_PROCESSES, else WEB_CONCURRENCY (the name hosting platforms set), else one per core when
   * Redis is configured and one without it: processes share broadcasts, presence and limits only
   * through Redis.
   */
  processes: number;
  /**
   * V8's `--heap-growing-percent` for each server process (server.ts): after a full collection the
   * old generation may grow by this percentage of what survived before the next one starts; 0
   * leaves V8's own choice. V8 picks the factor from how fast it thinks marking is, and on two
   * cores shared with the database it chose about 1.1–1.2: at 10,000 connections a full marking
   * of ~170 MB every 5–6 s, each one slowing sends for about half a second (docs/benchmarks.md,
   * "10,000 connections under load"). 100 (a factor of 2) makes them several times rarer: by the
   * growth measured there, about every 30 s instead of every 5–6 s.
   */
  gcHeapGrowingPercent: number;
  /** The AI companion's model endpoint and budgets (features/companions); `llm` null: companions are unavailable. */
  companions: CompanionsConfig;
}

export interface CompanionsConfig {
  /**
   * Any OpenAI-compatible chat-completions endpoint (LLM_BASE_URL, e.g. Ollama's
   * http://127.0.0.1:11434/v1), its key (LLM_API_KEY; local servers take any) and the model a
   * companion without its own uses (LLM_MODEL); null when LLM_BASE_URL is not set.
   */
  llm: { baseUrl: string; apiKey: string; model: string } | null;
  /** How long the model may go without sending anything (the first token, or the next) before it counts as slow (ms). */
  timeoutMs: number;
  /** Replies a companion writes to one person per hour, all companions together (the model budget). */
  repliesPerHour: number;
  /** The conversation history sent with a reply, at most this many tokens (estimated; oldest dropped first). */
  contextTokens: number;
  /** A person silent this long in a companion conversation gets its memory summary updated (ms). */
  memoryIdleMs: number;
  /** How often each process looks for due check-ins and summaries (ms). */
  jobPollMs: number;
}

export interface SendBatchConfig {
  /** Milliseconds the first send of a batch waits for others to join it. */
  waitMs: number;
  /** Messages per batch at most (one multi-row INSERT). */
  maxBatch: number;
  /** Batches written at once, each on its own connection, in addition to `database.poolSize`. */
  connections: number;
}

export interface UploadConfig {
  /** Directory of the local-disk blob storage (blobs/ and tmp/ inside it). */
  dir: string;
  /** Bytes one uploaded file may have; beyond it the upload is refused with 413. */
  maxBytes: number;
  /** Pixels (width × height) an image may declare; beyond it it is refused before decoding. */
  maxPixels: number;
  /** Uploads received or processed at once per process; beyond it 503 `server/busy` (upload-gate.ts). */
  maxInFlight: number;
  /** Of those, how many one user may have at once. */
  maxInFlightPerUser: number;
  /** Processing steps (image decodes) run at once per process; the others wait their turn. */
  processingConcurrency: number;
  /** Voice messages (features/uploads/audio.ts). */
  voice: VoiceConfig;
}

export interface VoiceConfig {
  /** Seconds a voice message may last; a longer one is refused (`upload/too_long`). */
  maxDurationS: number;
  /** The ffmpeg and ffprobe commands (names looked up on PATH, or paths); voice needs both. */
  ffmpegPath: string;
  ffprobePath: string;
}

export interface AuthRateLimit {
  perIpPerMinute: number;
  perAccountPerClientPer15Minutes: number;
  perAccountNewDevicesPer15Minutes: number;
}

export interface DatabasePoolConfig {
  /** Connections per process. */
  poolSize: number;
  /**
   * How long a query waits for a free connection, and a transaction for its start, before the
   * request is refused as retryable (`server/busy`); also what a refusal costs while the database is down.
   */
  poolTimeoutMs: number;
  /** innodb_lock_wait_timeout for the server's sessions: a row lock wait past it is `server/busy`. */
  lockWaitTimeoutSeconds: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the environment once; a bad variable stops start-up with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const vars = parsed.data;

  const allowedOrigins = parseOrigins(vars.ALLOWED_ORIGINS, vars.PORT);
  const processes = vars.PARLEY_PROCESSES ?? vars.WEB_CONCURRENCY;
  if (processes !== undefined && processes > 1 && !vars.REDIS_URL) {
    throw new ConfigError(
      'Invalid configuration:\n  PARLEY_PROCESSES (or WEB_CONCURRENCY): more than one process needs REDIS_URL (they share broadcasts, presence and limits through Redis)',
    );
  }

  return {
    env: vars.NODE_ENV,
    host: vars.HOST,
    port: vars.PORT,
    databaseUrl: vars.DATABASE_URL,
    database: {
      poolSize: vars.DATABASE_POOL_SIZE,
      poolTimeoutMs: vars.DATABASE_POOL_TIMEOUT_MS,
      lockWaitTimeoutSeconds: vars.DATABASE_LOCK_WAIT_TIMEOUT_S,
    },
    redis: vars.REDIS_URL ? { url: vars.REDIS_URL, keyPrefix: vars.REDIS_KEY_PREFIX } : null,
    sessionSecret: resolveSessionSecret(
      vars.SESSION_SECRET,
      vars.NODE_ENV,
      resolve(cwd, vars.SESSION_SECRET_FILE),
    ),
    sessionTtlMs: vars.SESSION_TTL_HOURS * 3_600_000,
    allowedOrigins,
    trustProxy: vars.TRUST_PROXY,
    logLevel: vars.LOG_LEVEL,
    webDistDir: vars.WEB_DIST_DIR ? resolve(cwd, vars.WEB_DIST_DIR) : null,
    authRateLimit: {
      perIpPerMinute: vars.AUTH_RATE_LIMIT_PER_IP,
      perAccountPerClientPer15Minutes: vars.AUTH_RATE_LIMIT_PER_ACCOUNT,
      perAccountNewDevicesPer15Minutes: vars.AUTH_RATE_LIMIT_PER_ACCOUNT_NEW_DEVICES,
    },
    socketRateLimit: { messages: vars.SOCKET_RATE_LIMIT, signals: vars.SOCKET_SIGNAL_RATE_LIMIT },
    socketMaxQueuedBytes: vars.SOCKET_MAX_QUEUED_BYTES,
    sendQueue: {
      // A running send holds no pooled connection while it waits for its batch, so enough run at
      // once to fill every batch being written (one send per user at a time).
      concurrency: vars.SEND_CONCURRENCY ?? Math.min(1_000, vars.BATCH_MAX * vars.BATCH_CONNECTIONS),
      maxQueued: vars.SEND_QUEUE_MAX,
      // One budget window's worth (a user within budget is not refused for their own share), but
      // never more than a quarter of the queue, so one person's burst cannot fill it for everyone.
      perUserMax: Math.max(1, Math.min(vars.SOCKET_RATE_LIMIT, Math.floor(vars.SEND_QUEUE_MAX / 4))),
      maxWaitMs: vars.SEND_QUEUE_MAX_WAIT_MS,
    },
    sendBatch: {
      waitMs: vars.BATCH_WAIT_MS,
      maxBatch: vars.BATCH_MAX,
      connections: vars.BATCH_CONNECTIONS,
    },
    presenceBatchMs: vars.PRESENCE_BATCH_MS,
    searchIndexIntervalMs: vars.SEARCH_INDEX_INTERVAL_MS,
    presenceEagerMaxMembers: vars.PRESENCE_EAGER_MAX_MEMBERS,
    webhooks: {
      timeoutMs: vars.WEBHOOK_TIMEOUT_MS,
      retry: { baseMs: vars.WEBHOOK_RETRY_BASE_MS, maxMs: vars.WEBHOOK_RETRY_MAX_MS },
      retryForMs: vars.WEBHOOK_RETRY_FOR_MS,
      pollMs: vars.WEBHOOK_POLL_MS,
      allowedPrivateHosts: parseAllowedPrivateHosts(vars.WEBHOOK_ALLOWED_PRIVATE_HOSTS),
    },
    maxGroupMembers: vars.MAX_GROUP_MEMBERS,
    httpRequestTimeoutMs: vars.HTTP_REQUEST_TIMEOUT_MS,
    uploads: {
      dir: resolve(cwd, vars.UPLOAD_DIR),
      maxBytes: vars.UPLOAD_MAX_BYTES,
      maxPixels: vars.UPLOAD_MAX_PIXELS,
      maxInFlight: vars.UPLOAD_MAX_IN_FLIGHT,
      maxInFlightPerUser: vars.UPLOAD_MAX_IN_FLIGHT_PER_USER,
      processingConcurrency: vars.UPLOAD_PROCESSING_CONCURRENCY,
      voice: {
        maxDurationS: vars.MAX_VOICE_DURATION_S,
        ffmpegPath: vars.FFMPEG_PATH,
        ffprobePath: vars.FFPROBE_PATH,
      },
    },
    processes: processes ?? (vars.REDIS_URL ? availableParallelism() : 1),
    gcHeapGrowingPercent: vars.GC_HEAP_GROWING_PERCENT,
    companions: {
      llm: vars.LLM_BASE_URL
        ? { baseUrl: vars.LLM_BASE_URL, apiKey: vars.LLM_API_KEY || 'none', model: vars.LLM_MODEL }
        : null,
      timeoutMs: vars.LLM_TIMEOUT_MS,
      repliesPerHour: vars.COMPANION_REPLIES_PER_HOUR,
      contextTokens: vars.COMPANION_CONTEXT_TOKENS,
      memoryIdleMs: Math.round(vars.COMPANION_MEMORY_IDLE_MINUTES * 60_000),
      jobPollMs: vars.COMPANION_JOB_POLL_MS,
    },
  };
}

function parseOrigins(raw: string | undefined, port: number): string[] {
  if (raw === undefined || raw.trim() === '') {
    // Parley itself, and the Vite dev server that proxies to it.
    return [
      `http://localhost:${port}`,
      `http://127.0.0.1:${port}`,
      'http://localhost:5173',
      'http://127.0.0.1:5173',
    ];
  }
  const origins = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`Invalid configuration:\n  ALLOWED_ORIGINS: "${origin}" is not a URL`);
    }
    if (url.origin !== origin) {
      throw new ConfigError(
        `Invalid configuration:\n  ALLOWED_ORIGINS: "${origin}" must be a bare origin such as ${url.origin}`,
      );
    }
  }
  return origins;
}

/** WEBHOOK_ALLOWED_PRIVATE_HOSTS: comma-separated host names, addresses and CIDR ranges. */
function parseAllowedPrivateHosts(raw: string): string[] {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  try {
    createOutboundPolicy(entries);
  } catch (error) {
    throw new ConfigError(
      `Invalid configuration:\n  WEBHOOK_ALLOWED_PRIVATE_HOSTS: ${(error as Error).message} (host names, addresses or CIDR ranges such as 10.0.0.0/8)`,
    );
  }
  return entries;
}

/**
 * Production must be given a secret. Elsewhere one is generated on first start and kept in a local
 * file, so sessions survive restarts without anyone having to invent a secret.
 */
function resolveSessionSecret(given: string | undefined, env: Config['env'], file: string): string {
  if (given) return given;
  if (env === 'production') {
    throw new ConfigError(
      `Invalid configuration:\n  SESSION_SECRET: required in production (at least ${SESSION_SECRET_MIN} characters)`,
    );
  }
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= SESSION_SECRET_MIN) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(48).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
