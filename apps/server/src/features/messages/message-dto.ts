import type { Message } from '@parley/shared';
import type { Prisma } from '../../generated/prisma/client.js';
import { toUserSummary, userSummarySelect } from '../users/user-dto.js';

export const messageInclude = { sender: { select: userSummarySelect } } as const;

export type MessageRow = Prisma.MessageGetPayload<{ include: typeof messageInclude }>;

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    clientMsgId: row.clientMsgId,
    sender: toUserSummary(row.sender),
    type: row.type,
    text: row.text,
    createdAt: row.createdAt.toISOString(),
  };
}
