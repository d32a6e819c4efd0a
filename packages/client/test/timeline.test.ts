import type { Message } from '@parley/shared';
import { describe, expect, it } from 'vitest';
import { Timeline } from '../src/timeline.js';

function message(seq: number, changeSeq = seq, patch: Partial<Message> = {}): Message {
  return {
    id: 100 + seq,
    conversationId: 1,
    seq,
    changeSeq,
    clientMsgId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    sender: { id: 7, username: 'ada', displayName: 'Ada', kind: 'person' },
    type: 'text',
    text: `message ${seq}`,
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

describe('a conversation timeline', () => {
  it('keeps messages by seq whatever order they arrive in, and says which seqs are missing', () => {
    const timeline = new Timeline(1);
    for (const seq of [3, 1, 5]) expect(timeline.apply(message(seq)).outcome).toBe('added');
    expect(timeline.messages().map((m) => m.seq)).toEqual([1, 3, 5]);
    expect(timeline.missingSeqs()).toEqual([2, 4]);
    expect(timeline.lastSeq).toBe(5);
  });

  it('keeps the copy with the highest changeSeq, whichever arrives last', () => {
    const timeline = new Timeline(1);
    timeline.apply(message(1, 4, { text: 'edited' }));
    expect(timeline.apply(message(1, 1)).outcome).toBe('known');
    expect(timeline.bySeqNumber(1)?.text).toBe('edited');
    expect(timeline.apply(message(1, 6, { text: 'again' })).outcome).toBe('changed');
    expect(timeline.byId(101)?.text).toBe('again');
  });

  it('refuses a copy that disagrees about what never changes', () => {
    const timeline = new Timeline(1);
    timeline.apply(message(1));
    const result = timeline.apply(message(1, 2, { id: 999 }));
    expect(result.outcome).toBe('conflict');
    expect(timeline.size).toBe(1);
  });
});
