import type { Attachment, Conversation, Message } from '@parley/shared';
import { useI18n } from 'vue-i18n';
import { useSessionStore } from '@/stores/session';
import { useSystemEventText } from './useSystemEventText';

/** See useConversationDisplay().preview. */
export interface ConversationPreview {
  keypath: 'conversation.previewYou' | 'conversation.previewOther' | null;
  /** The message text on one line, or the UI's words for "deleted" / "no messages yet". */
  text: string;
  /** The sender's display name, for `conversation.previewOther`; empty otherwise. */
  name: string;
}

/** How a conversation is named and previewed for the signed-in user. */
export function useConversationDisplay() {
  const { t } = useI18n();
  const session = useSessionStore();
  const systemText = useSystemEventText();

  function title(conversation: Conversation): string {
    if (conversation.name) return conversation.name;
    if (conversation.kind === 'direct') {
      const other = conversation.members.find((member) => member.id !== session.user?.id);
      return other ? other.displayName : t('conversation.directWithYourself');
    }
    return t('conversation.untitled');
  }

  /** What an attachment sent without a caption is called in a preview: "Photo", the file's name, "Voice message". */
  function attachmentWords(attachment: Attachment | null): string {
    if (!attachment) return '';
    if (attachment.kind === 'image') return t('attachment.photo');
    if (attachment.kind === 'voice') return t('attachment.voiceMessage');
    return attachment.fileName;
  }

  /**
   * A message in one line of words, as a preview or a screen reader's announcement says it: a group
   * change as its sentence, a deleted message as "deleted", else its text with whitespace folded, or
   * for an attachment without a caption what the attachment is ("Photo", "Voice message", a file's name);
   * an AI companion's reply that failed before any text, as "Couldn't answer".
   */
  function summary(
    message: Pick<Message, 'text' | 'deletedAt' | 'removedByAdmin' | 'system' | 'attachment'> &
      Partial<Pick<Message, 'generation'>>,
  ): string {
    if (message.system) return systemText(message.system).join(' ');
    if (message.deletedAt) return t(message.removedByAdmin ? 'message.removedByAdmin' : 'message.deleted');
    const text = message.text.replace(/\s+/g, ' ').trim() || attachmentWords(message.attachment);
    return text || (message.generation?.state === 'failed' ? t('companion.replyFailed') : '');
  }

  /**
   * The last message in one line. `keypath` is the sentence around it ("You: {text}",
   * "{name}: {text}") or null for the text alone; the caller renders name and text as isolated user
   * text (`<i18n-t>` with `<bdi>`), so a right-to-left message or name keeps its own direction.
   */
  function preview(conversation: Conversation): ConversationPreview {
    const last: Message | null = conversation.lastMessage;
    if (!last) return { keypath: null, text: t('conversation.noMessagesYet'), name: '' };
    const text = summary(last);
    // A group change already names who made it.
    if (last.system) return { keypath: null, text, name: '' };
    if (last.sender.id === session.user?.id) return { keypath: 'conversation.previewYou', text, name: '' };
    if (conversation.kind === 'group')
      return { keypath: 'conversation.previewOther', text, name: last.sender.displayName };
    return { keypath: null, text, name: '' };
  }

  /** Whether a direct conversation is with a bot (its title gets the bot badge). */
  function withBot(conversation: Conversation): boolean {
    if (conversation.kind !== 'direct') return false;
    return conversation.members.some((member) => member.id !== session.user?.id && member.kind === 'bot');
  }

  function memberCount(conversation: Conversation): string {
    return t('conversation.memberCount', conversation.members.length);
  }

  return { title, preview, summary, memberCount, withBot };
}
