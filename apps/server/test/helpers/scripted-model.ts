// A scripted stand-in for an OpenAI-compatible chat-completions endpoint: a real HTTP server that
// answers POST /v1/chat/completions the way the API does (a chat.completion object, or with
// `stream: true` a text/event-stream of chat.completion.chunk objects ending in `data: [DONE]`),
// so the model client runs the official SDK against it. No test reaches the internet.
// Wire format: https://platform.openai.com/docs/api-reference/chat/streaming
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One step of a streamed reply: a piece of content, or a wait for the test to let it go on. */
export type StreamStep = string | { wait: Promise<unknown> };

/** What the scripted model does with one request. */
export type ScriptedReply =
  /** Answers `text`, streamed as `chunks` when given (else word by word), `chunkDelayMs` apart. */
  | { kind: 'reply'; text?: string; chunks?: StreamStep[]; chunkDelayMs?: number; delayMs?: number }
  /** Accepts the request and never answers: a slow or stuck model. */
  | { kind: 'hang' }
  /** An HTTP error with the API's error body. */
  | { kind: 'http-error'; status: number; message?: string }
  /** Streams `chunks`, then drops the connection without `[DONE]`. */
  | { kind: 'drop'; chunks: StreamStep[] }
  /** Streams `chunks`, then a line that is not a chunk object at all. */
  | { kind: 'garbage'; chunks: StreamStep[]; garbage?: string };

/** A chat-completions request as the scripted model received it. */
export interface RecordedRequest {
  model: string;
  stream: boolean;
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  messages: Array<{ role: string; content: string }>;
  authorization: string | undefined;
}

export interface ScriptedModel {
  /** The base URL to give as LLM_BASE_URL (ends in /v1). */
  baseUrl: string;
  /** Every request received, oldest first. */
  requests: RecordedRequest[];
  /** Queues replies, used in order by the next requests; when none is queued, `fallback` answers. */
  script(...replies: ScriptedReply[]): void;
  /** Answers requests nothing was queued for (default: a reply echoing the last user message). */
  fallback: (request: RecordedRequest) => ScriptedReply;
  /** Resolves once `count` requests in all have arrived. */
  waitForRequests(count: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

export function defaultFallback(request: RecordedRequest): ScriptedReply {
  const last = [...request.messages].reverse().find((message) => message.role === 'user');
  return { kind: 'reply', text: `You said: ${last?.content ?? ''}` };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [''];
}

/** Starts the scripted model on a free port of 127.0.0.1. */
export async function startScriptedModel(
  fallback: (request: RecordedRequest) => ScriptedReply = defaultFallback,
  port = 0,
): Promise<ScriptedModel> {
  const queue: ScriptedReply[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ count: number; resolve: (requests: RecordedRequest[]) => void }> = [];
  const sockets = new Set<Socket>();

  const model: ScriptedModel = {
    baseUrl: '',
    requests,
    fallback,
    script: (...replies) => queue.push(...replies),
    waitForRequests: (count) =>
      new Promise((resolve) => {
        if (requests.length >= count) resolve(requests.slice());
        else waiters.push({ count, resolve });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };

  const server: Server = createServer((request, response) => {
    void handle(request, response).catch(() => response.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method === 'GET' && request.url === '/v1/models') {
      // The API's model list: what a readiness check (and a curious client) asks first.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ object: 'list', data: [{ id: 'scripted', object: 'model', owned_by: 'parley' }] }),
      );
      return;
    }
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
      sendError(response, 404, `Unknown request URL: ${request.method} ${request.url}`);
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<
      RecordedRequest,
      'authorization' | 'stream'
    > & { stream?: boolean };
    const recorded: RecordedRequest = {
      ...body,
      stream: body.stream === true,
      authorization: request.headers.authorization,
    };
    requests.push(recorded);
    for (const waiter of waiters.splice(0)) {
      if (requests.length >= waiter.count) waiter.resolve(requests.slice());
      else waiters.push(waiter);
    }
    const reply = queue.shift() ?? model.fallback(recorded);
    await answer(recorded, reply, response);
  }

  async function answer(request: RecordedRequest, reply: ScriptedReply, response: ServerResponse) {
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    if (reply.kind === 'hang') return;
    if (reply.kind === 'http-error') {
      sendError(response, reply.status, reply.message ?? 'The scripted model failed');
      return;
    }
    const steps: StreamStep[] =
      reply.kind === 'reply' ? (reply.chunks ?? words(reply.text ?? '')) : reply.chunks;
    if (reply.kind === 'reply' && reply.delayMs) await sleep(reply.delayMs);

    if (!request.stream) {
      let content = '';
      for (const step of steps) {
        if (typeof step === 'string') content += step;
        else await step.wait;
      }
      if (reply.kind !== 'reply') {
        response.destroy();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model: request.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content, refusal: null },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
      return;
    }

    const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: request.model,
        system_fingerprint: null,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      })}\n\n`;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    response.write(chunk({ role: 'assistant', content: '', refusal: null }, null));
    for (const step of steps) {
      if (typeof step !== 'string') {
        await step.wait;
        continue;
      }
      if (reply.kind === 'reply' && reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
      response.write(chunk({ content: step }, null));
    }
    if (reply.kind === 'drop') {
      response.destroy();
      return;
    }
    if (reply.kind === 'garbage') {
      response.end(`data: ${reply.garbage ?? '{"choices": [{"delta": {"content": '}\n\n`);
      return;
    }
    response.write(chunk({}, 'stop'));
    response.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  model.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return model;
}

function sendError(response: ServerResponse, status: number, message: string) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: { message, type: 'server_error', param: null, code: null } }));
}

/** A promise the test resolves when it wants a waiting stream step to go on. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}
