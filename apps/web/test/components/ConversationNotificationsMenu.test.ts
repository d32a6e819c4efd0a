import { NOTIFICATIONS_MUTED_FOREVER } from '@parley/shared';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import ConversationNotificationsMenu from '@/components/conversation/ConversationNotificationsMenu.vue';
import { i18n } from '@/i18n';
import { useConversationsStore } from '@/stores/conversations';
import { makeConversation } from '../fixtures';

/** Opens the bell's menu of a conversation muted until `notificationsMutedUntil`, from the keyboard. */
async function openMenu(notificationsMutedUntil: string | null) {
  const conversation = makeConversation({ id: 4, notificationsMutedUntil });
  const wrapper = mount(ConversationNotificationsMenu, {
    props: { conversation },
    global: { plugins: [i18n] },
    attachTo: document.body,
  });
  await wrapper.get('[data-testid="conversation-notifications"]').trigger('keydown', { key: 'Enter' });
  await flushPromises();
  return wrapper;
}

/** The menu's choices, each as its text and aria-checked. */
function choices(): Array<[string, string | null]> {
  return [...document.querySelectorAll('[role="menuitemradio"]')].map((item) => [
    item.textContent!.trim(),
    item.getAttribute('aria-checked'),
  ]);
}

const checked = () => choices().filter(([, state]) => state === 'true');

describe('ConversationNotificationsMenu', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('checks "Notifications on" when the conversation is not muted', async () => {
    await openMenu(null);
    expect(choices()).toEqual([
      ['Notifications on', 'true'],
      ['Mute for 1 hour', 'false'],
      ['Mute for 8 hours', 'false'],
      ['Mute for 1 week', 'false'],
      ['Mute until I turn them back on', 'false'],
    ]);
    const group = document.querySelector('[role="group"]')!;
    expect(document.getElementById(group.getAttribute('aria-labelledby')!)!.textContent).toBe(
      'Notifications',
    );
  });

  it('checks "until I turn them back on" for a conversation muted for good', async () => {
    await openMenu(NOTIFICATIONS_MUTED_FOREVER);
    expect(checked()).toEqual([['Mute until I turn them back on', 'true']]);
  });

  it('checks a timed mute as when it ends, the one thing the server keeps, beside the periods to choose anew', async () => {
    const until = new Date(Date.now() + 90 * 60 * 1000).toISOString();
    await openMenu(until);
    const texts = choices().map(([text]) => text);
    expect(texts[1]).toMatch(/^Muted until /);
    expect(checked()).toEqual([[texts[1], 'true']]);
    expect(texts).toContain('Mute for 1 hour');
    expect(texts).toContain('Mute for 8 hours');
  });

  it('checks "Notifications on" once a mute has run out', async () => {
    await openMenu(new Date(Date.now() - 60 * 1000).toISOString());
    expect(checked()).toEqual([['Notifications on', 'true']]);
    expect(choices()).toHaveLength(5);
  });

  it('asks the server for a period chosen, and nothing for the choice already checked', async () => {
    const store = useConversationsStore();
    const setNotifications = vi.spyOn(store, 'setNotifications').mockResolvedValue(undefined);
    await openMenu(null);
    const item = (text: string) =>
      [...document.querySelectorAll<HTMLElement>('[role="menuitemradio"]')].find(
        (element) => element.textContent!.trim() === text,
      )!;
    item('Notifications on').click();
    await flushPromises();
    expect(setNotifications).not.toHaveBeenCalled();

    await openMenu(null);
    item('Mute for 8 hours').click();
    await flushPromises();
    expect(setNotifications).toHaveBeenCalledWith(4, { muted: true, seconds: 8 * 60 * 60 });
  });
});
