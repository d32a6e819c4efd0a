import type { Message } from '@parley/shared';
import { useLocalStorage, usePermission } from '@vueuse/core';
import { defineStore } from 'pinia';
import { computed, ref, shallowReactive, watch } from 'vue';

/** Where this device keeps whether the person wants desktop notifications (once the browser allows them). */
const WANTED_KEY = 'parley.desktopNotifications';

/** What `show` puts up: one notification per conversation, replaced by its next message. */
export interface DesktopNotice {
  conversationId: number;
  title: string;
  body: string;
  /** Called when the person clicks it (after the window is focused and the notice closed). */
  onOpen: () => void;
}

/**
 * Desktop notifications of this browser (the Notifications API, https://notifications.spec.whatwg.org):
 * whether they can be shown (`supported`), what the browser allows (`permission`, kept current when
 * the person changes it in the site's settings, through the Permissions API), and whether the person
 * wants them on this device (`wanted`, in localStorage; on by default once allowed). Which messages
 * are announced is useDesktopNotifier's business; this store shows and closes them.
 *
 * Each notice is tagged by its conversation (`parley-conversation-<id>`): the browser replaces a
 * conversation's earlier notice instead of stacking one per message, and two tabs of the app that
 * both announce a message leave one notice, not two.
 */
export const useNotificationsStore = defineStore('notifications', () => {
  const supported = typeof window !== 'undefined' && 'Notification' in window;
  const permission = ref<NotificationPermission>(supported ? Notification.permission : 'denied');
  const wanted = useLocalStorage(WANTED_KEY, true);
  const browserSays = usePermission('notifications');
  watch(browserSays, (state) => {
    if (!supported || state === undefined) return;
    // The Permissions API says "prompt" where the Notifications API says "default".
    permission.value = Notification.permission;
  });
  const enabled = computed(() => supported && permission.value === 'granted' && wanted.value);
  /** The notice up for each conversation (kept by the browser until closed or replaced). */
  const shown = shallowReactive(new Map<number, Notification>());

  /**
   * Turns desktop notifications on for this device, asking the browser first if it has not been
   * asked (which it allows only during a click or key press). Resolves with what the browser allows.
   */
  async function enable(): Promise<NotificationPermission> {
    if (!supported) return 'denied';
    if (Notification.permission === 'default') await Notification.requestPermission();
    permission.value = Notification.permission;
    if (permission.value === 'granted') wanted.value = true;
    return permission.value;
  }

  function disable(): void {
    wanted.value = false;
    closeAll();
  }

  /** Shows `notice` if notifications are enabled; replaces the conversation's earlier one. */
  function show(notice: DesktopNotice): void {
    if (!enabled.value) return;
    let notification: Notification;
    try {
      notification = new Notification(notice.title, {
        body: notice.body,
        tag: `parley-conversation-${notice.conversationId}`,
        lang: document.documentElement.lang || undefined,
      });
    } catch (error) {
      // Chrome on Android has no constructor (only a service worker may show one there).
      console.warn('a desktop notification could not be shown', error);
      return;
    }
    shown.set(notice.conversationId, notification);
    notification.onclick = () => {
      window.focus();
      close(notice.conversationId);
      notice.onOpen();
    };
    notification.onclose = () => {
      if (shown.get(notice.conversationId) === notification) shown.delete(notice.conversationId);
    };
  }

  /** Takes the conversation's notice away (read here, or opened). */
  function close(conversationId: number): void {
    shown.get(conversationId)?.close();
    shown.delete(conversationId);
  }

  function closeAll(): void {
    for (const id of [...shown.keys()]) close(id);
  }

  const listeners = new Set<(message: Message) => void>();
  /**
   * Someone's message arrived live (client.ts says so, the one module that subscribes to the client):
   * passed to every `onIncoming` listener, at once, in arrival order.
   */
  function incoming(message: Message): void {
    for (const listener of listeners) listener(message);
  }
  /** Listens to `incoming`; returns the way to stop. */
  function onIncoming(listener: (message: Message) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Conversations with a notice up, for closing those read meanwhile. */
  const showing = computed(() => [...shown.keys()]);

  return {
    supported,
    permission,
    wanted,
    enabled,
    enable,
    disable,
    show,
    close,
    closeAll,
    showing,
    incoming,
    onIncoming,
  };
});
