import { ErrorCode, type ApiError, type Message, type SendMessagePayload } from '@parley/shared';
import { retryDelay } from './backoff.js';
import {
  isTransient,
  toRecord,
  type AttemptOutcome,
  type OutboxAttachment,
  type OutboxDeps,
  type OutboxEntry,
  type SendOptions,
} from './outbox-entry.js';
import type { OutboxRecord } from './storage.js';
import type { UploadResult } from './upload.js';

export type {
  Attempt,
  AttemptOutcome,
  OutboxAttachment,
  OutboxDeps,
  OutboxEntry,
  OutboxState,
  SendOptions,
  UploadStep,
} from './outbox-entry.js';

/** How often at most an uploading entry's `outbox` event fires for progress alone (ms). */
export const UPLOAD_PROGRESS_INTERVAL_MS = 200;

/**
 * Sending, with the promise that a message is stored once and in the order written: every message
 * is saved before its first attempt and removed from storage only once acknowledged. A
 * conversation's messages go out one at a time, by `order`, so their seqs follow the order they were
 * written (conversations do not wait for each other). No answer, a disconnect or a retryable refusal
 * keep it pending: it is tried again with the same clientMsgId (which the server stores once) after
 * the back-off, never sooner than the server's `retryAfterMs`, and at once on reconnect.
 *
 * A message with a file has one step more, in its turn: `uploading` (POST /api/uploads), then the
 * send naming the upload. The upload's answer is saved with the entry, so a restart sends at once,
 * or uploads again when the answer never came (the server drops unattached uploads after a day).
 * Upload failures are retried like sends; a refusal of the file (`upload/*`, too large) fails it.
 */
export class Outbox {
  private readonly entries = new Map<string, OutboxEntry>();
  private readonly saves = new Map<string, Promise<void>>();
  private readonly sending = new Set<number>();
  private readonly timers = new Map<number, unknown>();
  private readonly failures = new Map<number, number>();
  private readonly settledWaiters = new Set<() => void>();
  private readonly uploads = new Map<string, AbortController>();
  private pausedUntil = 0;
  private lastOrder = 0;
  private closed = false;

  constructor(private readonly deps: OutboxDeps) {}

  /** Reads what storage kept (a previous run's unsent messages) and queues it; returns those entries. */
  async restore(): Promise<OutboxEntry[]> {
    let records: OutboxRecord[];
    try {
      records = await this.deps.storage.load();
    } catch (error) {
      this.deps.logger.warn('outbox: could not read saved messages', { error: String(error) });
      return [];
    }
    const restored: OutboxEntry[] = [];
    for (const record of records.sort((a, b) => a.order - b.order)) {
      if (this.entries.has(record.clientMsgId)) continue;
      const entry: OutboxEntry = {
        clientMsgId: record.clientMsgId,
        conversationId: record.conversationId,
        text: record.text,
        replyToId: record.replyToId,
        replyTo: record.replyTo ?? null,
        createdAt: record.createdAt,
        order: record.order,
        state: record.state,
        attempts: [],
        message: null,
        error: record.errorCode
          ? { code: record.errorCode as ErrorCode, message: 'refused before a restart' }
          : null,
        attachment: record.attachment ? { ...record.attachment, progress: null } : null,
      };
      this.entries.set(entry.clientMsgId, entry);
      this.saves.set(entry.clientMsgId, Promise.resolve());
      this.lastOrder = Math.max(this.lastOrder, entry.order);
      restored.push(entry);
      this.deps.changed(entry);
    }
    this.resume();
    return restored;
  }

  /** Queues a message: saved, then sent after every message of its conversation queued before it. */
  add(conversationId: number, text: string, options: SendOptions = {}): OutboxEntry {
    if (this.closed) throw new Error('this client is closed');
    this.lastOrder = Math.max(this.deps.clock.now(), this.lastOrder + 1);
    const entry: OutboxEntry = {
      clientMsgId: this.deps.newId(),
      conversationId,
      text,
      replyToId: options.replyToId ?? options.replyTo?.id ?? null,
      replyTo: options.replyTo ?? null,
      createdAt: new Date(this.deps.clock.now()).toISOString(),
      order: this.lastOrder,
      state: 'pending',
      attempts: [],
      message: null,
      error: null,
      attachment: options.attachment
        ? {
            kind: options.attachment.kind,
            fileName: options.attachment.fileName,
            mime: options.attachment.file.type,
            byteSize: options.attachment.file.size,
            file: options.attachment.file,
            uploaded: null,
            progress: null,
          }
        : null,
    };
    this.entries.set(entry.clientMsgId, entry);
    this.persist(entry);
    this.deps.changed(entry);
    void this.pump(conversationId);
    return entry;
  }

