import {
  ErrorCode,
  SYNC_CONVERSATIONS_MAX,
  type Message,
  type SyncPayload,
  type SyncResponse,
  type SyncResult,
} from '@parley/shared';
import { retryDelay, type BackoffOptions } from './backoff.js';
import { ChangeTracker } from './change-tracker.js';
import { delay, type Clock, type Logger } from './ports.js';
import type { RequestResult } from './request.js';

type SyncEntry = SyncPayload['conversations'][number];

/** Failed sync requests in one catch-up before it gives up until the next connect or gap. */
const SYNC_FAILURES_MAX = 20;
/** Pages in one catch-up, a bound against a server that always says hasMore. */
const SYNC_ROUNDS_MAX = 10_000;

export interface SyncDeps {
  /** `conversation:sync` through the transport. */
  request(payload: SyncPayload): Promise<RequestResult<SyncResponse>>;
  isConnected(): boolean;
  clock: Clock;
  logger: Logger;
  retry: BackoffOptions;
  /** How long a hole in the live changes may stay open before it is asked for (ms). */
  holeDelayMs: number;
  /** One page's messages, to merge (the sync mark has already moved over them). */
  apply(result: SyncResult): void;
  /** The server refused a sync mark as ahead of it (a restored database): drop what is held of it. */
  reset(conversationId: number): void;
  /**
   * After such a refusal: `restart` catches the conversation up again from its start; `drop` stops
   * tracking it (its follower loads it afresh and follows it again).
   */
  onRefusedMark: 'restart' | 'drop';
  /** One line for the client's journal. */
  note(line: string): void;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}

/**
 * Catch-up: keeps the sync mark of every tracked conversation (the changeSeq up to which every change
 * has been seen; docs/protocol.md, "The sync mark") and pages through `conversation:sync` from it
 * after every connect and whenever a live change shows a hole (a change seen past one never seen:
 * a lost or late broadcast). Catch-ups run one at a time; a failed request is retried after the
 * back-off while connected.
 */
export class SyncEngine {
  private readonly trackers = new Map<number, ChangeTracker>();
  private readonly holeTimers = new Map<number, unknown>();
  private chain: Promise<boolean> = Promise.resolve(true);
  private stopped = false;

  constructor(private readonly deps: SyncDeps) {}

  /** Starts tracking a conversation from the start (mark 0); returns false when already tracked. */
  track(conversationId: number): boolean {
    if (this.trackers.has(conversationId)) return false;
    this.trackers.set(conversationId, new ChangeTracker());
    return true;
  }

  /**
   * Tracks a conversation from `changeSeq` on (every change up to it is held already, e.g. loaded
   * over HTTP after reading the conversation's changeSeq), replacing any mark it had.
   */
  follow(conversationId: number, changeSeq: number): void {
    const tracker = new ChangeTracker();
    tracker.advanceTo(changeSeq);
    this.trackers.set(conversationId, tracker);
  }

  /** Stops tracking a conversation: it is not caught up any more, and its live changes open no hole. */
  unfollow(conversationId: number): void {
    this.trackers.delete(conversationId);
    const timer = this.holeTimers.get(conversationId);
    if (timer !== undefined) this.deps.clock.clearTimeout(timer);
    this.holeTimers.delete(conversationId);
  }

  tracked(): number[] {
    return [...this.trackers.keys()];
  }

  /** The changeSeq the next catch-up of this conversation starts after. */
  mark(conversationId: number): number {
    return this.trackers.get(conversationId)?.position ?? 0;
  }

  hasHole(conversationId: number): boolean {
    return this.trackers.get(conversationId)?.hasHole ?? false;
  }

  /** A change was seen (live, acknowledged or caught up); a hole it opens is asked for after holeDelayMs. */
  seen(message: Message): void {
    const tracker = this.trackers.get(message.conversationId);
    if (!tracker) return;
    tracker.see(message.changeSeq);
    if (tracker.hasHole) this.syncHoleSoon(message.conversationId);
  }

  /**
   * A catch-up of these conversations (all tracked by default), after any running one; resolves true
   * when every one of them was brought up to date, false when cut short (disconnected, stopped, or
   * too many failures).
   */
  sync(conversationIds: readonly number[] = this.tracked()): Promise<boolean> {
    const run = this.chain.then(() => this.catchUp(conversationIds));
    this.chain = run.catch(() => false);
    return run;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.holeTimers.values()) this.deps.clock.clearTimeout(timer);
    this.holeTimers.clear();
  }

  private syncHoleSoon(conversationId: number): void {
    if (this.holeTimers.has(conversationId)) return;
    this.holeTimers.set(
      conversationId,
      this.deps.clock.setTimeout(() => {
        this.holeTimers.delete(conversationId);
        if (this.stopped || !this.hasHole(conversationId)) return;
        this.deps.note(`hole in ${conversationId} after ${this.mark(conversationId)}: catching up`);
        void this.sync([conversationId]);
      }, this.deps.holeDelayMs),
    );
  }

  private async catchUp(conversationIds: readonly number[]): Promise<boolean> {
    let pending: SyncEntry[] = conversationIds
      .filter((id) => this.trackers.has(id))
      .map((conversationId) => ({ conversationId, changeSeq: this.mark(conversationId) }));
    let failures = 0;
    for (let round = 0; pending.length > 0 && round < SYNC_ROUNDS_MAX; round += 1) {
      if (this.stopped || !this.deps.isConnected()) return false;
      const behind: SyncEntry[] = [];
      let failed = false;
      let retryAfterMs: number | undefined;
      for (const chunk of chunks(pending, SYNC_CONVERSATIONS_MAX)) {
        const ack = await this.deps.request({ conversations: chunk });
        const asked = chunk.map((c) => `${c.conversationId}@${c.changeSeq}`).join(',');
        if (!ack.ok) {
          this.deps.note(`sync from ${asked}: ${ack.error.code}${ack.lost ? ` (${ack.lost})` : ''}`);
          failed = true;
          retryAfterMs = Math.max(retryAfterMs ?? 0, ack.error.retryAfterMs ?? 0);
          if (ack.error.code === ErrorCode.Invalid) {
            // A mark ahead of the server's own (a restored database): start these afresh.
            for (const entry of chunk) {
              if (this.deps.onRefusedMark === 'drop') {
                this.unfollow(entry.conversationId);
                this.deps.reset(entry.conversationId);
                continue;
              }
              this.trackers.set(entry.conversationId, new ChangeTracker());
              this.deps.reset(entry.conversationId);
              behind.push({ conversationId: entry.conversationId, changeSeq: 0 });
            }
          } else {
            behind.push(...chunk);
          }
          continue;
        }
        this.deps.note(
          `sync from ${asked}: ${ack.data.results.map((r) => `${r.conversationId}+${r.messages.length}→${r.changeSeq}`).join(',')}`,
        );
        for (const result of ack.data.results) {
          // The page holds every change up to its changeSeq: move the mark first, so they show no hole.
          this.trackers.get(result.conversationId)?.advanceTo(result.changeSeq);
          this.deps.apply(result);
          if (result.hasMore)
            behind.push({ conversationId: result.conversationId, changeSeq: result.changeSeq });
        }
      }
      pending = behind;
      if (failed && pending.length > 0) {
        failures += 1;
        if (failures > SYNC_FAILURES_MAX || !this.deps.isConnected()) return false;
        await delay(this.deps.clock, retryDelay(failures - 1, retryAfterMs, this.deps.retry));
      }
    }
    return pending.length === 0;
  }
}
