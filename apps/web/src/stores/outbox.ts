import {
  ErrorCode,
  isRetryableErrorCode,
  type Message,
  type ReplyPreview,
  type SendMessagePayload,
} from '@parley/shared';
import { backoffDelay } from '@parley/client';
import { defineStore } from 'pinia';
import { emitSendMessage, isSocketConnected } from '@/socket';
import { outboxDb, type OutboxRecord } from '@/storage/outboxDb';
import { useConversationsStore } from './conversations';
import { useMessagesStore, type OutgoingMessage } from './messages';
import { useReceiptsStore } from './receipts';
import { useSessionStore } from './session';

/** An unexpected server error may be a passing fault, but not one worth retrying for ever. */
const INTERNAL_ATTEMPTS_MAX = 5;

/** Retry delays; tests shorten them. */
export const outboxRetry = { baseMs: 1000, maxMs: 30_000 };

export type SendOutcome = 'sent' | 'pending' | 'failed';

function toOutgoing(record: OutboxRecord): OutgoingMessage {
  return {
    conversationId: record.conversationId,
    clientMsgId: record.clientMsgId,
    sender: record.sender,
    text: record.text,
    replyTo: record.replyTo,
    createdAt: record.createdAt,
    state: record.state === 'failed' ? 'failed' : 'sending',
    errorCode: record.errorCode,
  };
}

function payloadOf(record: OutboxRecord): SendMessagePayload {
  return {
    conversationId: record.conversationId,
    clientMsgId: record.clientMsgId,
    text: record.text,
    ...(record.replyToId !== null ? { replyToId: record.replyToId } : {}),
  };
}

/**
 * Sending: every message is written to IndexedDB before its first attempt and removed only when the
 * server acknowledges it, so it survives a reload. A conversation's messages go out one at a time, in
 * the order typed, so their seqs follow that order. No answer, a disconnect, or a retryable refusal
 * (`server/unavailable`, `server/busy`, `request/rate_limited`) keep it pending and retry (with
 * back-off, never sooner than the server's `retryAfterMs`, and at once on reconnect) with the same
 * clientMsgId, which the server stores once; a refusal marks it failed.
 */
