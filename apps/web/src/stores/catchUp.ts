import { ErrorCode, SYNC_CONVERSATIONS_MAX, type SyncPayload } from '@parley/shared';
import { backoffDelay } from '@parley/client';
import { defineStore } from 'pinia';
import { emitSync, isSocketConnected } from '@/socket';
import { useConversationsStore } from './conversations';
import { useMessagesStore } from './messages';
import { useReceiptsStore } from './receipts';
import { useSessionStore } from './session';

/** Sync pages per conversation before it is cheaper to drop what we hold and load the newest page. */
export const SYNC_ROUNDS_MAX = 10;
/**
 * A hole in the live changes is usually an event that is merely late (relayed by another server
 * process): wait this long before asking the server for it.
 */
export const HOLE_SYNC_DELAY_MS = 1000;
/** A refused or timed-out sync is tried again after about 1, 2, 4… seconds (±50 %, at most this), while connected. */
export const SYNC_RETRY_MAX_MS = 30_000;
const SYNC_RETRIES_MAX = 8;

type SyncEntry = SyncPayload['conversations'][number];

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}

/**
 * Catch-up after every (re)connect: the conversation list again (new conversations, unread counts,
 * receipts), and `conversation:sync` for each conversation whose messages are loaded, from the
 * changeSeq up to which we have seen everything.
 */
export const useCatchUpStore = defineStore('catchUp', () => {
  const conversations = useConversationsStore();
  const messages = useMessagesStore();
  const receipts = useReceiptsStore();
  const session = useSessionStore();
  let runs = 0;
  const holeTimers = new Map<number, ReturnType<typeof setTimeout>>();

  async function syncConversations(
    conversationIds: readonly number[],
    run: number,
    attempt = 0,
  ): Promise<void> {
    let pending: SyncEntry[] = conversationIds.map((conversationId) => ({
      conversationId,
      changeSeq: messages.watermark(conversationId),
    }));
    for (let round = 0; round < SYNC_ROUNDS_MAX && pending.length > 0; round += 1) {
      const behind: SyncEntry[] = [];
      for (const chunk of chunks(pending, SYNC_CONVERSATIONS_MAX)) {
        const ack = await emitSync({ conversations: chunk });
        if (run !== runs) return;
        if (!ack.ok) {
          // Our position is ahead of the server's (e.g. a restored database): start these afresh.
          if (ack.error.code === ErrorCode.Invalid) await reloadAll(chunk);
          // A timeout, a busy or briefly unavailable server, a rate limit: try again while connected
          // (a lost connection starts over on the next connect anyway).
          else
            retryLater(
              pending.map((entry) => entry.conversationId),
              run,
              attempt,
            );
          return;
        }
        for (const result of ack.data.results) {
          messages.applySync(result);
          if (result.hasMore)
            behind.push({ conversationId: result.conversationId, changeSeq: result.changeSeq });
        }
      }
      pending = behind;
    }
    await reloadAll(pending);
  }

  function retryLater(conversationIds: number[], run: number, attempt: number): void {
    if (attempt >= SYNC_RETRIES_MAX) return;
    const delay = backoffDelay(attempt, { baseMs: 1000, maxMs: SYNC_RETRY_MAX_MS });
    setTimeout(() => {
      if (run !== runs || !isSocketConnected()) return;
      void syncConversations(conversationIds, run, attempt + 1).catch((error: unknown) =>
        console.warn('catch-up failed', error),
      );
    }, delay);
  }

  async function reloadAll(entries: readonly SyncEntry[]): Promise<void> {
    await Promise.allSettled(entries.map((entry) => messages.reload(entry.conversationId)));
  }

  /** Tells the server what reached this device while we were away. */
  function reportDelivered(): void {
    const me = session.user?.id;
    for (const conversation of conversations.sorted) {
      const last = conversation.lastMessage;
      if (!last || last.sender.id === me) continue;
      receipts.reportDelivered(conversation.id, conversation.lastSeq);
    }
  }

  async function run(): Promise<void> {
    runs += 1;
    const run = runs;
    const listed = conversations.load().then(
      () => true,
      () => false,
    );
    await syncConversations(messages.loadedConversationIds(), run).catch((error: unknown) =>
      console.warn('catch-up failed', error),
    );
    const listOk = await listed;
    if (run === runs && listOk) reportDelivered();
  }

  /** A live change arrived past a missing one: sync that conversation from its mark, unless the gap closes first. */
  function syncSoon(conversationId: number): void {
    if (holeTimers.has(conversationId)) return;
    holeTimers.set(
      conversationId,
      setTimeout(() => {
        holeTimers.delete(conversationId);
        if (!messages.hasHole(conversationId)) return;
        void syncConversations([conversationId], runs).catch((error: unknown) =>
          console.warn('catch-up failed', error),
        );
      }, HOLE_SYNC_DELAY_MS),
    );
  }

  return { run, syncSoon };
});
