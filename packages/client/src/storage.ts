import type { Attachment, ReplyPreview, UploadKind } from '@parley/shared';

/**
 * The file of a message being sent with one, as storage keeps it: the bytes themselves until the
 * server has them, then also the upload's answer, so that a restart re-uploads only when it must.
 */
export interface OutboxRecordAttachment {
  kind: UploadKind;
  fileName: string;
  /** The file's own type as the runtime gave it (Blob.type, may be empty); the server decides from the bytes. */
  mime: string;
  byteSize: number;
  /** The content. IndexedDB keeps Blobs as they are; the Node file driver writes them as base64. */
  file: Blob;
  /** The server's attachment once the upload succeeded (its id is what message:send names). */
  uploaded: Attachment | null;
}

/**
 * What the outbox saves of a message that is not acknowledged yet, so that a reload, a crash or a
 * restart sends it later with the same clientMsgId (and the server stores it once).
 */
export interface OutboxRecord {
  clientMsgId: string;
  conversationId: number;
  text: string;
  replyToId: number | null;
  /**
   * What the quoted message looked like when this one was written, so that a UI can show the
   * pending message with its quote after a restart (absent in records saved without one).
   */
  replyTo?: ReplyPreview | null;
  /** A file sent with the message (absent in records saved without one). */
  attachment?: OutboxRecordAttachment | null;
  /** When it was written (ISO 8601). */
  createdAt: string;
  /** Send order: a conversation's messages go out by ascending order. */
  order: number;
  /** `pending` is sent on the next chance; `failed` was refused and waits for retry() or discard(). */
  state: 'pending' | 'failed';
  /** The refusal's code, when failed. */
  errorCode: string | null;
}

/**
 * The outbox's storage port. A driver holds one user's records (a browser driver keys them by user,
 * as IndexedDB is shared by every account of the origin; a Node driver is given a file per client).
 * Writes may fail (a private browsing mode, a full disk): the outbox logs it and keeps sending, the
 * message just would not survive a restart.
 */
export interface OutboxStorage {
  /** Every record saved, in any order. */
  load(): Promise<OutboxRecord[]>;
  /** Inserts or replaces the record with this clientMsgId. */
  save(record: OutboxRecord): Promise<void>;
  remove(clientMsgId: string): Promise<void>;
}

/** Keeps records in memory only: nothing survives the process. The default. */
export class MemoryOutboxStorage implements OutboxStorage {
  private readonly records = new Map<string, OutboxRecord>();

  async load(): Promise<OutboxRecord[]> {
    return [...this.records.values()].map(copyRecord);
  }

  async save(record: OutboxRecord): Promise<void> {
    this.records.set(record.clientMsgId, copyRecord(record));
  }

  async remove(clientMsgId: string): Promise<void> {
    this.records.delete(clientMsgId);
  }
}

/** A copy that shares nothing mutable with `record` (the Blob is immutable and stays shared). */
export function copyRecord(record: OutboxRecord): OutboxRecord {
  return record.attachment ? { ...record, attachment: { ...record.attachment } } : { ...record };
}
