import type { OutboxEntry } from '@parley/client';
import type { ReplyPreview, UserSummary } from '@parley/shared';
import { defineStore } from 'pinia';
import { reactive } from 'vue';
import { useParleyClientStore } from './parleyClient';
import { useSessionStore } from './session';

/** A message of ours the server has not stored yet (the client's outbox owns its delivery and storage). */
export interface OutgoingMessage {
  conversationId: number;
  clientMsgId: string;
  sender: UserSummary;
  text: string;
  replyTo: ReplyPreview | null;
  createdAt: string;
  state: 'sending' | 'failed';
  /** Why it failed, for the words under it. */
  errorCode: string | null;
}

/**
 * Our unsent messages per conversation, in the order written: a read model of the client's outbox
 * entries (`outbox` events), shown after the stored messages until the server has them.
 */
export const useOutgoingStore = defineStore('outgoing', () => {
  const session = useSessionStore();
  const parley = useParleyClientStore();
  const byConversation = reactive(new Map<number, OutgoingMessage[]>());

  function remove(conversationId: number, clientMsgId: string): void {
    const list = byConversation.get(conversationId);
    const index = list?.findIndex((pending) => pending.clientMsgId === clientMsgId) ?? -1;
    if (list && index !== -1) list.splice(index, 1);
  }

  /** An outbox entry changed state: sent ones leave, the others show as sending or failed. */
  function apply(entry: OutboxEntry): void {
    const sender = session.user;
    if (entry.state === 'sent' || !sender) {
      remove(entry.conversationId, entry.clientMsgId);
      return;
    }
    const state = entry.state === 'failed' ? 'failed' : 'sending';
    const errorCode = entry.state === 'failed' ? (entry.error?.code ?? null) : null;
    let list = byConversation.get(entry.conversationId);
    if (!list) {
      byConversation.set(entry.conversationId, []);
      list = byConversation.get(entry.conversationId)!;
    }
    const held = list.find((pending) => pending.clientMsgId === entry.clientMsgId);
    if (held) {
      held.state = state;
      held.errorCode = errorCode;
      return;
    }
    list.push({
      conversationId: entry.conversationId,
      clientMsgId: entry.clientMsgId,
      sender: {
        id: sender.id,
        username: sender.username,
        displayName: sender.displayName,
        kind: sender.kind,
      },
      text: entry.text,
      replyTo: entry.replyTo,
      createdAt: entry.createdAt,
      state,
      errorCode,
    });
  }

  function of(conversationId: number): readonly OutgoingMessage[] {
    return byConversation.get(conversationId) ?? [];
  }

  /** Queues a message: shown at once as sending, saved, then sent in turn (see the client's Outbox). */
  function send(conversationId: number, text: string, replyTo: ReplyPreview | null = null): string | null {
    const client = parley.client;
    if (!client) return null;
    // A plain copy: the draft's quote may be a reactive proxy.
    const quote = replyTo ? { ...replyTo, sender: { ...replyTo.sender } } : undefined;
    return client.send(conversationId, text, quote ? { replyTo: quote } : {}).clientMsgId;
  }

  /**
   * Queues a voice message: the client's outbox entry uploads the recording (kind `voice`, state
   * `uploading`), then sends it with an empty caption, in the conversation's order like any message.
   */
  function sendVoice(conversationId: number, file: Blob, fileName: string): string | null {
    const client = parley.client;
    if (!client) return null;
    return client.send(conversationId, '', { attachment: { kind: 'voice', file, fileName } }).clientMsgId;
  }

  /** Tries a failed message again, with the same clientMsgId. */
  function retry(clientMsgId: string): void {
    parley.client?.outbox.retry(clientMsgId);
  }

  /** Gives up on a failed message. */
  function discard(conversationId: number, clientMsgId: string): void {
    parley.client?.outbox.discard(clientMsgId);
    remove(conversationId, clientMsgId);
  }

  function reset(): void {
    byConversation.clear();
  }

  return { byConversation, apply, of, send, sendVoice, retry, discard, reset };
});
