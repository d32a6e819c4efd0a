import { z } from 'zod';
import { ID_MAX, idSchema, isoDateSchema } from './common.js';
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
  /**
   * The caller has silenced this conversation's notifications until then (ISO), else null; their own
   * choice, unlike `mutedUntil`. NOTIFICATIONS_MUTED_FOREVER: until they turn them back on.
   */
  notificationsMutedUntil: isoDateSchema.nullable(),
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

/** Conversations per page of `GET /api/conversations` at most. */
export const CONVERSATION_PAGE_MAX = 200;
/** Conversations per page when the request does not say. */
export const CONVERSATION_PAGE_DEFAULT = 100;

/** Where a page of the conversation list ended: its last conversation's place in the list's order. */
export interface ConversationCursor {
  lastActivityAt: Date;
  id: number;
}

/**
 * A cursor as `nextCursor` carries it: `<lastActivityAt in ms since the epoch>.<id>`. Clients pass it
 * back as it came (conversationListQuerySchema reads it).
 */
export function encodeConversationCursor({ lastActivityAt, id }: ConversationCursor): string {
  return `${lastActivityAt.getTime()}.${id}`;
}

const CURSOR_MESSAGE = 'must be the nextCursor of an earlier page';

/**
 * `GET /api/conversations?cursor=&limit=`: the caller's conversations, most recently active first, a
 * page at a time, so that no request's work (and no response) grows with how many conversations a
 * person or a bot is in. `cursor` is an earlier page's `nextCursor`, opaque to clients (it holds where
 * that page ended in the order: the last conversation's activity time and id).
 */
export const conversationListQuerySchema = z.strictObject({
  cursor: z
    .string()
    .regex(/^[0-9]{1,15}\.[1-9][0-9]{0,9}$/, CURSOR_MESSAGE)
    .transform((cursor, context): ConversationCursor => {
      const [time, id] = cursor.split('.').map(Number) as [number, number];
      if (id > ID_MAX) context.addIssue({ code: 'custom', message: CURSOR_MESSAGE });
      return { lastActivityAt: new Date(time), id };
    })
    .optional(),
  limit: z.coerce.number().int().min(1).max(CONVERSATION_PAGE_MAX).default(CONVERSATION_PAGE_DEFAULT),
});
export type ConversationListQuery = z.infer<typeof conversationListQuerySchema>;

export const conversationListResponseSchema = z.object({
  conversations: z.array(conversationSchema),
  /**
   * Pass as `cursor` for the next page; null on the last. A conversation whose activity moves it
   * ahead of the cursor while a client pages (a new message) is not listed again on a later page:
   * the client hears of it live (`message:new`).
   */
  nextCursor: z.string().nullable(),
});
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

/**
 * `notificationsMutedUntil` of a conversation silenced until its member turns notifications back on:
 * the last instant DATETIME(3) holds, as Telegram's `mute_until` stands for "forever" with its own
 * largest value.
 */
export const NOTIFICATIONS_MUTED_FOREVER = '9999-12-31T23:59:59.999Z';
/** Notifications are muted for a period of at most this long (a year); longer is "forever". */
export const NOTIFICATIONS_MUTE_MAX_SECONDS = 365 * 24 * 60 * 60;

/**
 * `PUT /api/conversations/:id/notifications`: the caller's own choice for this conversation, on every
 * device. `{ muted: false }` turns notifications on; `{ muted: true, seconds }` silences them for that
 * long from now; `{ muted: true }` until they are turned back on. Unread counts are kept either way.
 */
export const notificationSettingsBodySchema = z
  .strictObject({
    muted: z.boolean(),
    seconds: z.number().int().min(60).max(NOTIFICATIONS_MUTE_MAX_SECONDS).optional(),
  })
  .refine((body) => body.muted || body.seconds === undefined, {
    path: ['seconds'],
    message: 'only with muted: true',
  });
export type NotificationSettingsBody = z.infer<typeof notificationSettingsBodySchema>;

/**
 * The answer to that request, and the `conversation:notifications` event that tells the caller's
 * other tabs and devices. `notificationsMutedUntil` as in conversationSchema. `version` counts the
 * user's changes of any conversation's setting, in the order they were stored: answers and events
 * can arrive out of that order (several tabs or processes), so keep the highest version's.
 */
export const notificationSettingsSchema = z.object({
  conversationId: idSchema,
  notificationsMutedUntil: isoDateSchema.nullable(),
  version: z.number().int().positive(),
});
export type NotificationSettings = z.infer<typeof notificationSettingsSchema>;
