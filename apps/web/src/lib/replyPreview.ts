import { REPLY_EXCERPT_MAX, type Message, type ReplyPreview } from '@parley/shared';

/** The quote a reply shows, built the way the server builds it (excerpt cut in code points). */
export function replyPreviewOf(
  message: Pick<Message, 'id' | 'seq' | 'sender' | 'text' | 'deletedAt'>,
): ReplyPreview {
  const deleted = message.deletedAt !== null;
  return {
    id: message.id,
    seq: message.seq,
    sender: message.sender,
    excerpt: deleted ? '' : [...message.text].slice(0, REPLY_EXCERPT_MAX).join(''),
    deleted,
  };
}
