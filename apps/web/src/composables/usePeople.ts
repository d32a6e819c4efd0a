import type { Conversation } from '@parley/shared';
import { useI18n } from 'vue-i18n';
import { useSessionStore } from '@/stores/session';

/** Names of people as a conversation knows them: "You" for the signed-in user, "Alice and Bob" for lists. */
export function usePeople() {
  const { t, locale } = useI18n();
  const session = useSessionStore();

  function nameOf(conversation: Conversation, userId: number): string {
    if (userId === session.user?.id) return t('people.you');
    return conversation.members.find((member) => member.id === userId)?.displayName ?? t('people.someone');
  }

  function list(names: readonly string[]): string {
    return new Intl.ListFormat(locale.value, { style: 'long', type: 'conjunction' }).format(names);
  }

  return { nameOf, list };
}