  /** Resolves once the entry's latest state is in storage (its first attempt waits for this too). */
  whenSaved(clientMsgId: string): Promise<void> {
    return this.saves.get(clientMsgId) ?? Promise.resolve();
  }

  /**
   * Tries a failed message again, with the same clientMsgId; one failed because the server no longer
   * has its upload (`upload/not_found`) uploads its file again first.
   */
  retry(clientMsgId: string): void {
    const entry = this.entries.get(clientMsgId);
    if (!entry || entry.state !== 'failed') return;
    if (entry.error?.code === ErrorCode.UploadNotFound && entry.attachment) entry.attachment.uploaded = null;
    entry.state = 'pending';
    entry.error = null;
    this.persist(entry);
    this.deps.changed(entry);
    void this.pump(entry.conversationId);
  }

  /**
   * Gives up on a message: it is forgotten, here and in storage. Allowed while nothing of it can
   * have reached the server as a message: a failed one, or one whose file is not uploaded yet (a
   * running upload is aborted: the cancel button). Returns whether it was discarded.
   */
  discard(clientMsgId: string): boolean {
    const entry = this.entries.get(clientMsgId);
    if (!entry || !this.discardable(entry)) return false;
    this.entries.delete(clientMsgId);
    this.uploads.get(clientMsgId)?.abort();
    this.forget(clientMsgId);
    this.checkSettled();
    return true;
  }

  /** Whether discard() would take it: failed, or its file is still to upload. */
  discardable(entry: OutboxEntry): boolean {
    if (entry.state === 'failed') return true;
    return (
      (entry.state === 'pending' || entry.state === 'uploading') &&
      entry.attachment !== null &&
      entry.attachment.uploaded === null
    );
  }

  /**
   * The server has this message (its message:new reached us, e.g. sent by this client before a
   * restart and acknowledged to nobody): nothing left to send.
   */
  settle(message: Message): void {
    const entry = this.entries.get(message.clientMsgId);
    if (!entry || entry.conversationId !== message.conversationId || entry.state === 'sent') return;
    this.markSent(entry, message);
  }

  /** Connected (again): every conversation's queue starts now, whatever back-off it was in. */
  resume(): void {
    for (const timer of this.timers.values()) this.deps.clock.clearTimeout(timer);
    this.timers.clear();
    this.failures.clear();
    for (const conversationId of new Set([...this.entries.values()].map((e) => e.conversationId)))
      void this.pump(conversationId);
  }

