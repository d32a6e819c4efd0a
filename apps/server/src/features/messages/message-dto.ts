import { replyExcerpt, systemEventSchema, type Message, type Reaction } from '@parley/shared';
import type { Prisma } from '../../generated/prisma/client.js';
import { attachmentSelect, toAttachment } from '../uploads/upload-dto.js';
import { toUserSummary, userSummarySelect } from '../users/user-dto.js';

export const messageInclude = {
  sender: { select: userSummarySelect },
  replyTo: { include: { sender: { select: userSummarySelect }, attachment: { select: { kind: true } } } },
  reactions: { orderBy: [{ createdAt: 'asc' }, { userId: 'asc' }] },
  attachment: { select: attachmentSelect },
} as const satisfies Prisma.MessageInclude;

export type MessageRow = Prisma.MessageGetPayload<{ include: typeof messageInclude }>;

function groupReactions(rows: MessageRow['reactions']): Reaction[] {
  const byEmoji = new Map<string, number[]>();
  for (const row of rows) {
    const userIds = byEmoji.get(row.emoji) ?? [];
    userIds.push(row.userId);
    byEmoji.set(row.emoji, userIds);
  }
  return [...byEmoji].map(([emoji, userIds]) => ({ emoji, userIds }));
}

/** What a message says about the message it replies to (fields of the replied-to row and its sender). */
export function toReplyRef(
  reply: Pick<
    NonNullable<MessageRow['replyTo']>,
    'id' | 'seq' | 'text' | 'deletedAt' | 'sender' | 'attachment'
  >,
): NonNullable<Message['replyTo']> {
  const deleted = reply.deletedAt !== null;
  return {
    id: reply.id,
    seq: reply.seq,
    sender: toUserSummary(reply.sender),
    excerpt: replyExcerpt(reply.text, deleted),
    deleted,
    attachmentKind: deleted ? null : (reply.attachment?.kind ?? null),
  };
}

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    changeSeq: row.changeSeq,
    clientMsgId: row.clientMsgId,
    sender: toUserSummary(row.sender),
    type: row.type,
    text: row.text,
    // A deleted message keeps nothing to show: its attachment goes with its text.
    attachment: row.attachment && row.deletedAt === null ? toAttachment(row.attachment) : null,
    // Written by the server from the same schema (features/groups/group-change.ts).
    system: row.systemData === null ? null : systemEventSchema.parse(JSON.parse(row.systemData)),
    createdAt: row.createdAt.toISOString(),
    editedAt: row.editedAt?.toISOString() ?? null,
    deletedAt: row.deletedAt?.toISOString() ?? null,
    removedByAdmin: row.removedByAdmin,
    replyTo: row.replyTo ? toReplyRef(row.replyTo) : null,
    reactions: groupReactions(row.reactions),
    generation: row.generationState ? { state: row.generationState, error: row.generationError } : null,
  };
}
