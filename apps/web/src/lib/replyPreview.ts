import { replyExcerpt, type Message, type ReplyPreview } from '@parley/shared';

/** The quote a reply shows, built the way the server builds it (shared replyExcerpt). */
export function replyPreviewOf(
  message: Pick<Message, 'id' | 'seq' | 'sender' | 'text' | 'deletedAt' | 'attachment'>,
): ReplyPreview {
  const deleted = message.deletedAt !== null;
  return {
    id: message.id,
    seq: message.seq,
    sender: message.sender,
    excerpt: replyExcerpt(message.text, deleted),
    deleted,
    attachmentKind: deleted ? null : (message.attachment?.kind ?? null),
  };
}