  /** The server asked to slow down (`rate:limited`): no attempt starts for `ms`. */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.deps.clock.now() + ms);
  }

  get(clientMsgId: string): OutboxEntry | undefined {
    return this.entries.get(clientMsgId);
  }

  /** Every entry of this run (sent ones too, until clearSent()), in the order written. */
  list(): OutboxEntry[] {
    return [...this.entries.values()].sort((a, b) => a.order - b.order);
  }

  /** Entries not acknowledged and not failed. */
  unsent(): OutboxEntry[] {
    return this.list().filter(
      (entry) => entry.state === 'pending' || entry.state === 'uploading' || entry.state === 'sending',
    );
  }

  /** Forgets the sent entries this run keeps for list() (a long-running client calls it now and then). */
  clearSent(): void {
    for (const [clientMsgId, entry] of this.entries)
      if (entry.state === 'sent') this.entries.delete(clientMsgId);
  }

  /**
   * Resolves once nothing is pending or sending (each message sent or failed). With `timeoutMs`,
   * rejects after it naming what is stuck and how its attempts ended.
   */
  whenSettled(timeoutMs?: number): Promise<void> {
    if (this.unsent().length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: unknown = null;
      const done = () => {
        if (timer !== null) this.deps.clock.clearTimeout(timer);
        this.settledWaiters.delete(done);
        resolve();
      };
      this.settledWaiters.add(done);
      if (timeoutMs !== undefined) {
        timer = this.deps.clock.setTimeout(() => {
          this.settledWaiters.delete(done);
          const stuck = this.unsent().map(
            (e) => `${e.text} (${e.attempts.map((a) => a.code ?? a.outcome).join(',') || 'no attempt'})`,
          );
          reject(new Error(`outbox not settled within ${timeoutMs} ms: ${stuck.join('; ')}`));
        }, timeoutMs);
      }
    });
  }

  close(): void {
    this.closed = true;
    for (const upload of this.uploads.values()) upload.abort();
    this.uploads.clear();
    for (const timer of this.timers.values()) this.deps.clock.clearTimeout(timer);
    this.timers.clear();
  }

  private persist(entry: OutboxEntry): void {
    const previous = this.saves.get(entry.clientMsgId) ?? Promise.resolve();
    const record = toRecord(entry);
    const save = previous
      .then(() => this.deps.storage.save(record))
      .catch((error: unknown) =>
        this.deps.logger.warn('outbox: could not save a message', { error: String(error) }),
      );
    this.saves.set(entry.clientMsgId, save);
  }

  private forget(clientMsgId: string): void {
    const previous = this.saves.get(clientMsgId) ?? Promise.resolve();
    const removal = previous
      .then(() => this.deps.storage.remove(clientMsgId))
      .catch((error: unknown) =>
        this.deps.logger.warn('outbox: could not remove a sent message', { error: String(error) }),
      );
    this.saves.set(clientMsgId, removal);
  }

  private markSent(entry: OutboxEntry, message: Message): void {
    // Sent before a restart, its upload running again here: no longer needed.
    this.uploads.get(entry.clientMsgId)?.abort();
    if (entry.attachment) entry.attachment.progress = null;
    entry.state = 'sent';
    entry.message = message;
    entry.error = null;
    this.forget(entry.clientMsgId);
    this.deps.changed(entry);
    this.checkSettled();
  }

  private checkSettled(): void {
    if (this.unsent().length > 0) return;
    for (const done of [...this.settledWaiters]) done();
  }

  private nextPending(conversationId: number): OutboxEntry | undefined {
    let first: OutboxEntry | undefined;
    for (const entry of this.entries.values()) {
      if (entry.conversationId !== conversationId || entry.state !== 'pending') continue;
      if (!first || entry.order < first.order) first = entry;
    }
    return first;
  }

  private scheduleRetry(conversationId: number, delayMs: number): void {
    const existing = this.timers.get(conversationId);
    if (existing !== undefined) this.deps.clock.clearTimeout(existing);
    this.timers.set(
      conversationId,
      this.deps.clock.setTimeout(() => {
        this.timers.delete(conversationId);
        void this.pump(conversationId);
      }, delayMs),
    );
  }

  /** Sends the conversation's oldest pending message, then the next, one at a time. */
  private async pump(conversationId: number): Promise<void> {
    if (this.closed || this.sending.has(conversationId) || this.timers.has(conversationId)) return;
    if (!this.deps.isConnected()) return;
    const wait = this.pausedUntil - this.deps.clock.now();
    if (wait > 0) {
      this.scheduleRetry(conversationId, wait);
      return;
    }
    const entry = this.nextPending(conversationId);
    if (!entry) return;
    this.sending.add(conversationId);
    let next: 'continue' | 'wait' = 'continue';
    try {
      await this.saves.get(entry.clientMsgId);
      // Settled, discarded or closed while its save finished: go on with the next one.
      if (entry.state === 'pending' && !this.closed && this.entries.get(entry.clientMsgId) === entry) {
        if (entry.attachment && entry.attachment.uploaded === null)
          next = await this.uploadStep(entry, entry.attachment);
        if (next === 'continue' && entry.state === 'pending') {
          entry.state = 'sending';
          this.deps.changed(entry);
          next = await this.attempt(entry);
        }
      }
    } finally {
      this.sending.delete(conversationId);
    }
    if (next === 'continue' && !this.closed) void this.pump(conversationId);
  }

  /** One attempt; says whether the conversation's next message may go at once. */
  private async attempt(entry: OutboxEntry): Promise<'continue' | 'wait'> {
    const startedAt = this.deps.clock.now();
    const payload: SendMessagePayload = {
      conversationId: entry.conversationId,
      clientMsgId: entry.clientMsgId,
      text: entry.text,
      ...(entry.replyToId !== null ? { replyToId: entry.replyToId } : {}),
      ...(entry.attachment?.uploaded ? { attachmentId: entry.attachment.uploaded.id } : {}),
    };
    const ack = await this.deps.send(payload);
    const durationMs = this.deps.clock.now() - startedAt;
    // Settled meanwhile (its message:new arrived from another path), or closed.
    if (entry.state !== 'sending') return 'continue';
    if (ack.ok) {
      entry.attempts.push({ step: 'send', outcome: 'ok', startedAt, durationMs });
      this.failures.delete(entry.conversationId);
      this.markSent(entry, ack.data);
      this.deps.stored(ack.data);
      return 'continue';
    }
    const outcome: AttemptOutcome =
      ack.lost === 'timeout' ? 'timeout' : ack.lost !== undefined ? 'disconnected' : 'error';
    entry.attempts.push({
      step: 'send',
      outcome,
      ...(outcome === 'error' ? { code: ack.error.code } : {}),
      ...(ack.error.retryAfterMs !== undefined ? { retryAfterMs: ack.error.retryAfterMs } : {}),
      startedAt,
      durationMs,
    });
    if (outcome === 'error' && this.uploadAgain(entry, ack.error)) return 'continue';
    return this.refused(entry, ack.error, outcome === 'error');
  }

  /**
   * A send refused with `upload/not_found` names an upload the server no longer has (never attached
   * within UPLOAD_UNATTACHED_TTL_HOURS: the app was closed for a day). The outbox still holds the
   * file, so it forgets the upload and uploads again before the same send (docs/protocol.md: upload
   * again and resend, the message is stored once). Once per entry: a fresh upload refused the same
   * way fails the message as before. Says whether it will.
   */
  private uploadAgain(entry: OutboxEntry, error: ApiError): boolean {
    const attachment = entry.attachment;
    if (error.code !== ErrorCode.UploadNotFound || !attachment?.uploaded) return false;
    const before = entry.attempts
      .slice(0, -1)
      .filter((attempt) => attempt.step === 'send' && attempt.code === ErrorCode.UploadNotFound);
    if (before.length > 0) return false;
    attachment.uploaded = null;
    entry.state = 'pending';
    entry.error = null;
    this.persist(entry);
    this.deps.changed(entry);
    return true;
  }

  /**
   * After a refused or lost attempt (upload or send): a final refusal fails the entry (the
   * conversation's next message may go); anything else leaves it pending, retried after the
   * back-off (or on reconnect), and holds the conversation's queue meanwhile.
   */
  private refused(entry: OutboxEntry, error: ApiError, answered: boolean): 'continue' | 'wait' {
    const conversationId = entry.conversationId;
    const failuresSoFar = (this.failures.get(conversationId) ?? 0) + 1;
    if (answered && !isTransient(error.code, failuresSoFar)) {
      this.failures.delete(conversationId);
      entry.state = 'failed';
      entry.error = error;
      this.persist(entry);
      this.deps.changed(entry);
      this.checkSettled();
      return 'continue';
    }
    this.failures.set(conversationId, failuresSoFar);
    entry.state = 'pending';
    entry.error = error;
    this.deps.changed(entry);
    // Disconnected: the reconnect resumes it. Otherwise try again after a growing delay.
    if (this.deps.isConnected())
      this.scheduleRetry(conversationId, retryDelay(failuresSoFar - 1, error.retryAfterMs, this.deps.retry));
    return 'wait';
  }

  /**
   * Uploads the entry's file; on success saves the server's answer with the entry before its send
   * goes out. Says whether the send may go on now (`continue` with the entry still pending).
   */
  private async uploadStep(entry: OutboxEntry, attachment: OutboxAttachment): Promise<'continue' | 'wait'> {
    const startedAt = this.deps.clock.now();
    const controller = new AbortController();
    this.uploads.set(entry.clientMsgId, controller);
    entry.state = 'uploading';
    entry.error = null;
    attachment.progress = { loaded: 0, total: attachment.byteSize };
    this.deps.changed(entry);
    let lastReport = startedAt;
    let result: UploadResult;
    try {
      result = await this.deps.upload({
        kind: attachment.kind,
        file: attachment.file,
        fileName: attachment.fileName,
        signal: controller.signal,
        onProgress: (loaded, total) => {
          if (entry.state !== 'uploading') return;
          attachment.progress = { loaded, total };
          const now = this.deps.clock.now();
          if (now - lastReport < UPLOAD_PROGRESS_INTERVAL_MS && loaded < total) return;
          lastReport = now;
          this.deps.changed(entry);
        },
      });
    } finally {
      if (this.uploads.get(entry.clientMsgId) === controller) this.uploads.delete(entry.clientMsgId);
    }
    // Discarded, settled (sent before a restart) or closed meanwhile: nothing more to do for it.
    if (entry.state !== 'uploading' || this.entries.get(entry.clientMsgId) !== entry) return 'continue';
    const durationMs = this.deps.clock.now() - startedAt;
    attachment.progress = null;
    if (this.closed || (!result.ok && result.aborted)) {
      // Stopped with the client: storage still has it, for the next run to upload.
      entry.state = 'pending';
      return 'wait';
    }
    if (result.ok) {
      entry.attempts.push({ step: 'upload', outcome: 'ok', startedAt, durationMs });
      attachment.uploaded = result.upload;
      entry.state = 'pending';
      this.persist(entry);
      this.deps.changed(entry);
      // The send waits for the upload's answer to be saved (pump awaits the save before it).
      await this.saves.get(entry.clientMsgId);
      return 'continue';
    }
    const outcome: AttemptOutcome = result.lost ? 'disconnected' : 'error';
    entry.attempts.push({
      step: 'upload',
      outcome,
      ...(outcome === 'error' ? { code: result.error.code } : {}),
      ...(result.error.retryAfterMs !== undefined ? { retryAfterMs: result.error.retryAfterMs } : {}),
      startedAt,
      durationMs,
    });
    return this.refused(entry, result.error, !result.lost);
  }
}
