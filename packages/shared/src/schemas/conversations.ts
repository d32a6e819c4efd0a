import { z } from 'zod';
import { idSchema, isoDateSchema } from './common.js';
import { messageSchema } from './messages.js';
import { memberRoleSchema } from './roles.js';
import { visibleNameSchema } from './text.js';
import { userSummarySchema, usernameSchema } from './users.js';

export const GROUP_NAME_MAX = 80;
export const GROUP_MEMBERS_MAX = 256;

export const conversationKindSchema = z.enum(['direct', 'group']);
export type ConversationKind = z.infer<typeof conversationKindSchema>;

/** Input only (group creation): see visibleNameSchema. Served group names are plain strings. */
export const groupNameSchema = visibleNameSchema(GROUP_NAME_MAX);

export const createGroupBodySchema = z.strictObject({
  name: groupNameSchema,
  /** Everyone but the creator, who is always added as owner. */
  memberUsernames: z.array(usernameSchema).max(GROUP_MEMBERS_MAX, `at most ${GROUP_MEMBERS_MAX} members`),
});
export type CreateGroupBody = z.infer<typeof createGroupBodySchema>;

/** `POST /api/conversations/direct`: opens the one conversation between the caller and this user. */
export const openDirectBodySchema = z.strictObject({ username: usernameSchema });
export type OpenDirectBody = z.infer<typeof openDirectBodySchema>;

export const memberSchema = userSummarySchema.extend({ role: memberRoleSchema });
export type Member = z.infer<typeof memberSchema>;

/** How far one member has got: delivered to one of their devices, and read. */
export const receiptSchema = z.object({
  conversationId: idSchema,
  userId: idSchema,
  lastDeliveredSeq: z.number().int().nonnegative(),
  lastReadSeq: z.number().int().nonnegative(),
});
export type Receipt = z.infer<typeof receiptSchema>;

export const conversationSchema = z.object({
  id: idSchema,
  kind: conversationKindSchema,
  /** Null for direct conversations: clients show the other member's name. */
  name: z.string().nullable(),
  createdAt: isoDateSchema,
  members: z.array(memberSchema),
  /** Group settings (null/false/0 for direct conversations); changed by owner and admins. */
  description: z.string().nullable(),
  /** The pinned announcement shown above the timeline. */
  announcement: z.string().nullable(),
  /** Only the owner and admins may post. */
  onlyAdminsPost: z.boolean(),
  /** Each member may send one message per this many seconds; 0 = off. */
  slowModeSeconds: z.number().int().nonnegative(),
  /** When a site admin archived the group: members read it, nobody may send. Null otherwise. */
  archivedAt: isoDateSchema.nullable(),
  /** The caller is muted until then (ISO), else null. */
  mutedUntil: isoDateSchema.nullable(),
  lastMessage: messageSchema.nullable(),
  /** seq of the newest message, 0 when empty. */
  lastSeq: z.number().int().nonnegative(),
  /** The conversation's change counter (see Message.changeSeq). */
  changeSeq: z.number().int().nonnegative(),
  /** Every member's delivery and read position, for ticks and "read by". */
  receipts: z.array(receiptSchema),
  /** seq of the newest message the caller has read. */
  lastReadSeq: z.number().int().nonnegative(),
  /** Messages after lastReadSeq that others sent. */
  unreadCount: z.number().int().nonnegative(),
});
export type Conversation = z.infer<typeof conversationSchema>;

export const conversationListResponseSchema = z.object({ conversations: z.array(conversationSchema) });
export type ConversationListResponse = z.infer<typeof conversationListResponseSchema>;

export const conversationResponseSchema = z.object({ conversation: conversationSchema });
export type ConversationResponse = z.infer<typeof conversationResponseSchema>;

/** `conversation:read` / `conversation:delivered`: the caller has read (or received) everything up to `seq`. */
export const markReadPayloadSchema = z.strictObject({
  conversationId: idSchema,
  seq: z.number().int().nonnegative().max(2_147_483_647),
});
export type MarkReadPayload = z.infer<typeof markReadPayloadSchema>;

/** A member's read position after `conversation:read`; positions only move forward. */
export const readStateSchema = z.object({
  conversationId: idSchema,
  lastReadSeq: z.number().int().nonnegative(),
  unreadCount: z.number().int().nonnegative(),
});
export type ReadState = z.infer<typeof readStateSchema>;
