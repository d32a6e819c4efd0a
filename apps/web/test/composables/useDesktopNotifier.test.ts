import { NOTIFICATIONS_MUTED_FOREVER, type Message } from '@parley/shared';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, nextTick } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import { useDesktopNotifier } from '@/composables/useDesktopNotifier';
import { i18n } from '@/i18n';
import { useConversationsStore } from '@/stores/conversations';
import { useNotificationsStore } from '@/stores/notifications';
import { useSessionStore } from '@/stores/session';
import { alice, bob, makeConversation, makeMessage, stubFetch, summaryOf } from '../fixtures';

interface Shown {
  title: string;
  body: string;
  tag: string;
  closed: boolean;
}

/** The browser's Notification, allowed, recording what is shown. */
function stubNotifications(): Shown[] {
  const shown: Shown[] = [];
  class RecordingNotification {
    static permission = 'granted';
    onclick: (() => void) | null = null;
    onclose: (() => void) | null = null;
    readonly record: Shown;
    constructor(title: string, options: NotificationOptions) {
      this.record = { title, body: options.body ?? '', tag: options.tag ?? '', closed: false };
      shown.push(this.record);
    }
    close() {
      this.record.closed = true;
    }
  }
  vi.stubGlobal('Notification', RecordingNotification);
  return shown;
}

/** Mounts a component that uses the notifier; `deliver` passes a live message as client.ts does. */
function mountNotifier() {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', name: 'home', component: { template: '<p />' } },
      { path: '/c/:id', name: 'conversation', component: { template: '<p />' } },
    ],
  });
  mount(defineComponent({ setup: () => useDesktopNotifier(), template: '<p />' }), {
    global: { plugins: [i18n, router] },
  });
  const notifications = useNotificationsStore();
  return { router, deliver: (message: Message) => notifications.incoming(message) };
}

const members = [
  { ...summaryOf(alice), role: 'member' as const },
  { ...summaryOf(bob), role: 'member' as const },
];

