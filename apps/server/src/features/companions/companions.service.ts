import { BotMetric, ErrorCode, ServerEvent, type Message } from '@parley/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { CompanionsConfig } from '../../config.js';
import { AppError } from '../../lib/app-error.js';
import { rooms, type ParleyServer } from '../../plugins/socket-io.js';
import type { Limiter } from '../../plugins/rate-limits.js';
import { toMessage } from '../messages/message-dto.js';
import type { MessagesRepository } from '../messages/messages.repository.js';
import type { MessagesService } from '../messages/messages.service.js';
import {
  nameUuid,
  type CompanionJobRow,
  type CompanionRow,
  type CompanionsRepository,
} from './companions.repository.js';
import { ModelAborted, ModelFailure, type ModelClient, type ModelFailureKind } from './model-client.js';
import { buildPrompt, buildSummaryPrompt, checkInInstruction } from './prompt.js';
import { quietRemainingMs } from './quiet-hours.js';

export interface CompanionsServiceDeps {
  repository: CompanionsRepository;
  messages: Pick<MessagesService, 'send'>;
  messagesRepository: Pick<MessagesRepository, 'change' | 'page' | 'findById' | 'findByClientMsgId'>;
  io: ParleyServer;
  /** Null when LLM_BASE_URL is not set: every reply ends `companion/unavailable`. */
  model: ModelClient | null;
  config: CompanionsConfig;
  /** COMPANION_REPLIES_PER_HOUR per person. */
  replyLimiter: Limiter;
  /** Adds one to today's count of a metric for the companion (bot_daily_counts). */
  count: (companionId: number, metric: BotMetric) => Promise<void>;
  log: FastifyBaseLogger;
  clock?: () => Date;
  /** How often a streaming reply's growing text is written and sent (ms). */
  streamUpdateMs?: number;
}

const FAILURE_CODES: Record<ModelFailureKind, ErrorCode> = {
  down: ErrorCode.CompanionModelDown,
  slow: ErrorCode.CompanionModelSlow,
  error: ErrorCode.CompanionModelError,
  garbage: ErrorCode.CompanionModelGarbage,
};
const HISTORY_MESSAGES = 100;
const ANY_COMPANION_TTL_MS = 10_000;
/** A check-in held back (active elsewhere) or failed is looked at again after at most this long. */
const RECHECK_MS = 15 * 60_000;

export type CompanionsService = ReturnType<typeof createCompanionsService>;

/**
 * The AI companion: replies streamed into one message, a memory summary per conversation, and
 * check-ins after a silence (issue 11 §4–6). Jobs (check-ins, summaries) are durable rows any
 * process may run (companions.jobs.ts); what a companion posts carries a clientMsgId named after its
 * cause (nameUuid), so it is stored once however often the work is done.
 */
/** What `onMessage` answers when there is nothing to do: one settled promise, not one per message. */
const DONE: Promise<void> = Promise.resolve();

