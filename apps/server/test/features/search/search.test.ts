// Message search (GET /api/search/messages) against the real Mroonga index, kept by the search
// indexer (src/features/search/search-indexer.ts): what is found, in which scripts, by whom, and
// how edits, deletes and input that looks like query syntax behave.
import { randomUUID } from 'node:crypto';
import { ErrorCode, type Message, type MessageSearchResponse } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSearchIndexer, writeSearchRows } from '../../../src/features/search/search-indexer.js';
import { searchIndexText } from '../../../src/features/search/search-text.js';
import { holdAtFailpoint } from '../../../src/lib/failpoints.js';
import {
  createGroup,
  okData,
  openDirect,
  queryDatabase,
  sendText,
  startTestServer,
  type ClientSocket,
  type TestServer,
  type TestUser,
} from '../../helpers/server.js';
import { uploadFile } from '../../helpers/uploads.js';

/** `length` lower-case Cyrillic letters (two bytes each), varied so that every stretch is its own. */
function cyrillicRun(length: number): string {
  const letters = 'абвгдежзийклмнопрстуфхцчшщэюя';
  return Array.from({ length }, (_, i) => letters[(i * 7 + (i >> 4)) % letters.length]).join('');
}

describe('message search', () => {
  let t: TestServer;
  let ada: TestUser;
  let bo: TestUser;
  let cy: TestUser;
  let adaSocket: ClientSocket;
  let groupId: number;
  let directId: number;
  const sent = new Map<string, Message>();

  beforeAll(async () => {
    // Rounds only when a test asks (catchUp): nothing is found before the test has indexed it.
    t = await startTestServer({ env: { SEARCH_INDEX_INTERVAL_MS: '3600000' } });
    ada = await t.signUp('search_ada');
    bo = await t.signUp('search_bo');
    cy = await t.signUp('search_cy');
    adaSocket = await t.connectSocket(ada.cookie);
    groupId = (await createGroup(t, ada, [bo], 'Trip')).id;
    directId = (await openDirect(t, ada, cy)).id;
    const texts: Array<[string, number, string]> = [
      ['duck', groupId, '今天我们去北京吃烤鸭'],
      ['welcome', groupId, '北京欢迎你'],
      ['english', groupId, 'Meet at the Harbour Bridge at noon'],
      ['fullwidth', groupId, 'ＰＡＲＬＥＹ　ＲＯＣＫＳ'],
      ['quotes', groupId, 'She said "hi" and left \\ back-slashed (maybe) -not +really'],
      ['secret', directId, 'The Harbour key is under the mat'],
      ['tokyo', groupId, '東京タワーに行きました'],
    ];
    for (const [name, conversationId, text] of texts)
      sent.set(name, await sendText(adaSocket, conversationId, text));
    await t.server.searchIndexer.catchUp();
  });

  afterAll(async () => {
    adaSocket.close();
    await t.close();
  });

  async function search(user: TestUser, query: Record<string, string | number>) {
    const params = new URLSearchParams(
      Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]),
    );
    return t.http<MessageSearchResponse & { error?: { code: string } }>(
      'GET',
      `/api/search/messages?${params}`,
      {
        cookie: user.cookie,
      },
    );
  }

  async function found(user: TestUser, q: string, extra: Record<string, number> = {}): Promise<string[]> {
    const response = await search(user, { q, ...extra });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const names = new Map([...sent].map(([name, message]) => [message.id, name]));
    return response.body.messages.map((message) => names.get(message.id) ?? `#${message.id}`);
  }

  it('finds Chinese and Japanese words inside text written without spaces, newest first', async () => {
    expect(await found(ada, '北京')).toEqual(['welcome', 'duck']);
    expect(await found(bo, '烤鸭')).toEqual(['duck']);
    // 京 is in 東京 too.
    expect(await found(bo, '京')).toEqual(['tokyo', 'welcome', 'duck']);
    expect(await found(bo, 'タワー')).toEqual(['tokyo']);
    expect(await found(bo, '上海')).toEqual([]);
  });

  it('ignores case and full or half width, and needs every word', async () => {
    expect(await found(bo, 'harbour BRIDGE')).toEqual(['english']);
    expect(await found(bo, 'parley')).toEqual(['fullwidth']);
    expect(await found(bo, 'ＮＯＯＮ')).toEqual(['english']);
    expect(await found(bo, 'harbour 北京')).toEqual([]);
  });

  it("searches only the caller's conversations, or the one asked for", async () => {
    expect(await found(ada, 'harbour')).toEqual(['secret', 'english']);
    expect(await found(bo, 'harbour')).toEqual(['english']);
    expect(await found(cy, 'harbour')).toEqual(['secret']);
    expect(await found(ada, 'harbour', { conversationId: groupId })).toEqual(['english']);
    const outsider = await search(cy, { q: 'harbour', conversationId: groupId });
    expect([outsider.status, outsider.body.error?.code]).toEqual([404, ErrorCode.ConversationNotFound]);
  });

  it('takes quotes, backslashes and operators as text, never as query syntax', async () => {
    for (const q of [
      '"hi"',
      'back-slashed',
      'x\\',
      '(maybe)',
      '-not',
      '+really',
      '*D- said',
      'OR',
      '+"',
      'a*',
    ]) {
      const response = await search(bo, { q });
      expect(response.status, `${q}: ${JSON.stringify(response.body)}`).toBe(200);
    }
    // Control characters separate words (a NUL ended the query in MariaDB: a 500), and an
    // invisible character at a word's end is not part of it.
    expect(await found(bo, 'harbour\u0000bridge')).toEqual(['english']);
    expect(await found(bo, '\u200bharbour\u200b')).toEqual(['english']);
    expect(await found(bo, '"hi"')).toEqual(['quotes']);
    expect(await found(bo, '-not')).toEqual(['quotes']);
    // Punctuation separates words, as the index reads it: `-` is not "without".
    expect(await found(bo, '-harbour')).toEqual(['english']);
    expect(await found(bo, '"said hi"')).toEqual(['quotes']);
  });

  // Groonga refuses a token over 4,096 bytes, and TokenBigram keeps a run of letters as one: such a
  // run (a pasted key) was left out of the index, found by nothing.
  it('finds a run of letters too long for one token by its start and by each piece, as sent', async () => {
    const run = cyrillicRun(3990);
    const text = `key ${run}`;
    const message = await sendText(adaSocket, groupId, text);
    await t.server.searchIndexer.catchUp();
    const byStart = (await search(bo, { q: run.slice(0, 20) })).body.messages;
    expect(byStart.map((m) => [m.id, m.text])).toEqual([[message.id, text]]);
    // The longest word a query may have still fits in the first piece.
    expect((await search(bo, { q: run.slice(0, 100) })).body.messages.map((m) => m.id)).toEqual([message.id]);
    const pieces = searchIndexText(run).split(' ');
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces.slice(1)) {
      const found = (await search(bo, { q: piece.slice(0, 20) })).body.messages;
      expect(found.map((m) => m.id)).toEqual([message.id]);
    }
  });

  // Groonga refused such a token with a line in groonga.log holding it (the person's text, in a
  // server log); a run it takes in is neither refused nor logged. Digits of any script, symbols and
  // numerals the normaliser makes longer (ⅷ is viii) are runs too.
  it('indexes runs of digits and symbols too long for one token, each found by its start', async () => {
    const runs = ['٣'.repeat(3000), '→'.repeat(2000), 'ⅷ'.repeat(1100)];
    const ids = [];
    for (const run of runs) ids.push((await sendText(adaSocket, groupId, `${run} #${ids.length}`)).id);
    await t.server.searchIndexer.catchUp();
    for (const [index, run] of runs.entries()) {
      const found = (await search(bo, { q: run.slice(0, 20) })).body.messages;
      expect(found.map((m) => m.id)).toContain(ids[index]);
    }
  });

  it('follows edits and deletes once indexed', async () => {
    const message = await sendText(adaSocket, groupId, 'Lunch at the noodle bar');
    await t.server.searchIndexer.catchUp();
    expect((await search(bo, { q: 'noodle' })).body.messages.map((m) => m.id)).toEqual([message.id]);

    okData(
      await adaSocket.emitWithAck('message:edit', {
        conversationId: groupId,
        messageId: message.id,
        text: 'Lunch at the dumpling house',
      }),
    );
    await t.server.searchIndexer.catchUp();
    expect((await search(bo, { q: 'noodle' })).body.messages).toEqual([]);
    const edited = (await search(bo, { q: 'dumpling' })).body.messages;
    expect(edited.map((m) => [m.id, m.text])).toEqual([[message.id, 'Lunch at the dumpling house']]);

    okData(await adaSocket.emitWithAck('message:delete', { conversationId: groupId, messageId: message.id }));
    // Deleted but not yet indexed: left out of the answer all the same.
    expect((await search(bo, { q: 'dumpling' })).body.messages).toEqual([]);
    await t.server.searchIndexer.catchUp();
    const [row] = await queryDatabase<{ text: string }>(
      t,
      'SELECT text FROM message_search WHERE messageId = ?',
      [message.id],
    );
    expect(row?.text).toBe('');
  });

  it('finds a file by its name, and leaves out what a member can no longer read', async () => {
    const upload = await uploadFile(t, ada.cookie, 'file', 'quarterly numbers', 'Budget-2027.xlsx');
    expect(upload.status).toBe(201);
    const message = okData(
      await adaSocket.emitWithAck('message:send', {
        conversationId: groupId,
        clientMsgId: randomUUID(),
        text: '',
        attachmentId: upload.body.upload.id,
      }),
    );
    await t.server.searchIndexer.catchUp();
    expect((await search(bo, { q: 'budget' })).body.messages.map((m) => m.id)).toEqual([message.id]);

    const removed = await t.http('DELETE', `/api/conversations/${groupId}/members/${bo.id}`, {
      cookie: ada.cookie,
    });
    expect(removed.status).toBe(200);
    expect((await search(bo, { q: 'budget' })).body.messages).toEqual([]);
    expect((await search(ada, { q: 'budget' })).body.messages.map((m) => m.id)).toEqual([message.id]);
  });

  it('pages with nextBefore until every match was given once', async () => {
    const mine = await t.signUp('search_pager');
    const socket = await t.connectSocket(mine.cookie);
    const { id } = await createGroup(t, mine, [], 'Pages');
    const ids: number[] = [];
    for (let i = 0; i < 7; i += 1) ids.push((await sendText(socket, id, `page marker 页 ${i}`)).id);
    socket.close();
    await t.server.searchIndexer.catchUp();
    const pages: number[][] = [];
    let before: number | null = null;
    do {
      const response = await search(mine, { q: '页', limit: 3, ...(before ? { before } : {}) });
      expect(response.status).toBe(200);
      pages.push(response.body.messages.map((m) => m.id));
      before = response.body.nextBefore;
    } while (before !== null);
    expect(pages).toEqual([ids.slice(4).reverse(), ids.slice(1, 4).reverse(), [ids[0]]]);
  });

  it("takes one person's searches in turn, refuses a pile of them busy, and lets others search meanwhile", async () => {
    const hold = holdAtFailpoint('message-search:query');
    const first = search(ada, { q: 'harbour' });
    await hold.reached;
    // Ada's next three wait behind the first; a fifth finds her lane full.
    const waiting = [search(ada, { q: '北京' }), search(ada, { q: 'parley' }), search(ada, { q: 'タワー' })];
    const refused = await search(ada, { q: 'noon' });
    expect([refused.status, refused.body.error?.code]).toEqual([503, ErrorCode.Busy]);
    // Cy takes the other connection while Ada's search holds one.
    expect(await found(cy, 'harbour')).toEqual(['secret']);
    hold.release();
    const answers = await Promise.all([first, ...waiting]);
    expect(answers.map((answer) => [answer.status, answer.body.messages.length])).toEqual([
      [200, 2],
      [200, 2],
      [200, 1],
      [200, 1],
    ]);
  });

  it('refuses what is not a query with request/invalid, and strangers with auth/unauthenticated', async () => {
    const refused = [
      {},
      { q: '' },
      { q: '   ' },
      // Nothing visible: the index's normaliser made these an empty word, which matched every message.
      { q: '\u0000' },
      { q: '\u0001\u0001' },
      { q: '\u200b' },
      { q: '"' },
      { q: ')(' },
      { q: '\\' },
      { q: 'x'.repeat(101) },
      // Far over Groonga's token limit: refused before it reaches the index, as anything over 100 is.
      { q: 'k'.repeat(5000) },
      { q: Array.from({ length: 11 }, (_, i) => `w${i}`).join(' ') },
      { q: 'ok', limit: 51 },
      { q: 'ok', before: 0 },
      { q: 'ok', conversationId: 'one' },
      { q: 'ok', extra: 1 },
    ];
    for (const query of refused) {
      const response = await search(bo, query as Record<string, string>);
      expect([response.status, response.body.error?.code], JSON.stringify(query)).toEqual([
        400,
        ErrorCode.Invalid,
      ]);
    }
    const anonymous = await t.http<{ error: { code: string } }>('GET', '/api/search/messages?q=harbour');
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, ErrorCode.Unauthenticated]);
  });
});

