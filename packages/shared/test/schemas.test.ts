// The contract's schemas normalise and limit what both apps accept; docs/protocol.md describes these rules.
import { describe, expect, it } from 'vitest';
import {
  auditQuerySchema,
  createBotWebhookBodySchema,
  CONVERSATION_PAGE_DEFAULT,
  CONVERSATION_PAGE_MAX,
  conversationListQuerySchema,
  encodeConversationCursor,
  HISTORY_PAGE_MAX,
  MESSAGE_TEXT_MAX,
  SYNC_CONVERSATIONS_MAX,
  USERNAME_MAX,
  historyQuerySchema,
  messageSearchQuerySchema,
  searchTerms,
  SEARCH_QUERY_MAX,
  SEARCH_TERMS_MAX,
  idParamSchema,
  loginBodySchema,
  reactionEmojiSchema,
  registerBodySchema,
  postMessageBodySchema,
  sendMessagePayloadSchema,
  syncPayloadSchema,
} from '../src/index.js';

const clientMsgId = '0b9c7a52-3f0e-4c1e-9d0a-6a7f2b1c8e11';

describe('usernames', () => {
  it('are trimmed and lower-cased, so Alice and alice are one account', () => {
    const body = registerBodySchema.parse({
      username: '  Alice.B-1_ ',
      displayName: ' Alice ',
      password: 'long enough',
    });
    expect(body).toEqual({ username: 'alice.b-1_', displayName: 'Alice', password: 'long enough' });
    expect(loginBodySchema.parse({ username: ' ALICE ', password: 'x' }).username).toBe('alice');
  });

  it.each(['ab', '_alice', 'al ice', 'alice!', 'a'.repeat(USERNAME_MAX + 1)])('refuses %j', (username) => {
    expect(
      registerBodySchema.safeParse({ username, displayName: 'A', password: 'long enough' }).success,
    ).toBe(false);
  });
});

describe('message text', () => {
  const send = (text: string) => sendMessagePayloadSchema.safeParse({ conversationId: 1, clientMsgId, text });

  it('is trimmed, and empty or whitespace-only text is refused', () => {
    const parsed = send('  hello  ');
    expect(parsed.success && parsed.data.text).toBe('hello');
    expect(send('').success).toBe(false);
    expect(send(' \n\t ').success).toBe(false);
  });

  it(`accepts exactly MESSAGE_TEXT_MAX (${MESSAGE_TEXT_MAX}) characters and refuses one more`, () => {
    expect(send('x'.repeat(MESSAGE_TEXT_MAX)).success).toBe(true);
    expect(send('x'.repeat(MESSAGE_TEXT_MAX + 1)).success).toBe(false);
  });

  it('may be empty only as the caption of an attachment', () => {
    const attachmentId = 'A'.repeat(22);
    expect(sendMessagePayloadSchema.safeParse({ conversationId: 1, clientMsgId, attachmentId }).success).toBe(
      true,
    );
    expect(
      sendMessagePayloadSchema.safeParse({ conversationId: 1, clientMsgId, text: '', attachmentId }).success,
    ).toBe(true);
    expect(sendMessagePayloadSchema.safeParse({ conversationId: 1, clientMsgId }).success).toBe(false);
    expect(
      sendMessagePayloadSchema.safeParse({ conversationId: 1, clientMsgId, attachmentId: '../etc/passwd' })
        .success,
    ).toBe(false);
  });

  it('holds a bot’s HTTP send to the same rule: text, or an attachment with an optional caption', () => {
    const attachmentId = 'A'.repeat(22);
    expect(postMessageBodySchema.safeParse({ clientMsgId, text: 'hi' }).success).toBe(true);
    expect(postMessageBodySchema.safeParse({ clientMsgId, attachmentId }).success).toBe(true);
    expect(postMessageBodySchema.safeParse({ clientMsgId }).success).toBe(false);
    expect(postMessageBodySchema.safeParse({ clientMsgId, text: 'hi', conversationId: 1 }).success).toBe(
      false,
    );
  });

  it('needs a UUID clientMsgId and refuses unknown fields', () => {
    expect(
      sendMessagePayloadSchema.safeParse({ conversationId: 1, clientMsgId: 'retry-1', text: 'hi' }).success,
    ).toBe(false);
    expect(
      sendMessagePayloadSchema.safeParse({ conversationId: 1, clientMsgId, text: 'hi', seq: 3 }).success,
    ).toBe(false);
  });
});

describe('reaction emoji', () => {
  it.each(['👍', '👍🏽', '👩‍👩‍👧', '🇫🇷', '❤️'])('accepts %s', (emoji) => {
    expect(reactionEmojiSchema.safeParse(emoji).success).toBe(true);
  });

  it.each(['', 'ok', '1', '👍 nice', ' ', '#'])('refuses %j', (emoji) => {
    expect(reactionEmojiSchema.safeParse(emoji).success).toBe(false);
  });
});

