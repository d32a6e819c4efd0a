import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import ConversationHeader from '@/components/conversation/ConversationHeader.vue';
import { i18n } from '@/i18n';
import { usePresenceStore } from '@/stores/presence';
import { useSessionStore } from '@/stores/session';
import { alice, bob, makeConversation, summaryOf } from '../fixtures';

const mira = { id: 7, username: 'mira', displayName: 'Mira', kind: 'bot' as const };

/** The line under a direct conversation's title, with `peer` known to be offline. */
function statusLine(peer: typeof bob | typeof mira): string {
  usePresenceStore().replace([{ userId: peer.id, status: 'offline', lastSeenAt: null }]);
  const conversation = makeConversation({
    id: 3,
    kind: 'direct',
    name: null,
    members: [
      { ...summaryOf(alice), role: 'member' },
      { ...peer, role: 'member' },
    ],
  });
  const wrapper = mount(ConversationHeader, {
    props: { conversation, titleId: 'title' },
    global: { plugins: [i18n], stubs: { RouterLink: true, GroupSettingsDialog: true } },
  });
  return wrapper.get('[data-testid="peer-status"]').text();
}

describe('ConversationHeader', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    useSessionStore().user = alice;
  });

  it('says a person is offline, but never a bot, which answers without a socket: its @username', () => {
    expect(statusLine(bob)).toBe('Offline');
    expect(statusLine(mira)).toBe('@mira');
  });
});
