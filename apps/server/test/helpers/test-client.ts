// A ParleyClient (@parley/client, the engine every Parley client runs) as the fault tests drive it:
// short back-offs, contract checks on, and a record of every copy of every message it got, so a test
// can check exactly-once and order. Delivery logic lives in the client; this file only watches it.
import type { Message } from '@parley/shared';
import {
  createParleyClient,
  recordCopies,
  type CopyLog,
  type MessageCopy,
  type OutboxEntry,
  type OutboxStorage,
  type ParleyClient,
} from '@parley/client';
import { WAIT_CAP_MS } from './waits.js';

export type { MessageCopy, OutboxEntry } from '@parley/client';

export interface TestClientOptions {
  url: string;
  cookie: string;
  /** The conversations to catch up on from the start; listed and announced ones are added. */
  conversationIds: number[];
  name?: string;
  /** For every request; the client's default is 10 s too. */
  ackTimeoutMs?: number;
  storage?: OutboxStorage;
}

/** Back-offs short enough for a test to see several retries within a server restart. */
const FAST_BACKOFF = { baseMs: 100, maxMs: 1_000, jitter: 0.5 };
/** How long a hole may stay open (a broadcast overtaken by another) before the client asks. */
const HOLE_DELAY_MS = 300;

export class TestClient {
  readonly name: string;
  readonly client: ParleyClient;
  readonly connectErrors: string[] = [];
  readonly contractViolations: string[] = [];
  connects = 0;
  private readonly log: CopyLog;

  constructor(options: TestClientOptions) {
    this.name = options.name ?? 'client';
    this.client = createParleyClient({
      url: options.url,
      auth: { kind: 'cookie', cookie: options.cookie },
      conversations: options.conversationIds,
      validate: true,
      reconnect: FAST_BACKOFF,
      retry: FAST_BACKOFF,
      holeDelayMs: HOLE_DELAY_MS,
      ...(options.ackTimeoutMs !== undefined ? { ackTimeoutMs: options.ackTimeoutMs } : {}),
      ...(options.storage ? { storage: options.storage } : {}),
    });
    this.log = recordCopies(this.client);
    this.client.transport.on('connect', () => (this.connects += 1));
    this.client.transport.on('connectError', ({ code, message }) => this.connectErrors.push(code ?? message));
    this.client.on('contract:violation', ({ event, issues }) =>
      this.contractViolations.push(`${event}: ${issues}`),
    );
  }

  /**
   * Connects (restoring the outbox the first time) and resolves after the first catch-up, or rejects
   * after `timeoutMs` (a hang cap).
   */
  async connect(timeoutMs = WAIT_CAP_MS): Promise<void> {
    if (this.connects === 0) await this.client.start({ timeoutMs });
    else await this.client.connect({ timeoutMs });
  }

  /** Starts connecting without waiting for it (e.g. while the server is sure to refuse the handshake). */
  startConnecting(): void {
    this.client.transport.connect();
  }

  /** Goes offline on purpose (no automatic reconnection) until connect() is called again. */
  goOffline(): void {
    this.client.disconnect();
  }

  close(): void {
    this.client.stop();
  }

  /** The typed socket underneath, for what a test emits or listens to by hand. */
  get socket() {
    return this.client.transport.socket;
  }

  send(conversationId: number, text: string): OutboxEntry {
    return this.client.send(conversationId, text);
  }

  /** Every message written, in the order written. */
  get outbox(): OutboxEntry[] {
    return this.client.outbox.list();
  }

  /** Resolves once every message written is sent or refused for good; rejects after `timeoutMs` (a hang cap). */
  whenOutboxSettled(timeoutMs = WAIT_CAP_MS): Promise<void> {
    return this.client.outbox.whenSettled(timeoutMs).catch((error: unknown) => {
      throw new Error(`${this.name}: ${String(error)}`);
    });
  }

  /** A catch-up now (after the one every connect does); true when it completed. */
  sync(): Promise<boolean> {
    return this.client.catchUp();
  }

  get connected(): boolean {
    return this.client.transport.connected;
  }

  messagesOf(conversationId: number): Message[] {
    return [...this.client.timeline(conversationId).messages()];
  }

  allMessages(): Message[] {
    return this.client.conversationIds().flatMap((id) => this.messagesOf(id));
  }

  /** Every copy of every message, duplicates included, in order of arrival. */
  get deliveries(): MessageCopy[] {
    return this.log.copies;
  }

  /** The first copy of each message, in order of arrival. */
  get received(): MessageCopy[] {
    return this.log.firsts;
  }

  /** Copies that disagree with the one held: must never happen. */
  get conflicts(): MessageCopy[] {
    return this.log.conflicts;
  }

  copiesOf(messageId: number): MessageCopy[] {
    return this.log.copiesOf(messageId);
  }

  get journal(): readonly string[] {
    return this.client.journal;
  }
}