describe('useDesktopNotifier', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    localStorage.clear();
    useSessionStore().user = alice;
    const conversations = useConversationsStore();
    conversations.upsert(makeConversation({ id: 1, kind: 'direct', name: null, members }));
    conversations.upsert(makeConversation({ id: 2, kind: 'group', name: 'Night shift', members }));
  });
  afterEach(() => vi.unstubAllGlobals());

  it("announces others' live messages: a direct one under the sender's name, a group's under its name", () => {
    const shown = stubNotifications();
    const { deliver, router } = mountNotifier();
    deliver(makeMessage({ conversationId: 1, seq: 4, sender: summaryOf(bob), text: 'Are you coming?' }));
    // Cut by grapheme clusters: the family emoji at the edge stays whole.
    const long = `${'x'.repeat(179)}👨‍👩‍👧${'y'.repeat(200)}`;
    deliver(makeMessage({ conversationId: 2, seq: 9, sender: summaryOf(bob), text: long }));
    expect(shown).toEqual([
      { title: bob.displayName, body: 'Are you coming?', tag: 'parley-conversation-1', closed: false },
      {
        title: 'Night shift',
        body: `${bob.displayName}: ${'x'.repeat(179)}👨‍👩‍👧…`,
        tag: 'parley-conversation-2',
        closed: false,
      },
    ]);
    // Nothing opens until a notice is clicked.
    expect(router.currentRoute.value.fullPath).toBe('/');
  });

  it('stays quiet for our own messages, group changes, and muted conversations', () => {
    const shown = stubNotifications();
    const { deliver } = mountNotifier();
    useConversationsStore().applyNotificationSettings({
      conversationId: 2,
      notificationsMutedUntil: NOTIFICATIONS_MUTED_FOREVER,
      version: 1,
    });
    deliver(makeMessage({ conversationId: 1, seq: 1, sender: summaryOf(alice), text: 'mine' }));
    deliver(makeMessage({ conversationId: 1, seq: 3, sender: summaryOf(bob), type: 'system', text: '' }));
    deliver(makeMessage({ conversationId: 2, seq: 4, sender: summaryOf(bob), text: 'muted' }));
    expect(shown).toEqual([]);
    // A mute that has ended lets messages through again.
    useConversationsStore().applyNotificationSettings({
      conversationId: 2,
      notificationsMutedUntil: new Date(Date.now() - 1000).toISOString(),
      version: 2,
    });
    deliver(makeMessage({ conversationId: 2, seq: 5, sender: summaryOf(bob), text: 'heard' }));
    expect(shown.map((notice) => notice.body)).toEqual([`${bob.displayName}: heard`]);
  });

  it('stays quiet while the conversation is being read, and takes a notice away once it is read', async () => {
    const shown = stubNotifications();
    const { deliver } = mountNotifier();
    const conversations = useConversationsStore();
    conversations.setOpen(1);
    conversations.setViewingLatest(true);
    deliver(makeMessage({ conversationId: 1, seq: 1, sender: summaryOf(bob), text: 'seen as it arrives' }));
    expect(shown).toEqual([]);

    conversations.setWindowFocused(false);
    conversations.upsert({ ...conversations.get(1)!, unreadCount: 1, lastSeq: 2 });
    deliver(makeMessage({ conversationId: 1, seq: 2, sender: summaryOf(bob), text: 'while away' }));
    expect(shown.map((notice) => notice.body)).toEqual(['while away']);
    conversations.markRead(1);
    await nextTick();
    expect(shown[0]!.closed).toBe(true);
  });

  it('stays quiet while another tab of the app is reading the conversation', async () => {
    const shown = stubNotifications();
    const { deliver } = mountNotifier();
    const otherTab = new BroadcastChannel('parley-attention');
    /** Tells the notifier's tab where the other tab is; resolves once it has answered (so it knows). */
    const report = (reading: number | null) =>
      new Promise<void>((resolve) => {
        otherTab.onmessage = () => resolve();
        otherTab.postMessage({ tab: 'other', reading, ask: true });
      });
    try {
      await report(1);
      deliver(makeMessage({ conversationId: 1, seq: 1, sender: summaryOf(bob), text: 'read elsewhere' }));
      deliver(makeMessage({ conversationId: 2, seq: 1, sender: summaryOf(bob), text: 'group' }));
      expect(shown.map((notice) => notice.body)).toEqual([`${bob.displayName}: group`]);
      await report(null);
      deliver(makeMessage({ conversationId: 1, seq: 2, sender: summaryOf(bob), text: 'after' }));
      expect(shown.map((notice) => notice.body)).toEqual([`${bob.displayName}: group`, 'after']);
    } finally {
      otherTab.close();
    }
  });

  it('forgets a tab not heard from for a while (crashed, killed): its conversation is announced again', async () => {
    const shown = stubNotifications();
    const { deliver } = mountNotifier();
    const otherTab = new BroadcastChannel('parley-attention');
    try {
      await new Promise<void>((resolve) => {
        otherTab.onmessage = () => resolve();
        otherTab.postMessage({ tab: 'crashed', reading: 1, ask: true });
      });
      deliver(makeMessage({ conversationId: 1, seq: 1, sender: summaryOf(bob), text: 'read there' }));
      expect(shown).toEqual([]);
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 51_000 });
      deliver(makeMessage({ conversationId: 1, seq: 2, sender: summaryOf(bob), text: 'nobody there' }));
      expect(shown.map((notice) => notice.body)).toEqual(['nobody there']);
    } finally {
      vi.useRealTimers();
      otherTab.close();
    }
  });

  it('opens the conversation at the message when the notice is clicked', async () => {
    const notifications: Array<{ onclick: () => void }> = [];
    vi.stubGlobal(
      'Notification',
      class {
        static permission = 'granted';
        onclick: (() => void) | null = null;
        constructor() {
          notifications.push(this as never);
        }
        close() {}
      },
    );
    vi.spyOn(window, 'focus').mockImplementation(() => undefined);
    const { deliver, router } = mountNotifier();
    deliver(makeMessage({ conversationId: 2, seq: 7, sender: summaryOf(bob), text: 'open me' }));
    notifications[0]!.onclick();
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/c/2?seq=7'));
    expect(window.focus).toHaveBeenCalled();
  });
  it('waits for a conversation not listed yet, and stays quiet if it is muted', async () => {
    const shown = stubNotifications();
    stubFetch(async ({ url }) => {
      const id = Number(/conversations\/(\d+)/.exec(url)?.[1]);
      const conversation = makeConversation({
        id,
        kind: 'group',
        name: id === 3 ? 'Muted elsewhere' : 'Not listed yet',
        members,
        lastSeq: 1,
        unreadCount: 1,
        notificationsMutedUntil: id === 3 ? NOTIFICATIONS_MUTED_FOREVER : null,
      });
      return { status: 200, body: { conversation } };
    });
    const { deliver } = mountNotifier();
    deliver(makeMessage({ conversationId: 3, seq: 1, sender: summaryOf(bob), text: 'quiet' }));
    deliver(makeMessage({ conversationId: 4, seq: 1, sender: summaryOf(bob), text: 'hello' }));
    await vi.waitFor(() => expect(shown.length).toBe(1));
    expect(shown).toEqual([
      {
        title: 'Not listed yet',
        body: `${bob.displayName}: hello`,
        tag: 'parley-conversation-4',
        closed: false,
      },
    ]);
  });
});
