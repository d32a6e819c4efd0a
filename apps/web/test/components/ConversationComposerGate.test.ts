import type { Message } from '@parley/shared';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import ConversationComposerGate from '@/components/conversation/ConversationComposerGate.vue';
import { useSystemEventText } from '@/composables/useSystemEventText';
import { i18n, setLocale } from '@/i18n';
import { useConversationsStore } from '@/stores/conversations';
import { useSessionStore } from '@/stores/session';
import { alice, makeConversation, makeMessage } from '../fixtures';

const siteAdmin = { id: 9, username: 'root', displayName: 'Site Admin', kind: 'person' as const };

function archiveMessage(seq: number, kind: 'group_archived' | 'group_unarchived'): Message {
  return makeMessage({
    seq,
    conversationId: 1,
    type: 'system',
    text: '',
    sender: siteAdmin,
    system: { kind, actor: siteAdmin },
    createdAt: `2026-03-01T10:00:0${seq}.000Z`,
  });
}

function mountGate() {
  const store = useConversationsStore();
  const wrapper = mount(ConversationComposerGate, {
    props: { conversation: store.get(1)! },
    slots: { default: () => h('textarea', { 'data-testid': 'composer' }) },
    global: { plugins: [i18n] },
  });
  /** What ConversationPage does: hand the gate the store's current copy. */
  const refresh = () => wrapper.setProps({ conversation: store.get(1)! });
  return { store, wrapper, refresh };
}

/** The timeline's words for a system message, in the current language. */
function systemText(message: Message): string {
  const Line = defineComponent({
    setup: () => () => h('p', useSystemEventText()(message.system!).join(' ')),
  });
  return mount(Line, { global: { plugins: [i18n] } }).text();
}

describe('an archived group in the web app', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    setLocale('en');
    useSessionStore().user = alice;
    useConversationsStore().upsert(makeConversation({ id: 1 }));
  });

  it('the archive message makes the composer read-only at once; unarchiving brings it back', async () => {
    const { store, wrapper, refresh } = mountGate();
    expect(wrapper.find('[data-testid="composer"]').exists()).toBe(true);

    const archived = archiveMessage(1, 'group_archived');
    store.applyMessage(archived, alice.id);
    expect(store.get(1)).toMatchObject({ archivedAt: archived.createdAt, lastSeq: 1, unreadCount: 0 });
    await refresh();
    expect(wrapper.find('[data-testid="composer"]').exists()).toBe(false);
    expect(wrapper.get('[data-testid="composer-blocked"]').attributes('role')).toBe('status');
    expect(wrapper.get('[data-testid="composer-blocked"]').text()).toBe(
      'A site admin archived this group: you can read it, but nobody can send messages.',
    );
    setLocale('zh-CN');
    await wrapper.vm.$nextTick();
    expect(wrapper.get('[data-testid="composer-blocked"]').text()).toBe(
      '站点管理员已归档此群聊：你仍可阅读，但任何人都不能发送消息。',
    );

    store.applyMessage(archiveMessage(2, 'group_unarchived'), alice.id);
    expect(store.get(1)!.archivedAt).toBeNull();
    await refresh();
    expect(wrapper.find('[data-testid="composer-blocked"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="composer"]').exists()).toBe(true);
  });

  it('takes the archived state from conversation:updated, as a reconnecting client does from the list', async () => {
    const { store, wrapper, refresh } = mountGate();
    const { id: _id, ...conversation } = store.get(1)!;
    const state = {
      conversationId: 1,
      name: conversation.name,
      description: conversation.description,
      announcement: conversation.announcement,
      onlyAdminsPost: conversation.onlyAdminsPost,
      slowModeSeconds: conversation.slowModeSeconds,
      members: conversation.members,
    };
    store.applyGroupState({ ...state, archivedAt: '2026-03-01T10:00:00.000Z' });
    await refresh();
    expect(wrapper.find('[data-testid="composer-blocked"]').exists()).toBe(true);
    store.applyGroupState({ ...state, archivedAt: null });
    await refresh();
    expect(wrapper.find('[data-testid="composer"]').exists()).toBe(true);
  });

  it('words the system messages in English and Chinese, naming the site admin', () => {
    expect(systemText(archiveMessage(1, 'group_archived'))).toContain('archived the group');
    expect(systemText(archiveMessage(1, 'group_archived'))).toContain('Site Admin');
    expect(systemText(archiveMessage(2, 'group_unarchived'))).toContain('unarchived the group');
    setLocale('zh-CN');
    expect(systemText(archiveMessage(1, 'group_archived'))).toContain('归档了此群聊');
    expect(systemText(archiveMessage(2, 'group_unarchived'))).toContain('取消了此群聊的归档');
  });
});
