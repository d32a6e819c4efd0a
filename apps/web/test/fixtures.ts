import type { Attachment, Conversation, CurrentUser, Message, UserSummary } from '@parley/shared';
import { createParleyClient, type ParleyClient } from '@parley/client';
import { vi } from 'vitest';
import { useMessagesStore } from '@/stores/messages';
import { useOutgoingStore } from '@/stores/outgoing';
import { useParleyClientStore } from '@/stores/parleyClient';

export const alice: CurrentUser = {
  id: 1,
  username: 'alice',
  displayName: 'Alice Martin',
  kind: 'person',
  role: 'user',
  createdAt: '2026-01-01T00:00:00.000Z',
};
export const bob: UserSummary = { id: 2, username: 'bob', displayName: 'Bob Chen', kind: 'person' };

export function summaryOf(user: UserSummary): UserSummary {
  return { id: user.id, username: user.username, displayName: user.displayName, kind: user.kind };
}

let nextId = 1000;

/** An upload as messages carry it; an image 1600×1200 with a placeholder unless overridden. */
export function makeAttachment(overrides: Partial<Attachment> = {}): Attachment {
  const kind = overrides.kind ?? 'image';
  return {
    id: `upload${String(nextId++).padStart(16, '0')}`,
    kind,
    mime: kind === 'image' ? 'image/webp' : kind === 'voice' ? 'audio/webm' : 'application/pdf',
    fileName: kind === 'image' ? 'harbour.jpg' : kind === 'voice' ? 'voice.webm' : 'report.pdf',
    byteSize: 123_456,
    width: kind === 'image' ? 1600 : null,
    height: kind === 'image' ? 1200 : null,
    placeholder: kind === 'image' ? 'data:image/webp;base64,UklGRg==' : null,
    durationMs: kind === 'voice' ? 4200 : null,
    waveform: kind === 'voice' ? [0.1, 0.5, 0.9] : null,
    playableMime: null,
    ...overrides,
  };
}

export function makeMessage(overrides: Partial<Message> & Pick<Message, 'seq'>): Message {
  const id = overrides.id ?? nextId++;
  return {
    id,
    conversationId: 1,
    changeSeq: overrides.seq,
    clientMsgId: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    sender: summaryOf(bob),
    type: 'text',
    text: `message ${overrides.seq}`,
    system: null,
    createdAt: new Date(Date.UTC(2026, 0, 2, 10, overrides.seq)).toISOString(),
    editedAt: null,
    deletedAt: null,
    removedByAdmin: false,
    generation: null,
    replyTo: null,
    reactions: [],
    attachment: null,
    ...overrides,
  };
}

export function makeConversation(overrides: Partial<Conversation> & Pick<Conversation, 'id'>): Conversation {
  return {
    kind: 'group',
    name: `Group ${overrides.id}`,
    createdAt: '2026-01-01T00:00:00.000Z',
    members: [
      { ...summaryOf(alice), role: 'owner' },
      { ...summaryOf(bob), role: 'member' },
    ],
    description: null,
    announcement: null,
    onlyAdminsPost: false,
    slowModeSeconds: 0,
    archivedAt: null,
    mutedUntil: null,
    notificationsMutedUntil: null,
    lastMessage: null,
    lastSeq: 0,
    changeSeq: 0,
    receipts: [],
    lastReadSeq: 0,
    unreadCount: 0,
    ...overrides,
  };
}

export interface RecordedRequest {
  method: string;
  url: string;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

type Responder = (
  request: RecordedRequest,
) => { status: number; body?: unknown } | Promise<{ status: number; body?: unknown }>;

/** Replaces fetch with a function of the request, and records every request made. */
export function stubFetch(respond: Responder): RecordedRequest[] {
  const requests: RecordedRequest[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request: RecordedRequest = {
        method: init?.method ?? 'GET',
        url: String(input),
        body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
        credentials: init?.credentials,
      };
      requests.push(request);
      const { status, body } = await respond(request);
      return new Response(body === undefined ? null : JSON.stringify(body), {
        status,
        headers: { 'content-type': 'application/json' },
      });
    }),
  );
  return requests;
}

export function apiError(
  status: number,
  code: string,
  message = code,
  issues?: { path: string; message: string }[],
) {
  return { status, body: { error: { code, message, ...(issues ? { issues } : {}) } } };
}

export interface HistoryServer {
  requests: RecordedRequest[];
  /** How many messages the conversation has now (seq 1…total); tests raise it as messages "arrive". */
  total: number;
  /** The server's copy of a message (id = seq, changeSeq = seq unless changed). */
  message(seq: number): Message;
  /** Replaces the server's copy of a message (an edit, a reaction…). */
  change(message: Message): void;
}

/**
 * A conversation's history endpoint with the server's paging rules: the newest page, `before`
 * and `after` as exact seq windows, `hasMore` in the direction asked.
 */
export function historyServer(
  total: number,
  {
    conversationId = 1,
    pageSize,
    delayMs = 0,
  }: { conversationId?: number; pageSize?: number; delayMs?: number } = {},
): HistoryServer {
  const changed = new Map<number, Message>();
  const server: HistoryServer = {
    requests: [],
    total,
    message: (seq) => changed.get(seq) ?? makeMessage({ seq, id: seq, conversationId }),
    change: (message) => changed.set(message.seq, message),
  };
  server.requests = stubFetch(async ({ url }) => {
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const params = new URL(url, 'http://test').searchParams;
    const limit = pageSize ?? Number(params.get('limit') ?? 50);
    const before = params.get('before');
    const after = params.get('after');
    let from: number;
    let to: number;
    let hasMore: boolean;
    if (after !== null) {
      from = Number(after) + 1;
      to = Math.min(server.total, Number(after) + limit);
      hasMore = to < server.total;
    } else {
      to = before !== null ? Number(before) - 1 : server.total;
      from = Math.max(1, to - limit + 1);
      hasMore = from > 1;
    }
    const messages: Message[] = [];
    for (let seq = from; seq <= to; seq += 1) messages.push(server.message(seq));
    return { status: 200, body: { messages, hasMore } };
  });
  return server;
}

/**
 * A @parley/client that is never started (no connection), attached to the stores as client.ts
 * attaches the real one and fed to the messages and outgoing stores as client.ts feeds them.
 */
export function attachIdleClient(): ParleyClient {
  const client = createParleyClient({
    url: 'http://127.0.0.1:9',
    auth: { kind: 'browser' },
    catchUp: 'followed',
    discover: false,
    userId: alice.id,
  });
  useParleyClientStore().attach(client);
  const messages = useMessagesStore();
  const outgoing = useOutgoingStore();
  client.on('message:added', ({ message }) => messages.show(message));
  client.on('message:changed', ({ message }) => messages.show(message));
  client.on('outbox', (entry) => outgoing.apply(entry));
  return client;
}

/** Stands in for the client where a test only checks what a store asks of it. */
export function attachFakeClient(parts: Partial<ParleyClient>): void {
  useParleyClientStore().attach(parts as ParleyClient);
}
