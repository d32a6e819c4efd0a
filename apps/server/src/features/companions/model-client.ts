import OpenAI from 'openai';
import type { FastifyBaseLogger } from 'fastify';
import type { CompanionsConfig } from '../../config.js';

/** One message of a chat-completions request (the API's `messages`). */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompletionRequest {
  model: string;
  messages: ChatMessage[];
  temperature: number;
  /** Upper bound on the reply's length, in tokens (the API's `max_tokens`). */
  maxTokens: number;
  signal?: AbortSignal;
}

/**
 * Why a model call failed, decided once here and carried to the person and the counts:
 * `down` the endpoint cannot be reached or dropped the connection; `slow` nothing arrived within
 * LLM_TIMEOUT_MS (first token or the next); `error` it answered with an HTTP error; `garbage` it
 * answered something that is not a chat completion (unparseable chunks, no choices, an empty reply).
 */
export type ModelFailureKind = 'down' | 'slow' | 'error' | 'garbage';

export class ModelFailure extends Error {
  override name = 'ModelFailure';
  constructor(
    readonly kind: ModelFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A call the caller aborted (the server closing, a newer request replacing it). */
export class ModelAborted extends Error {
  override name = 'ModelAborted';
}

export interface ModelClient {
  /**
   * Streams a reply: `onText` gets the whole text so far after each piece. Resolves with the final
   * text; rejects with ModelFailure (classified) or ModelAborted when `signal` aborts.
   */
  stream(request: CompletionRequest, onText: (textSoFar: string) => void): Promise<string>;
  /** One whole reply, not streamed (summaries, check-ins). Same failures as `stream`. */
  complete(request: CompletionRequest): Promise<string>;
}

/**
 * The official `openai` SDK pointed at LLM_BASE_URL. The SDK's own retries are off: a failed reply
 * is shown to the person with a retry action and counted, rather than silently costing three calls.
 * Its timeout covers the wait for the response headers; an idle timer, reset by every chunk, covers
 * the stream after them, so a model that stalls mid-reply is `slow` too.
 */
export function createModelClient(
  llm: NonNullable<CompanionsConfig['llm']>,
  timeoutMs: number,
  log: FastifyBaseLogger,
): ModelClient {
  const client = new OpenAI({
    baseURL: llm.baseUrl,
    apiKey: llm.apiKey,
    maxRetries: 0,
    timeout: timeoutMs,
    logger: log.child({ component: 'openai' }),
    logLevel: 'warn',
  });

  async function run(
    request: CompletionRequest,
    onText: ((textSoFar: string) => void) | null,
  ): Promise<string> {
    const controller = new AbortController();
    let timedOut = false;
    let idle: NodeJS.Timeout | undefined;
    const armIdleTimer = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
    };
    const onCallerAbort = () => controller.abort();
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    armIdleTimer();
    try {
      const body = {
        model: request.model,
        messages: request.messages,
        temperature: request.temperature,
        max_tokens: request.maxTokens,
      };
      let text = '';
      if (onText) {
        const stream = await client.chat.completions.create(
          { ...body, stream: true },
          { signal: controller.signal },
        );
        for await (const chunk of stream) {
          armIdleTimer();
          if (!Array.isArray(chunk.choices)) throw new ModelFailure('garbage', 'a chunk without choices');
          const piece = chunk.choices[0]?.delta?.content;
          if (piece === undefined || piece === null) continue;
          if (typeof piece !== 'string')
            throw new ModelFailure('garbage', 'a chunk whose content is not text');
          if (piece === '') continue;
          text += piece;
          onText(text);
        }
        // The SDK ends the iteration quietly when its signal aborts: the idle timer or the caller.
        if (controller.signal.aborted) throw new Error('the stream was aborted');
      } else {
        const completion = await client.chat.completions.create(body, { signal: controller.signal });
        const content = completion.choices?.[0]?.message?.content;
        if (typeof content !== 'string') throw new ModelFailure('garbage', 'a completion without text');
        text = content;
      }
      if (text.trim() === '') throw new ModelFailure('garbage', 'an empty reply');
      return text;
    } catch (error) {
      throw classify(error, { timedOut, callerAborted: request.signal?.aborted === true });
    } finally {
      clearTimeout(idle);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return {
    stream: (request, onText) => run(request, onText),
    complete: (request) => run(request, null),
  };
}

/** Maps what the SDK or the stream threw to one failure kind (see ModelFailureKind). */
function classify(
  error: unknown,
  { timedOut, callerAborted }: { timedOut: boolean; callerAborted: boolean },
): Error {
  if (error instanceof ModelFailure) return error;
  if (callerAborted) return new ModelAborted('aborted by the caller');
  if (timedOut || error instanceof OpenAI.APIConnectionTimeoutError) {
    return new ModelFailure('slow', 'the model sent nothing in time', { cause: error });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new ModelFailure('down', 'the model endpoint cannot be reached', { cause: error });
  }
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    return new ModelFailure('error', `the model answered HTTP ${error.status}`, { cause: error });
  }
  // The stream's JSON could not be parsed, or an SSE error event arrived mid-stream.
  if (error instanceof SyntaxError || error instanceof OpenAI.APIError) {
    return new ModelFailure('garbage', 'the model sent something that is not a completion', { cause: error });
  }
  // The connection broke mid-stream (undici: "terminated").
  return new ModelFailure('down', 'the connection to the model broke', { cause: error });
}
