import type { OutboxEntry } from '@parley/client';
import type { ReplyPreview, UploadKind, UserSummary } from '@parley/shared';
import { defineStore } from 'pinia';
import { markRaw, reactive } from 'vue';
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
  /** The file sent with it, while it is ours alone (the stored message carries the server's attachment). */
  upload: OutgoingUpload | null;
}

/**
 * A pending message's file as the row shows it. `phase`: `waiting` for its turn (or a connection),
 * `uploading` (with `progress` in bytes), `uploaded` (the message itself is being sent).
 */
export interface OutgoingUpload {
  kind: UploadKind;
  fileName: string;
  /** The file's own type (Blob.type), for choosing a local preview. */
  mime: string;
  byteSize: number;
  /** The content, for a local preview (an object URL made and freed by the row showing it). */
  file: Blob;
  phase: 'waiting' | 'uploading' | 'uploaded';
  progress: { loaded: number; total: number } | null;
}

/** A file to send with a message, as the composer holds it. */
export interface AttachmentToSend {
  kind: UploadKind;
  file: Blob;
  fileName: string;
}

function uploadOf(entry: OutboxEntry): OutgoingUpload | null {
  const attachment = entry.attachment;
  if (!attachment) return null;
  return {
    kind: attachment.kind,
    fileName: attachment.fileName,
    mime: attachment.mime,
    byteSize: attachment.byteSize,
    // Not made reactive: a Blob is immutable, and a proxy of it could not be read as one.
    file: markRaw(attachment.file),
    phase: attachment.uploaded ? 'uploaded' : entry.state === 'uploading' ? 'uploading' : 'waiting',
    progress: attachment.progress ? { ...attachment.progress } : null,
  };
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

  /**
   * An outbox entry changed state (or its upload moved on): sent ones leave, the others show as
   * sending or failed, with their file's phase and progress.
   */
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
      held.upload = uploadOf(entry);
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
      upload: uploadOf(entry),
    });
  }

  function of(conversationId: number): readonly OutgoingMessage[] {
    return byConversation.get(conversationId) ?? [];
  }

  /**
   * Queues a message: shown at once as sending, saved, then sent in turn (see the client's Outbox).
   * With `attachment` its file is uploaded first and `text` is its caption (may be empty).
   */
  function send(
    conversationId: number,
    text: string,
    replyTo: ReplyPreview | null = null,
    attachment?: AttachmentToSend,
  ): string | null {
    const client = parley.client;
    if (!client) return null;
    // A plain copy: the draft's quote may be a reactive proxy.
    const quote = replyTo ? { ...replyTo, sender: { ...replyTo.sender } } : undefined;
    return client.send(conversationId, text, {
      ...(quote ? { replyTo: quote } : {}),
      ...(attachment ? { attachment: { ...attachment } } : {}),
    }).clientMsgId;
  }

  /** Tries a failed message again, with the same clientMsgId. */
  function retry(clientMsgId: string): void {
    parley.client?.outbox.retry(clientMsgId);
  }

  /**
   * Gives up on a failed message, or cancels one whose file is not uploaded yet (aborting its
   * upload). A message that may already be on its way to the server stays.
   */
  function discard(conversationId: number, clientMsgId: string): void {
    const client = parley.client;
    if (client && client.outbox.get(clientMsgId) && !client.outbox.discard(clientMsgId)) return;
    remove(conversationId, clientMsgId);
  }

  function reset(): void {
    byConversation.clear();
  }

  return { byConversation, apply, of, send, retry, discard, reset };
});
