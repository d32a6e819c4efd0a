import type { ReplyPreview } from '@parley/shared';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import MessageReplyQuote from '@/components/message/MessageReplyQuote.vue';
import { i18n } from '@/i18n';
import { useSessionStore } from '@/stores/session';

const ada = { id: 1, username: 'ada', displayName: 'Ada', kind: 'person' as const };
const ben = { id: 2, username: 'ben', displayName: 'Ben', kind: 'person' as const };

const quote = (over: Partial<ReplyPreview>): ReplyPreview => ({
  id: 9,
  seq: 3,
  sender: ben,
  excerpt: '',
  deleted: false,
  attachmentKind: null,
  ...over,
});

/** The quote as read: author, then its line. */
const shown = (preview: ReplyPreview) => {
  const wrapper = mount(MessageReplyQuote, {
    props: { quote: preview, own: false },
    global: { plugins: [i18n] },
  });
  return [
    wrapper.find('span').text(),
    wrapper.find('[data-testid="reply-quote-excerpt"]').text(),
    wrapper.find('svg').exists(),
  ];
};

describe('MessageReplyQuote', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    useSessionStore().user = { ...ada, role: 'user', createdAt: '2026-01-01T00:00:00.000Z' };
  });

  it('names what a message without text carried, and marks what one with text carried', () => {
    expect(shown(quote({ attachmentKind: 'voice' }))).toEqual(['Ben', 'Voice message', true]);
    expect(shown(quote({ attachmentKind: 'image' }))).toEqual(['Ben', 'Photo', true]);
    expect(shown(quote({ attachmentKind: 'file' }))).toEqual(['Ben', 'File', true]);
    expect(shown(quote({ attachmentKind: 'image', excerpt: 'Our view' }))).toEqual(['Ben', 'Our view', true]);
    expect(shown(quote({ excerpt: 'just words' }))).toEqual(['Ben', 'just words', false]);
  });

  it('says a deleted message was deleted, and the reader’s own message is “You”', () => {
    expect(shown(quote({ deleted: true }))).toEqual(['Ben', 'Deleted message', false]);
    expect(shown(quote({ sender: ada, excerpt: 'mine' }))).toEqual(['You', 'mine', false]);
  });

  it('shows a quote an outbox saved before attachment kinds, as text', () => {
    const old = quote({ excerpt: 'old' }) as Partial<ReplyPreview>;
    delete old.attachmentKind;
    expect(shown(old as ReplyPreview)).toEqual(['Ben', 'old', false]);
  });
});