describe('history query', () => {
  it('defaults to the newest 50 and coerces query strings', () => {
    expect(historyQuerySchema.parse({})).toEqual({ limit: 50 });
    expect(historyQuerySchema.parse({ before: '10', limit: String(HISTORY_PAGE_MAX) })).toEqual({
      before: 10,
      limit: 100,
    });
  });

  it('refuses before and after together, and a limit over HISTORY_PAGE_MAX', () => {
    expect(historyQuerySchema.safeParse({ before: '10', after: '2' }).success).toBe(false);
    expect(historyQuerySchema.safeParse({ limit: String(HISTORY_PAGE_MAX + 1) }).success).toBe(false);
  });
});

describe('message search query', () => {
  it('splits at any white space and drops a word repeated in another case', () => {
    expect(searchTerms('  Harbour\tbridge\u3000北京  harbour ')).toEqual(['Harbour', 'bridge', '北京']);
    expect(searchTerms('   ')).toEqual([]);
    expect(searchTerms('"spare key", flowerpot? standup-update 北京，烤鸭。')).toEqual([
      'spare',
      'key',
      'flowerpot',
      'standup',
      'update',
      '北京',
      '烤鸭',
    ]);
    expect(searchTerms('x\u0000y \u200bz\u200b 👍🏽 $5')).toEqual(['x', 'y', 'z', '👍🏽', '$5']);
    expect(searchTerms('\u0001 \u200b ...')).toEqual([]);
  });

  it('trims q, defaults the page to 20 and coerces query strings', () => {
    expect(messageSearchQuerySchema.parse({ q: ' 烤鸭 ', conversationId: '7', before: '99' })).toEqual({
      q: '烤鸭',
      conversationId: 7,
      before: 99,
      limit: 20,
    });
  });

  it('refuses an empty query, one too long, and one of too many words', () => {
    for (const q of ['', '   ', 'x'.repeat(SEARCH_QUERY_MAX + 1)]) {
      expect(messageSearchQuerySchema.safeParse({ q }).success, JSON.stringify(q)).toBe(false);
    }
    const words = Array.from({ length: SEARCH_TERMS_MAX + 1 }, (_, i) => `w${i}`);
    expect(messageSearchQuerySchema.safeParse({ q: words.join(' ') }).success).toBe(false);
    expect(messageSearchQuerySchema.safeParse({ q: words.slice(1).join(' ') }).success).toBe(true);
  });
});

describe('conversation list query', () => {
  it('reads back the cursor it gave, to the millisecond', () => {
    const cursor = { lastActivityAt: new Date('2026-12-07T05:01:02.345Z'), id: 2_147_483_647 };
    expect(encodeConversationCursor(cursor)).toBe('1796619662345.2147483647');
    expect(conversationListQuerySchema.parse({ cursor: encodeConversationCursor(cursor) })).toEqual({
      cursor,
      limit: CONVERSATION_PAGE_DEFAULT,
    });
  });

  it('refuses cursors it cannot have given and limits past CONVERSATION_PAGE_MAX', () => {
    for (const cursor of ['', 'abc', '1.0', '1.2147483648', '-1.5', '1.5.6', '1.05', ' 1.5']) {
      expect(conversationListQuerySchema.safeParse({ cursor }).success, cursor).toBe(false);
    }
    expect(conversationListQuerySchema.safeParse({ limit: String(CONVERSATION_PAGE_MAX) }).success).toBe(
      true,
    );
    expect(conversationListQuerySchema.safeParse({ limit: String(CONVERSATION_PAGE_MAX + 1) }).success).toBe(
      false,
    );
  });
});

describe('ids in paths', () => {
  it('accept only canonical positive integers', () => {
    expect(idParamSchema.parse('42')).toBe(42);
    for (const raw of ['0', '042', '4.2', '-1', '1e3', '99999999999']) {
      expect(idParamSchema.safeParse(raw).success, raw).toBe(false);
    }
  });
});

describe('sync payload', () => {
  const entries = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ conversationId: i + 1, changeSeq: 0 }));

  it(`takes at most SYNC_CONVERSATIONS_MAX (${SYNC_CONVERSATIONS_MAX}) conversations`, () => {
    expect(syncPayloadSchema.safeParse({ conversations: entries(SYNC_CONVERSATIONS_MAX) }).success).toBe(
      true,
    );
    expect(syncPayloadSchema.safeParse({ conversations: entries(SYNC_CONVERSATIONS_MAX + 1) }).success).toBe(
      false,
    );
  });
});

describe('webhook URLs', () => {
  const url = (value: string) => createBotWebhookBodySchema.safeParse({ url: value, events: ['direct'] });

  it('take http(s) without a user name or password, and refuse what is no URL without throwing', () => {
    expect(url('https://hooks.example.com/parley').success).toBe(true);
    for (const refused of [
      'https://user:secret@hooks.example.com/',
      'https://user@hooks.example.com/',
      'ftp://x/',
      'not a url',
    ])
      expect(url(refused).success, refused).toBe(false);
  });
});

describe('audit query', () => {
  it('takes an actor or target by id or by username, not both', () => {
    expect(auditQuerySchema.parse({ actorUsername: 'Ada' }).actorUsername).toBe('ada');
    expect(auditQuerySchema.safeParse({ actorId: '1', actorUsername: 'ada' }).success).toBe(false);
    expect(auditQuerySchema.safeParse({ targetUserId: '2', targetUsername: 'ben' }).success).toBe(false);
  });
});
