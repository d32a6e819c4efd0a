import type { Conversation, Message, UserSummary } from '@parley/shared';
import { mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h, ref } from 'vue';
import MessageItem from '@/components/message/MessageItem.vue';
import { provideMessageListContext } from '@/composables/useMessageListContext';
import { i18n, setLocale } from '@/i18n';
import { useSessionStore } from '@/stores/session';
import { toTimeline } from '@/stores/messages';
import { alice, bob, makeConversation, makeMessage, summaryOf } from '../fixtures';

const mira: UserSummary = { id: 3, username: 'mira', displayName: 'Mira', kind: 'bot' };
const noop = () => undefined;

/** A message row as MessageList shows it, inside a list context for `conversation`. */
function mountRow(
  conversation: Conversation,
  message: Message,
  { groupStart = true }: { groupStart?: boolean } = {},
): VueWrapper {
  const List = defineComponent({
    setup() {
      provideMessageListContext({
        conversation: ref(conversation),
        editingKey: ref(null),
        reply: noop,
        startEdit: noop,
        stopEdit: noop,
        requestDelete: noop,
        react: noop,
        jumpTo: noop,
        retry: noop,
        viewImage: noop,
        discard: noop,
      });
      return () =>
        h(MessageItem, {
          message: toTimeline(message),
          own: message.sender.id === alice.id,
          groupStart,
          groupEnd: true,
          highlighted: false,
        });
    },
  });
  return mount(List, { global: { plugins: [i18n] } });
}

/** The element with id `id` in the row (each mount is an app of its own, with its own `useId` ids). */
function byId(wrapper: VueWrapper, id: string): HTMLElement | null {
  return (wrapper.element as HTMLElement).querySelector<HTMLElement>(`[id="${id}"]`);
}

/**
 * The bubble's accessible name as a browser computes it from aria-labelledby: the text of each element
 * it names, hidden ones included, without what is aria-hidden inside them.
 */
function accessibleName(wrapper: VueWrapper): string {
  const bubble = wrapper.get('[data-testid="message-bubble"]').element;
  const ids = bubble.getAttribute('aria-labelledby')?.split(' ') ?? [];
  return ids
    .map((id) => {
      const labelled = byId(wrapper, id);
      if (!labelled) throw new Error(`aria-labelledby names #${id}, which is not in the page`);
      const copy = labelled.cloneNode(true) as HTMLElement;
      copy.querySelectorAll('[aria-hidden="true"]').forEach((element) => element.remove());
      return copy.textContent?.replace(/\s+/g, ' ').trim() ?? '';
    })
    .join(' ');
}

const sentAt = '2026-03-03T09:42:00.000Z';
const fullDate = (locale: string) =>
  new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' }).format(new Date(sentAt));

describe('a message bubble', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    useSessionStore().user = alice;
  });

  it('is an article named by the sender shown above it and the full date it was sent', () => {
    const wrapper = mountRow(makeConversation({ id: 1 }), makeMessage({ seq: 1, createdAt: sentAt }));
    const bubble = wrapper.get('[data-testid="message-bubble"]');
    expect(bubble.attributes('role')).toBe('article');
    expect(accessibleName(wrapper)).toBe(`${bob.displayName} ${fullDate('en')}`);
    // The name shown above the bubble is the one it points at, not a copy of it.
    const [senderId] = bubble.attributes('aria-labelledby')!.split(' ');
    expect(byId(wrapper, senderId!)?.hidden).toBe(false);
  });

  it('is named by its sender where no name is shown: a run’s later message, a direct conversation, our own', () => {
    const group = makeConversation({ id: 1 });
    const direct = makeConversation({ id: 2, kind: 'direct', name: null });
    expect(
      accessibleName(mountRow(group, makeMessage({ seq: 2, createdAt: sentAt }), { groupStart: false })),
    ).toBe(`${bob.displayName} ${fullDate('en')}`);
    expect(accessibleName(mountRow(direct, makeMessage({ seq: 1, createdAt: sentAt })))).toBe(
      `${bob.displayName} ${fullDate('en')}`,
    );
    expect(
      accessibleName(mountRow(group, makeMessage({ seq: 3, createdAt: sentAt, sender: summaryOf(alice) }))),
    ).toBe(`You ${fullDate('en')}`);
  });

  it('says a bot sent it, shown or not, and speaks the reader’s language', () => {
    const group = makeConversation({ id: 1 });
    const fromMira = makeMessage({ seq: 1, createdAt: sentAt, sender: mira });
    expect(accessibleName(mountRow(group, fromMira))).toBe(`Mira (bot) ${fullDate('en')}`);
    expect(accessibleName(mountRow(group, fromMira, { groupStart: false }))).toBe(
      `Mira (bot) ${fullDate('en')}`,
    );
    setLocale('zh-CN');
    expect(
      accessibleName(mountRow(group, makeMessage({ seq: 2, createdAt: sentAt, sender: summaryOf(alice) }))),
    ).toBe(`你 ${fullDate('zh-CN')}`);
  });

  it('does not repeat the message’s text in its name, and takes focus only when it can be acted on', () => {
    const group = makeConversation({ id: 1 });
    const live = mountRow(group, makeMessage({ seq: 1, createdAt: sentAt, text: 'Ship it on Friday' }));
    expect(accessibleName(live)).not.toContain('Ship it');
    expect(live.get('[data-testid="message-bubble"]').attributes('aria-label')).toBeUndefined();
    expect(live.get('[data-testid="message-bubble"]').attributes('tabindex')).toBe('0');
    const deleted = mountRow(group, makeMessage({ seq: 2, createdAt: sentAt, deletedAt: sentAt }));
    expect(deleted.get('[data-testid="message-bubble"]').attributes('role')).toBe('article');
    expect(deleted.get('[data-testid="message-bubble"]').attributes('tabindex')).toBeUndefined();
  });
});