export function createCompanionsService(deps: CompanionsServiceDeps) {
  const clock = deps.clock ?? (() => new Date());
  const streamUpdateMs = deps.streamUpdateMs ?? 300;
  const inFlight = new Set<string>();
  /**
   * Whether any companion exists, read at most every ANY_COMPANION_TTL_MS: on a site without
   * companions a message costs the send path's database nothing more.
   */
  let anyCompanion: { value: boolean; readAt: number } | null = null;
  async function companionsExist(): Promise<boolean> {
    const now = Date.now();
    if (!anyCompanion || now - anyCompanion.readAt > ANY_COMPANION_TTL_MS) {
      anyCompanion = { value: await deps.repository.any(), readAt: now };
    }
    return anyCompanion.value;
  }
  const closing = new AbortController();

  const broadcast = (
    event: typeof ServerEvent.MessageNew | typeof ServerEvent.MessageUpdated,
    message: Message,
  ) => deps.io.to(rooms.conversation(message.conversationId)).emit(event, message);

  const emitTyping = (conversationId: number, userId: number, on: boolean) =>
    deps.io
      .to(rooms.conversation(conversationId))
      .emit(ServerEvent.TypingUpdate, { conversationId, userId, typing: on });

  async function history(conversationId: number): Promise<Message[]> {
    const { rows } = await deps.messagesRepository.page(conversationId, { limit: HISTORY_MESSAGES });
    return rows.map(toMessage);
  }

  async function setGeneration(
    message: Message,
    text: string,
    state: 'streaming' | 'failed' | null,
    error: string | null,
  ): Promise<Message> {
    const row = await deps.messagesRepository.change(message.conversationId, message.id, {
      kind: 'generation',
      text,
      state,
      error,
    });
    const updated = toMessage(row);
    return updated;
  }

  /** Posts as the companion (once per clientMsgId) and shows it to the conversation. */
  async function post(
    companionId: number,
    conversationId: number,
    clientMsgId: string,
    text: string,
    generation: { state: 'streaming' | 'failed'; error: string | null } | null,
  ): Promise<Message> {
    let message = await deps.messages.send(companionId, { conversationId, clientMsgId, text });
    // Marked before anyone sees it, so no client shows it as a finished message first.
    if (generation && message.generation === null && message.text === text) {
      message = await setGeneration(message, text, generation.state, generation.error);
    }
    broadcast(ServerEvent.MessageNew, message);
    return message;
  }

  /**
   * Writes a reply with the model, streaming it into one message: created with the first words,
   * updated every `streamUpdateMs`, complete at the end; on failure it ends empty and `failed` with
   * the reason's code. `existing`: a failed reply being retried, rewritten in place.
   */
  async function writeReply(
    companion: CompanionRow,
    conversationId: number,
    isGroup: boolean,
    clientMsgId: string,
    existing: Message | null,
  ): Promise<Message> {
    let message = existing;
    const fail = async (code: ErrorCode): Promise<Message> => {
      if (message) {
        message = await setGeneration(message, '', 'failed', code);
        broadcast(ServerEvent.MessageUpdated, message);
        return message;
      }
      return post(companion.userId, conversationId, clientMsgId, '', { state: 'failed', error: code });
    };
    if (!deps.model) return fail(ErrorCode.CompanionUnavailable);

    let typingShown = true;
    const stopTyping = () => {
      if (typingShown) emitTyping(conversationId, companion.userId, false);
      typingShown = false;
    };
    emitTyping(conversationId, companion.userId, true);
    const memory = await deps.repository.memory(companion.userId, conversationId);
    const prompt = buildPrompt({
      persona: companion.persona,
      memory: memory?.summary ?? null,
      history: (await history(conversationId)).filter((m) => m.id !== existing?.id),
      companionId: companion.userId,
      isGroup,
      maxTokens: deps.config.contextTokens,
    });

    let latest = '';
    let written: string | null = null;
    let started = existing !== null;
    let writing: Promise<void> = Promise.resolve();
    let timer: NodeJS.Timeout | null = null;
    const flush = () => {
      timer = null;
      writing = writing.then(async () => {
        if (latest === written) return;
        const text = latest;
        if (!message) {
          message = await post(companion.userId, conversationId, clientMsgId, text, {
            state: 'streaming',
            error: null,
          });
          stopTyping();
        } else {
          message = await setGeneration(message, text, 'streaming', null);
          broadcast(ServerEvent.MessageUpdated, message);
        }
        written = text;
      });
    };

    try {
      const text = await deps.model.stream(
        {
          model: companion.model ?? deps.config.llm!.model,
          messages: prompt,
          temperature: companion.temperature,
          maxTokens: companion.maxReplyTokens,
          signal: closing.signal,
        },
        (soFar) => {
          latest = soFar;
          if (!started) {
            started = true;
            flush();
          } else timer ??= setTimeout(flush, streamUpdateMs);
        },
      );
      if (timer) clearTimeout(timer);
      await writing;
      if (!message) {
        message = await post(companion.userId, conversationId, clientMsgId, text, null);
      } else {
        message = await setGeneration(message, text, null, null);
        broadcast(ServerEvent.MessageUpdated, message);
      }
      stopTyping();
      // Its replies_sent is counted by the send path, as every bot message is (features/bots).
      return message;
    } catch (error) {
      if (timer) clearTimeout(timer);
      await writing.catch(() => {});
      stopTyping();
      if (error instanceof ModelAborted) throw error;
      if (!(error instanceof ModelFailure)) throw error;
      deps.log.warn(
        { companionId: companion.userId, conversationId, kind: error.kind, err: error.cause },
        'companion reply failed',
      );
      await deps.count(companion.userId, BotMetric.ModelFailures);
      return fail(FAILURE_CODES[error.kind]);
    }
  }

  /** The person's message: remember the silence it starts (check-in, summary) and reply. */
  async function answer(trigger: Message, companion: CompanionRow & { username: string }, isGroup: boolean) {
    const now = clock();
    if (!isGroup) {
      if (companion.checkInMinutes > 0) {
        await deps.repository.schedule({
          kind: 'check_in',
          companionId: companion.userId,
          conversationId: trigger.conversationId,
          userId: trigger.sender.id,
          afterSeq: trigger.seq,
          dueAt: new Date(now.getTime() + companion.checkInMinutes * 60_000),
        });
      }
      await deps.repository.schedule({
        kind: 'summary',
        companionId: companion.userId,
        conversationId: trigger.conversationId,
        userId: trigger.sender.id,
        afterSeq: trigger.seq,
        dueAt: new Date(now.getTime() + deps.config.memoryIdleMs),
      });
    }
    const clientMsgId = nameUuid(`reply:${trigger.id}:${companion.userId}`);
    if (inFlight.has(clientMsgId)) return;
    if (await deps.messagesRepository.findByClientMsgId(companion.userId, clientMsgId)) return;
    inFlight.add(clientMsgId);
    try {
      try {
        await deps.replyLimiter.consume(String(trigger.sender.id));
      } catch (error) {
        if (!(error instanceof AppError && error.code === ErrorCode.RateLimited)) throw error;
        await post(companion.userId, trigger.conversationId, clientMsgId, '', {
          state: 'failed',
          error: ErrorCode.CompanionRateLimited,
        });
        return;
      }
      await writeReply(companion, trigger.conversationId, isGroup, clientMsgId, null);
    } finally {
      inFlight.delete(clientMsgId);
    }
  }

  function mentions(text: string, username: string): boolean {
    const escaped = username.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
    return new RegExp(`(^|[^\\w@])@${escaped}(?![\\w.-]*\\w)`, 'i').test(text);
  }

  async function runCheckIn(job: CompanionJobRow, companion: CompanionRow): Promise<'done' | Date> {
    const now = clock();
    if (companion.checkInMinutes === 0) return 'done';
    if (!(await deps.repository.checkInsEnabled(companion.userId, job.userId))) return 'done';
    // A newer message of theirs began a newer silence, with its own job.
    if (await deps.repository.wroteSince(job.conversationId, job.userId, job.afterSeq)) return 'done';
    const person = await deps.repository.timeZoneOf(job.userId);
    if (!person) return 'done';
    const quietMs = quietRemainingMs(now, person.timeZone, {
      start: companion.quietHoursStart,
      end: companion.quietHoursEnd,
    });
    if (quietMs > 0) return new Date(now.getTime() + quietMs);
    if (companion.checkInSkipWhileActive) {
      const window = Math.min(RECHECK_MS, companion.checkInMinutes * 60_000);
      const since = new Date(now.getTime() - window);
      if (await deps.repository.postedElsewhereSince(job.userId, job.conversationId, since)) {
        return new Date(now.getTime() + window);
      }
    }
    if (!deps.model) return 'done';
    const clientMsgId = nameUuid(`check-in:${job.id}`);
    if (await deps.messagesRepository.findByClientMsgId(companion.userId, clientMsgId)) return 'done';
    const memory = await deps.repository.memory(companion.userId, job.conversationId);
    try {
      const text = await deps.model.complete({
        model: companion.model ?? deps.config.llm!.model,
        messages: buildPrompt({
          persona: companion.persona,
          memory: memory?.summary ?? null,
          history: await history(job.conversationId),
          companionId: companion.userId,
          isGroup: false,
          maxTokens: deps.config.contextTokens,
          instruction: checkInInstruction(companion.checkInMinutes),
        }),
        temperature: companion.temperature,
        maxTokens: companion.maxReplyTokens,
        signal: closing.signal,
      });
      await post(companion.userId, job.conversationId, clientMsgId, text, null);
      await deps.count(companion.userId, BotMetric.CheckInsSent);
      return 'done';
    } catch (error) {
      if (!(error instanceof ModelFailure)) throw error;
      deps.log.warn({ jobId: job.id, kind: error.kind }, 'companion check-in failed; tried again later');
      await deps.count(companion.userId, BotMetric.ModelFailures);
      return new Date(now.getTime() + Math.min(RECHECK_MS, companion.checkInMinutes * 60_000));
    }
  }

  async function runSummary(job: CompanionJobRow, companion: CompanionRow): Promise<'done' | Date> {
    if (!deps.model) return 'done';
    const memory = await deps.repository.memory(companion.userId, job.conversationId);
    const all = await history(job.conversationId);
    const throughSeq = all.at(-1)?.seq ?? 0;
    if (memory && memory.summarizedThroughSeq >= throughSeq) return 'done';
    const since = all.filter((m) => m.seq > (memory?.summarizedThroughSeq ?? 0));
    try {
      const summary = await deps.model.complete({
        model: companion.model ?? deps.config.llm!.model,
        messages: buildSummaryPrompt({
          persona: companion.persona,
          memory: memory?.summary ?? null,
          history: since,
          companionId: companion.userId,
          maxTokens: deps.config.contextTokens,
        }),
        temperature: 0.2,
        maxTokens: 400,
        signal: closing.signal,
      });
      await deps.repository.saveMemory(
        companion.userId,
        job.conversationId,
        summary.trim(),
        throughSeq,
        clock(),
      );
      return 'done';
    } catch (error) {
      if (!(error instanceof ModelFailure)) throw error;
      await deps.count(companion.userId, BotMetric.ModelFailures);
      return new Date(clock().getTime() + RECHECK_MS);
    }
  }

  /** Answers `message` with each companion of its conversation it is for (all in a direct chat, the mentioned in a group). */
  async function answerMessage(message: Message): Promise<void> {
    try {
      if (!(await companionsExist())) return;
      const found = await deps.repository.inConversation(message.conversationId);
      if (!found || found.companions.length === 0) return;
      if (found.companions.some((c) => c.userId === message.sender.id)) return;
      const isGroup = found.kind === 'group';
      await Promise.all(
        found.companions
          .filter((companion) => !isGroup || mentions(message.text, companion.username))
          .map((companion) => answer(message, companion, isGroup)),
      );
    } catch (error) {
      if (error instanceof ModelAborted) return;
      deps.log.error({ err: error, messageId: message.id }, 'companion could not answer');
    }
  }

  return {
    /**
     * Called with every new message once it is stored and broadcast; never throws (a companion's
     * trouble is logged and shown on its reply, never on the sender's send). In a direct conversation
     * the companion answers everything; in a group, messages that mention it (@username).
     */
    onMessage(message: Message): Promise<void> {
      // Bots do not answer bots: two companions in a group would talk for ever. Known without asking
      // that no companion exists: no promise chain per message on a site without companions.
      if (message.type !== 'text' || message.generation || message.sender.kind === 'bot') return DONE;
      if (anyCompanion && !anyCompanion.value && Date.now() - anyCompanion.readAt <= ANY_COMPANION_TTL_MS)
        return DONE;
      return answerMessage(message);
    },

    /**
     * POST /api/conversations/:id/messages/:messageId/retry: writes a failed reply again, in place.
     * Not a companion's failed reply: `message/not_retryable`; over the person's budget:
     * `companion/rate_limited`; no model configured: `companion/unavailable`.
     */
    async retry(userId: number, conversationId: number, messageId: number): Promise<Message> {
      const row = await deps.messagesRepository.findById(messageId);
      if (!row || row.conversationId !== conversationId) {
        throw new AppError(ErrorCode.MessageNotFound, 'No such message in this conversation');
      }
      const message = toMessage(row);
      const found = await deps.repository.inConversation(conversationId);
      const companion = found?.companions.find((c) => c.userId === message.sender.id);
      if (!found || !companion || message.generation?.state !== 'failed') {
        throw new AppError(ErrorCode.NotRetryable, 'Only a companion reply that failed can be retried');
      }
      if (!deps.model) throw new AppError(ErrorCode.CompanionUnavailable, 'No AI model is configured');
      const key = `retry:${message.id}`;
      if (inFlight.has(key)) return message;
      try {
        await deps.replyLimiter.consume(String(userId));
      } catch (error) {
        if (error instanceof AppError && error.code === ErrorCode.RateLimited) {
          throw new AppError(ErrorCode.CompanionRateLimited, error.message, undefined, error.retryAfterMs);
        }
        throw error;
      }
      inFlight.add(key);
      const streaming = await setGeneration(message, '', 'streaming', null);
      broadcast(ServerEvent.MessageUpdated, streaming);
      void writeReply(companion, conversationId, found.kind === 'group', message.clientMsgId, streaming)
        .catch((error: unknown) => {
          if (!(error instanceof ModelAborted)) deps.log.error({ err: error }, 'companion retry failed');
        })
        .finally(() => inFlight.delete(key));
      return streaming;
    },

    /** The greeting, posted once when a person opens a direct conversation with a companion. */
    async greet(conversationId: number): Promise<void> {
      const found = await deps.repository.inConversation(conversationId);
      if (!found || found.kind !== 'direct') return;
      for (const companion of found.companions) {
        if (companion.greeting.trim() === '') continue;
        const clientMsgId = nameUuid(`greeting:${conversationId}:${companion.userId}`);
        if (await deps.messagesRepository.findByClientMsgId(companion.userId, clientMsgId)) continue;
        await post(companion.userId, conversationId, clientMsgId, companion.greeting, null);
      }
    },

    /** Runs one claimed job; answers 'done', or when to look at it again. */
    async runJob(job: CompanionJobRow): Promise<'done' | Date> {
      const companion = await deps.repository.find(job.companionId);
      if (!companion) return 'done';
      return job.kind === 'check_in' ? runCheckIn(job, companion) : runSummary(job, companion);
    },

    /** A companion was made or removed here: read whether any exist again on the next message. */
    companionsChanged(): void {
      anyCompanion = null;
    },

    /** Aborts model calls in flight (the server is closing). */
    close(): void {
      closing.abort();
    },
  };
}
