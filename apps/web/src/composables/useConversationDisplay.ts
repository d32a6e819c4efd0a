import type { Conversation, Message } from '@parley/shared';
import { useI18n } from 'vue-i18n';
import { useSessionStore } from '@/stores/session';

/** How a conversation is named and previewed for the signed-in user. */
export function useConversationDisplay() {
  const { t } = useI18n();
  const session = useSessionStore();

  function title(conversation: Conversation): string {
    if (conversation.name) return conversation.name;
    if (conversation.kind === 'direct') {
      const other = conversation.members.find((member) => member.id !== session.user?.id);
      return other ? other.displayName : t('conversation.directWithYourself');
    }
    return t('conversation.untitled');
  }

  function preview(conversation: Conversation): string {
    const last: Message | null = conversation.lastMessage;
    if (!last) return t('conversation.noMessagesYet');
    const text = last.deletedAt ? t('message.deleted') : last.text.replace(/\s+/g, ' ').trim();
    if (last.sender.id === session.user?.id) return t('conversation.previewYou', { text });
    if (conversation.kind === 'group')
      return t('conversation.previewOther', { name: last.sender.displayName, text });
    return text;
  }

  function memberCount(conversation: Conversation): string {
    return t('conversation.memberCount', conversation.members.length);
  }

  return { title, preview, memberCount };
}