export const useOutboxStore = defineStore('outbox', () => {
  const messages = useMessagesStore();
  const conversations = useConversationsStore();
  const receipts = useReceiptsStore();
  const session = useSessionStore();

  const records = new Map<string, OutboxRecord>();
  /** The IndexedDB write of each record: its first attempt waits for it. */
  const writes = new Map<string, Promise<void>>();
  const sending = new Set<number>();
  const retryTimers = new Map<number, ReturnType<typeof setTimeout>>();
  const failures = new Map<number, number>();
  /** Waiters per clientMsgId, for callers that want to know how a send ended. */
  const waiters = new Map<string, ((outcome: SendOutcome) => void)[]>();
  let pausedUntil = 0;
  let lastOrder = 0;
  /** Bumped on sign-out, so answers for the previous user are ignored. */
  let generation = 0;

  function persist(record: OutboxRecord): Promise<void> {
    const write = outboxDb.put({ ...record }).catch((error: unknown) => {
      // No IndexedDB (e.g. some private modes): the message is still sent, it just would not survive a reload.
      console.warn('outbox: could not save a pending message', error);
    });
    writes.set(record.clientMsgId, write);
    return write;
  }

  function forget(clientMsgId: string): Promise<void> {
    records.delete(clientMsgId);
    writes.delete(clientMsgId);
    return outboxDb.delete(clientMsgId).catch((error: unknown) => {
      console.warn('outbox: could not remove a sent message', error);
    });
  }

  function notify(clientMsgId: string, outcome: SendOutcome): void {
    for (const resolve of waiters.get(clientMsgId) ?? []) resolve(outcome);
    waiters.delete(clientMsgId);
  }

  /** Resolves when the message is stored or refused (a pending one may wait for a reconnect). */
  function whenSettled(clientMsgId: string): Promise<SendOutcome> {
    if (!records.has(clientMsgId)) return Promise.resolve('sent');
    return new Promise((resolve) => waiters.set(clientMsgId, [...(waiters.get(clientMsgId) ?? []), resolve]));
  }

  function nextPending(conversationId: number): OutboxRecord | undefined {
    let first: OutboxRecord | undefined;
    for (const record of records.values()) {
      if (record.conversationId !== conversationId || record.state !== 'pending') continue;
      if (!first || record.order < first.order) first = record;
    }
    return first;
  }

  function scheduleRetry(conversationId: number, delayMs: number): void {
    clearTimeout(retryTimers.get(conversationId));
    retryTimers.set(
      conversationId,
      setTimeout(() => {
        retryTimers.delete(conversationId);
        void pump(conversationId);
      }, delayMs),
    );
  }

  /**
   * The shared retryable codes (`server/unavailable`, `server/busy`, `request/rate_limited`) keep the
   * message pending; `server/internal` does a few times. Any other refusal is about the message
   * itself: it is marked not sent, with Retry and Discard. A session that ended under the send
   * (`auth/unauthenticated`) is not the message's fault either: it stays pending and goes out once
   * its author is signed in again.
   */
  function isTransient(code: string, failuresSoFar: number): boolean {
    if (code === ErrorCode.Internal) return failuresSoFar < INTERNAL_ATTEMPTS_MAX;
    if (code === ErrorCode.Unauthenticated) return true;
    return isRetryableErrorCode(code);
  }

  /** The back-off, and never sooner than the server asked (`retryAfterMs`, spread up to +50 %). */
  function retryDelay(failuresSoFar: number, retryAfterMs: number | undefined): number {
    const asked = (retryAfterMs ?? 0) * (1 + Math.random() / 2);
    return Math.max(asked, backoffDelay(failuresSoFar - 1, outboxRetry));
  }

  /** The stored message is in: show it in place of the pending copy and stop tracking it. */
  async function acknowledged(message: Message): Promise<void> {
    messages.receive(message);
    conversations.applyMessage(message, session.user?.id ?? null);
    receipts.applyOwnMessage(message);
    await settle(message);
  }

  /** The server has this message (acknowledged here, or echoed from another tab): nothing left to send. */
  async function settle(message: Pick<Message, 'clientMsgId'>): Promise<void> {
    if (!records.has(message.clientMsgId)) return;
    await forget(message.clientMsgId);
    notify(message.clientMsgId, 'sent');
  }

  /** Sends the conversation's oldest pending message, then the next, one at a time. */
  async function pump(conversationId: number): Promise<void> {
    if (sending.has(conversationId) || retryTimers.has(conversationId) || !isSocketConnected()) return;
    const wait = pausedUntil - Date.now();
    if (wait > 0) {
      scheduleRetry(conversationId, wait);
      return;
    }
    const record = nextPending(conversationId);
    if (!record) return;

    const started = generation;
    sending.add(conversationId);
    let next: 'continue' | 'wait' = 'continue';
    try {
      await writes.get(record.clientMsgId);
      const ack = await emitSendMessage(payloadOf(record));
      if (started !== generation) return;
      if (ack.ok) {
        failures.delete(conversationId);
        await acknowledged(ack.data);
      } else {
        const failuresSoFar = (failures.get(conversationId) ?? 0) + 1;
        if (isTransient(ack.error.code, failuresSoFar)) {
          failures.set(conversationId, failuresSoFar);
          next = 'wait';
          // Disconnected: the reconnect resumes it; otherwise try again after a growing delay.
          if (isSocketConnected())
            scheduleRetry(conversationId, retryDelay(failuresSoFar, ack.error.retryAfterMs));
        } else {
          failures.delete(conversationId);
          await markFailed(record, ack.error.code);
        }
      }
    } finally {
      if (started === generation) sending.delete(conversationId);
    }
    if (next === 'continue' && started === generation) void pump(conversationId);
  }

  async function markFailed(record: OutboxRecord, code: string): Promise<void> {
    record.state = 'failed';
    record.errorCode = code;
    messages.setOutgoingState(record.conversationId, record.clientMsgId, 'failed', code);
    await persist(record);
    notify(record.clientMsgId, 'failed');
  }

  /** Queues a message: shown at once as sending, saved, then sent in turn. */
  async function send(
    conversationId: number,
    text: string,
    replyTo: ReplyPreview | null = null,
  ): Promise<string | null> {
    const sender = session.user;
    if (!sender) return null;
    lastOrder = Math.max(Date.now(), lastOrder + 1);
    const record: OutboxRecord = {
      clientMsgId: crypto.randomUUID(),
      userId: sender.id,
      conversationId,
      text,
      replyToId: replyTo?.id ?? null,
      // A plain copy: IndexedDB cannot store the reactive proxy a draft may be.
      replyTo: replyTo ? { ...replyTo, sender: { ...replyTo.sender } } : null,
      sender: {
        id: sender.id,
        username: sender.username,
        displayName: sender.displayName,
        kind: sender.kind,
      },
      createdAt: new Date().toISOString(),
      order: lastOrder,
      state: 'pending',
      errorCode: null,
    };
    records.set(record.clientMsgId, record);
    messages.addOutgoing(toOutgoing(record));
    await persist(record);
    void pump(conversationId);
    return record.clientMsgId;
  }

  /** Tries a failed message again, with the same clientMsgId. */
  async function retry(clientMsgId: string): Promise<void> {
    const record = records.get(clientMsgId);
    if (!record || record.state !== 'failed') return;
    record.state = 'pending';
    record.errorCode = null;
    messages.setOutgoingState(record.conversationId, clientMsgId, 'sending');
    await persist(record);
    void pump(record.conversationId);
  }

  /** Gives up on a failed message. */
  async function discard(clientMsgId: string): Promise<void> {
    const record = records.get(clientMsgId);
    if (!record || record.state !== 'failed') return;
    messages.discardOutgoing(record.conversationId, clientMsgId);
    await forget(clientMsgId);
  }

  /** After a reload: shows this user's unsent messages in their conversations and sends them. */
  async function restore(userId: number): Promise<void> {
    const started = generation;
    let saved: OutboxRecord[];
    try {
      saved = await outboxDb.list(userId);
    } catch (error) {
      console.warn('outbox: could not read saved messages', error);
      return;
    }
    if (started !== generation || session.user?.id !== userId) return;
    for (const record of saved) {
      if (records.has(record.clientMsgId)) continue;
      records.set(record.clientMsgId, record);
      writes.set(record.clientMsgId, Promise.resolve());
      lastOrder = Math.max(lastOrder, record.order);
      messages.addOutgoing(toOutgoing(record));
    }
    resume();
  }

  /** Connected (again): every conversation's queue starts now, whatever back-off it was in. */
  function resume(): void {
    for (const timer of retryTimers.values()) clearTimeout(timer);
    retryTimers.clear();
    failures.clear();
    const conversationIds = new Set([...records.values()].map((record) => record.conversationId));
    for (const conversationId of conversationIds) void pump(conversationId);
  }

  /** The server asked us to slow down (`rate:limited`). */
  function pauseFor(ms: number): void {
    pausedUntil = Math.max(pausedUntil, Date.now() + ms);
  }

  function pendingCount(): number {
    return [...records.values()].filter((record) => record.state === 'pending').length;
  }

  /** Signed out: stop sending. What is saved stays for when this user signs in again. */
  function reset(): void {
    generation += 1;
    for (const timer of retryTimers.values()) clearTimeout(timer);
    retryTimers.clear();
    records.clear();
    writes.clear();
    sending.clear();
    failures.clear();
    waiters.clear();
    pausedUntil = 0;
  }

  return { send, retry, discard, restore, resume, settle, pauseFor, whenSettled, pendingCount, reset };
});
