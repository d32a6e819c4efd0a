// The sending half of the test chat client: messages wait here until the server acknowledges them,
// are sent one at a time in the order they were written, and are retried with the same clientMsgId.
import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  isRetryableErrorCode,
  type Ack,
  type ApiError,
  type Message,
  type SendMessagePayload,
} from '@parley/shared';
import { sleep } from './server.js';

export type AttemptOutcome = 'ok' | 'error' | 'timeout' | 'disconnected';

export interface Attempt {
  outcome: AttemptOutcome;
  code?: ApiError['code'];
  /** What a retryable refusal asked the client to wait. */
  retryAfterMs?: number;
  startedAt: number;
  durationMs: number;
}

export interface OutboxEntry {
  conversationId: number;
  /** Made before the first attempt and reused on every retry. */
  clientMsgId: string;
  text: string;
  state: 'pending' | 'sent' | 'failed';
  attempts: Attempt[];
  /** The stored message, once acknowledged. */
  message: Message | null;
  /** Why it was given up, when failed. */
  error: ApiError | null;
}

/** What the outbox needs from the connection. */
export interface OutboxTransport {
  isConnected(): boolean;
  waitForConnect(timeoutMs: number): Promise<boolean>;
  /** message:send; rejects on a timeout or when the connection drops. */
  send(payload: SendMessagePayload): Promise<Ack<Message>>;
  /** An acknowledged message, to hold like any other copy. */
  stored(message: Message): void;
}

export interface OutboxOptions {
  /** Attempts per message before it is shown as failed. */
  maxAttempts: number;
  /** Time per message before it is shown as failed. */
  giveUpAfterMs: number;
}

const RETRY_DELAY_MIN_MS = 100;
const RETRY_DELAY_MAX_MS = 1_000;

/** Exponential, capped, with jitter so clients that failed together do not retry together. */
export const backoff = (attempt: number) =>
  Math.min(RETRY_DELAY_MAX_MS, RETRY_DELAY_MIN_MS * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random() / 2);

export class Outbox {
  readonly entries: OutboxEntry[] = [];
  private draining: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly transport: OutboxTransport,
    private readonly options: OutboxOptions,
  ) {}

  /** Queues a message; it is sent after every message queued before it. */
  add(conversationId: number, text: string): OutboxEntry {
    const entry: OutboxEntry = {
      conversationId,
      clientMsgId: randomUUID(),
      text,
      state: 'pending',
      attempts: [],
      message: null,
      error: null,
    };
    this.entries.push(entry);
    this.kick();
    return entry;
  }

  get pending(): OutboxEntry[] {
    return this.entries.filter((entry) => entry.state === 'pending');
  }

  close(): void {
    this.closed = true;
  }

  /** Resolves when nothing is pending any more; rejects after timeoutMs naming what is stuck. */
  async whenSettled(timeoutMs: number, owner: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.length > 0) {
      if (Date.now() > deadline) {
        const stuck = this.pending.map(
          (entry) => `${entry.text} (${entry.attempts.map((a) => a.code ?? a.outcome).join(',')})`,
        );
        throw new Error(`${owner}: outbox not settled within ${timeoutMs} ms: ${stuck.join('; ')}`);
      }
      await sleep(20);
    }
  }

  private kick(): void {
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
      if (!this.closed && this.pending.length > 0) this.kick();
    });
  }

  /** One message at a time, in order, so a sender's messages get seqs in the order they were written. */
  private async drain(): Promise<void> {
    for (;;) {
      const entry = this.pending[0];
      if (!entry || this.closed) return;
      await this.deliver(entry);
    }
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    const giveUpAt = Date.now() + this.options.giveUpAfterMs;
    while (entry.state === 'pending' && !this.closed) {
      if (entry.attempts.length >= this.options.maxAttempts || Date.now() > giveUpAt) {
        entry.state = 'failed';
        entry.error = {
          code: ErrorCode.Unavailable,
          message: `gave up after ${entry.attempts.length} attempts`,
        };
        return;
      }
      if (!this.transport.isConnected()) {
        await this.transport.waitForConnect(Math.max(0, Math.min(5_000, giveUpAt - Date.now())));
        continue;
      }
      const attempt = await this.attempt(entry);
      entry.attempts.push(attempt);
      if (attempt.outcome === 'ok') return;
      // Only the shared retryable codes are tried again: server/internal is final, and a test that
      // sees one has found a fault the server should have classified.
      if (attempt.outcome === 'error' && !isRetryableErrorCode(attempt.code ?? '')) {
        entry.state = 'failed';
        return;
      }
      // Disconnected: the loop waits for the reconnect. Otherwise back off before the retry, and at
      // least as long as the server asked.
      if (this.transport.isConnected()) {
        const asked = (attempt.retryAfterMs ?? 0) * (1 + Math.random() / 2);
        await sleep(Math.max(asked, backoff(entry.attempts.length)));
      }
    }
  }

  private async attempt(entry: OutboxEntry): Promise<Attempt> {
    const startedAt = Date.now();
    const payload = {
      conversationId: entry.conversationId,
      clientMsgId: entry.clientMsgId,
      text: entry.text,
    };
    try {
      const ack = await this.transport.send(payload);
      const durationMs = Date.now() - startedAt;
      if (ack.ok) {
        entry.state = 'sent';
        entry.message = ack.data;
        this.transport.stored(ack.data);
        return { outcome: 'ok', startedAt, durationMs };
      }
      entry.error = ack.error;
      return {
        outcome: 'error',
        code: ack.error.code,
        ...(ack.error.retryAfterMs !== undefined ? { retryAfterMs: ack.error.retryAfterMs } : {}),
        startedAt,
        durationMs,
      };
    } catch (error) {
      // socket.io rejects with "operation has timed out", or "socket has been disconnected" on a drop.
      const disconnected = error instanceof Error && /disconnected/.test(error.message);
      return {
        outcome: disconnected ? 'disconnected' : 'timeout',
        startedAt,
        durationMs: Date.now() - startedAt,
      };
    }
  }
}