describe('the search indexer', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ env: { SEARCH_INDEX_INTERVAL_MS: '3600000' } });
  });
  afterAll(async () => t.close());

  // Two indexers writing at once lost a row of message_search in 2 of 4 runs before rounds took the
  // index lock in turn (Mroonga's indexes do not survive concurrent writes to the same rows).
  it('works through a backlog in bounded rounds, and two indexers at once take turns and leave the newest text', async () => {
    const owner = await t.signUp('indexer_owner');
    const socket = await t.connectSocket(owner.cookie);
    const groups = [await createGroup(t, owner, [], 'One'), await createGroup(t, owner, [], 'Two')];
    const messages: Message[] = [];
    for (let i = 0; i < 5; i += 1) {
      for (const group of groups)
        messages.push(await sendText(socket, group.id, `backlog ${group.name} ${i}`));
    }
    const small = { intervalMs: 3_600_000, maxChanges: 3, maxConversations: 1, log: t.server.log };
    const first = startSearchIndexer(t.server.searchIndexPool, small);
    const second = startSearchIndexer(t.server.storePool, small);
    const written = await Promise.all([first.catchUp(), second.catchUp()]);
    expect(written[0]! + written[1]!).toBeGreaterThanOrEqual(messages.length);

    const edited = messages[0]!;
    okData(
      await socket.emitWithAck('message:edit', {
        conversationId: edited.conversationId,
        messageId: edited.id,
        text: 'rewritten once',
      }),
    );
    await Promise.all([first.catchUp(), second.catchUp()]);
    // An older copy written late (a round that read before the edit) is refused by changeSeq.
    await writeSearchRows(t.server.readPool, [
      {
        messageId: edited.id,
        conversationId: edited.conversationId,
        changeSeq: edited.changeSeq,
        text: edited.text,
      },
    ]);
    await Promise.all([first.stop(), second.stop()]);
    socket.close();

    const rows = await queryDatabase<{ messageId: number; text: string }>(
      t,
      `SELECT messageId, text FROM message_search WHERE conversationId IN (?, ?) ORDER BY messageId`,
      [groups[0]!.id, groups[1]!.id],
    );
    expect(rows.map((row) => [row.messageId, row.text])).toEqual(
      messages.map((m) => [m.id, m.id === edited.id ? 'rewritten once' : m.text]),
    );
    const positions = await queryDatabase<{ conversationId: number; indexedChangeSeq: number }>(
      t,
      `SELECT p.conversationId, p.indexedChangeSeq FROM message_search_positions p
         JOIN conversations c ON c.id = p.conversationId AND c.lastChangeSeq = p.indexedChangeSeq
        WHERE p.conversationId IN (?, ?)`,
      [groups[0]!.id, groups[1]!.id],
    );
    expect(positions).toHaveLength(2);
  });
});
