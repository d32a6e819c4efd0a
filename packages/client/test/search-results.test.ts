import type { Message } from '@parley/shared';
import { describe, expect, it } from 'vitest';
import { SearchResults } from '../src/search-results.js';

function message(id: number, text: string, changeSeq = id, patch: Partial<Message> = {}): Message {
  return {
    id,
    conversationId: 1,
    seq: id,
    changeSeq,
    clientMsgId: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    sender: { id: 7, username: 'ada', displayName: 'Ada', kind: 'person' },
    type: 'text',
    text,
    createdAt: '2026-01-01T00:00:00.000Z',
    editedAt: null,
    deletedAt: null,
    replyTo: null,
    system: null,
    removedByAdmin: false,
    generation: null,
    reactions: [],
    attachment: null,
    ...patch,
  };
}

const edited = (original: Message, text: string, changeSeq: number): Message => ({
  ...original,
  text,
  changeSeq,
  editedAt: '2026-01-02T00:00:00.000Z',
});
const deleted = (original: Message, changeSeq: number): Message => ({
  ...original,
  text: '',
  changeSeq,
  deletedAt: '2026-01-02T00:00:00.000Z',
});
const shown = (results: SearchResults) => results.messages.map((listed) => [listed.id, listed.text]);

function listing(...page: Message[]): SearchResults {
  const results = new SearchResults();
  results.request().answered(page, 'replace');
  return results;
}

describe('search results', () => {
  const noon = message(4, 'harbour at noon');
  const dawn = message(3, 'harbour at dawn');

  it('take a newer copy of a listed message in its place and drop one deleted', () => {
    const results = listing(noon, dawn);
    results.hear(edited(noon, 'harbour at one', 9));
    results.hear(deleted(dawn, 10));
    expect(shown(results)).toEqual([[4, 'harbour at one']]);
    // An older copy arriving late (a catch-up page) does not undo the edit.
    results.hear(noon);
    expect(shown(results)).toEqual([[4, 'harbour at one']]);
  });

  it('are stale once a listed text changes, as only the server can say whether it still matches', () => {
    const results = listing(noon, dawn);
    results.hear({ ...noon, changeSeq: 8, reactions: [{ emoji: '👍', userIds: [7] }] });
    expect(results.stale).toBe(false);
    results.hear(deleted(dawn, 9));
    expect(results.stale).toBe(false);
    results.hear(edited(noon, 'the pier at noon', 10));
    expect(results.stale).toBe(true);
    // The range asked again: the server's answer decides, and the results are true again.
    results.request().answered([], 'replace');
    expect(shown(results)).toEqual([]);
    expect(results.stale).toBe(false);
  });

  it('lay an edit heard while a request is on its way over its answer, which the server read before it', () => {
    const results = new SearchResults();
    const request = results.request();
    results.hear(edited(noon, 'the pier at noon', 9));
    request.answered([noon, dawn], 'replace');
    expect(shown(results)).toEqual([
      [4, 'the pier at noon'],
      [3, 'harbour at dawn'],
    ]);
    expect(results.stale).toBe(true);
  });

  it('leave out of an answer a message deleted while it was on its way', () => {
    const results = new SearchResults();
    const request = results.request();
    results.hear(deleted(dawn, 9));
    request.answered([noon, dawn], 'replace');
    expect(shown(results)).toEqual([[4, 'harbour at noon']]);
    expect(results.stale).toBe(false);
  });

  it('keep an answer newer than what was heard while it was on its way', () => {
    const results = new SearchResults();
    const request = results.request();
    results.hear(edited(noon, 'harbour at one', 9));
    results.hear(edited(noon, 'harbour at two', 8));
    request.answered([edited(noon, 'harbour at three', 12)], 'replace');
    expect(shown(results)).toEqual([[4, 'harbour at three']]);
    expect(results.stale).toBe(false);
  });

  it('lay changes over a next page too, and list a message once when pages overlap', () => {
    const results = listing(noon);
    const older = message(2, 'harbour lights');
    const request = results.request();
    results.hear(edited(noon, 'harbour at one', 9));
    results.hear(edited(older, 'lights out', 10));
    request.answered([noon, older], 'append');
    expect(shown(results)).toEqual([
      [4, 'harbour at one'],
      [2, 'lights out'],
    ]);
    expect(results.stale).toBe(true);
  });

  it('keep nothing for a request superseded or given up, nor for copies heard before it started', () => {
    const results = new SearchResults();
    results.hear(edited(noon, 'the pier at noon', 9));
    const first = results.request();
    const second = results.request();
    first.answered([dawn], 'replace');
    expect(shown(results)).toEqual([]);
    second.abandon();
    results.request().answered([noon], 'replace');
    expect(shown(results)).toEqual([[4, 'harbour at noon']]);
  });

  it('clear to nothing, dropping a request on its way', () => {
    const results = listing(noon);
    const request = results.request();
    results.hear(edited(noon, 'the pier at noon', 9));
    results.clear();
    request.answered([noon], 'replace');
    expect(shown(results)).toEqual([]);
    expect(results.stale).toBe(false);
  });
});
