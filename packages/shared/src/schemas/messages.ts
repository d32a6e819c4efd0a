import { z } from 'zod';
import { idSchema, isoDateSchema } from './common.js';
import { systemEventSchema } from './system-events.js';
import { attachmentSchema, uploadIdSchema, uploadKindSchema } from './uploads.js';
import { hasVisibleText, messageBodySchema, textInputSchema } from './text.js';
import { userSummarySchema } from './users.js';

export const MESSAGE_TEXT_MAX = 4000;
export const HISTORY_PAGE_MAX = 100;
/** Characters of the quoted message a reply carries. */
export const REPLY_EXCERPT_MAX = 200;
export const REACTION_EMOJI_MAX = 32;
/** Distinct emoji one user may put on one message. */
export const REACTIONS_PER_USER_MAX = 20;

const seqSchema = z.number().int().nonnegative().max(2_147_483_647);

/**
 * Trimmed; refuses empty, over-long and invisible-only text (whitespace, zero-width and other
 * blank characters only: see hasVisibleText). The web app's send and save buttons use this too.
 */
export const messageTextSchema = messageBodySchema(MESSAGE_TEXT_MAX);

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Exactly one emoji: one grapheme cluster (so skin tones, ZWJ sequences, flags and keycaps count
 * as one) that is pictographic, a flag or a keycap. Refuses text, digits and whitespace, so
 * reactions cannot smuggle messages.
 */
export const reactionEmojiSchema = z
  .string()
  .min(1)
  .max(REACTION_EMOJI_MAX)
  .refine((value) => {
    const clusters = [...graphemes.segment(value)];
    if (clusters.length !== 1) return false;
    return (
      /^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\u200d|\ufe0f|\u20e3)+$/u.test(value) &&
      (/\p{Extended_Pictographic}/u.test(value) ||
        /^\p{Regional_Indicator}{2}$/u.test(value) ||
        /^[0-9#*]\ufe0f?\u20e3$/u.test(value))
    );
  }, 'must be a single emoji');

/** `system`: a group change (see system-events.ts), sent by the server with `sender` = who made it. */
export const messageTypeSchema = z.enum(['text', 'system']);
export type MessageType = z.infer<typeof messageTypeSchema>;

/**
 * `message:send`. The client makes clientMsgId (a UUID) before the first attempt and reuses it on every
 * retry. With `attachmentId` (an upload of the sender's, never attached before) the text is an optional
 * caption and may be empty; without one it is required.
 */
/** The fields of `message:send`, without the rule across them (sendMessagePayloadSchema adds it). */
export const sendMessageFieldsSchema = z.strictObject({
  conversationId: idSchema,
  clientMsgId: z.uuid(),
  text: z.union([z.literal(''), messageTextSchema]).default(''),
  /** A message of the same conversation this one quotes. */
  replyToId: idSchema.optional(),
  /** An upload (POST /api/uploads) to carry: the sender's own, attached to no other message. */
  attachmentId: uploadIdSchema.optional(),
});

/**
 * A message needs text or an attachment: the rule every way of sending applies (the socket's
 * `message:send`, a bot's HTTP send). Zod refuses `.omit()` on a refined object, so the rule is added
 * to each shape rather than inherited.
 */
export function withMessageContent<T extends z.ZodType<{ text: string; attachmentId?: string }>>(schema: T) {
  return schema.refine((payload) => payload.text !== '' || payload.attachmentId !== undefined, {
    message: 'a message needs text or an attachment',
    path: ['text'],
  });
}

export const sendMessagePayloadSchema = withMessageContent(sendMessageFieldsSchema);
export type SendMessagePayload = z.infer<typeof sendMessagePayloadSchema>;

/** `message:edit`: only the sender, only while not deleted. */
export const editMessagePayloadSchema = z.strictObject({
  conversationId: idSchema,
  messageId: idSchema,
  text: messageTextSchema,
});
export type EditMessagePayload = z.infer<typeof editMessagePayloadSchema>;

/** `message:delete`: only the sender. The text is erased from the database; the message stays as a tombstone. */
export const deleteMessagePayloadSchema = z.strictObject({
  conversationId: idSchema,
  messageId: idSchema,
});
export type DeleteMessagePayload = z.infer<typeof deleteMessagePayloadSchema>;

/** `message:react`: sets (on: true) or clears (on: false) one reaction; idempotent, so safe to retry. */
export const reactPayloadSchema = z.strictObject({
  conversationId: idSchema,
  messageId: idSchema,
  emoji: reactionEmojiSchema,
  on: z.boolean(),
});
export type ReactPayload = z.infer<typeof reactPayloadSchema>;

/**
 * The quote a reply carries of `text`: its first REPLY_EXCERPT_MAX code points (never half a
 * surrogate pair), empty once the quoted message is deleted. The server builds previews with it and
 * clients show their own pending replies with it, so both agree.
 */
export function replyExcerpt(text: string, deleted: boolean): string {
  return deleted ? '' : [...text].slice(0, REPLY_EXCERPT_MAX).join('');
}

export const replyPreviewSchema = z.object({
  id: idSchema,
  seq: z.number().int().positive(),
  sender: userSummarySchema,
  /** The quoted text, cut to REPLY_EXCERPT_MAX; empty when deleted (and for a file sent without one). */
  excerpt: z.string(),
  deleted: z.boolean(),
  /** What the quoted message carries besides its text (a photo, a voice message, a file); null when deleted. */
  attachmentKind: uploadKindSchema.nullable(),
});
export type ReplyPreview = z.infer<typeof replyPreviewSchema>;

export const reactionSchema = z.object({
  emoji: z.string(),
  /** In the order they reacted. */
  userIds: z.array(idSchema),
});
export type Reaction = z.infer<typeof reactionSchema>;

export const messageGenerationSchema = z.object({
  state: z.enum(['streaming', 'failed']),
  /** state = failed: the ErrorCode saying why (companion/model_*, companion/rate_limited, companion/unavailable). */
  error: z.string().nullable(),
});
export type MessageGeneration = z.infer<typeof messageGenerationSchema>;

export const messageSchema = z.object({
  id: idSchema,
  conversationId: idSchema,
  /** Position in the conversation: 1, 2, 3… with no gaps, the same for every member. */
  seq: z.number().int().positive(),
  /**
   * The conversation's change counter when this message last changed (sent, edited, deleted,
   * reacted to). Catch-up asks for everything after the client's sync mark (see syncPayloadSchema).
   */
  changeSeq: z.number().int().positive(),
  clientMsgId: z.string(),
  sender: userSummarySchema,
  type: messageTypeSchema,
  /** Empty when deleted, and for system messages; a caption (maybe empty) with an attachment. */
  text: z.string(),
  /** The image, file or voice message it carries; null when none, and once the message is deleted. */
  attachment: attachmentSchema.nullable(),
  /** What a `system` message says happened; null for others. */
  system: systemEventSchema.nullable(),
  createdAt: isoDateSchema,
  editedAt: isoDateSchema.nullable(),
  deletedAt: isoDateSchema.nullable(),
  /** Deleted by a group owner or admin rather than its sender: shown as "removed by an admin". */
  removedByAdmin: z.boolean(),
  replyTo: replyPreviewSchema.nullable(),
  reactions: z.array(reactionSchema),
  /**
   * A companion's reply (features/companions) while it is written: `streaming` while its text grows
   * through message:updated (not an edit: editedAt stays null), `failed` when the model could not
   * answer (`error` says why; the text is empty and POST …/messages/:id/retry writes it again in
   * place). Null for every finished message.
   */
  generation: messageGenerationSchema.nullable(),
});
export type Message = z.infer<typeof messageSchema>;

/** GET /api/conversations/:id/messages: `before` or `after` a seq (not both); neither gives the newest page. */
export const historyQuerySchema = z
  .strictObject({
    before: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    after: z.coerce.number().int().nonnegative().max(2_147_483_647).optional(),
    limit: z.coerce.number().int().min(1).max(HISTORY_PAGE_MAX).default(50),
  })
  .refine((query) => query.before === undefined || query.after === undefined, {
    message: 'give before or after, not both',
    path: ['after'],
  });
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

export const historyResponseSchema = z.object({
  /** Oldest first. */
  messages: z.array(messageSchema),
  /** True when more messages exist beyond the page in the direction asked (older for before/newest, newer for after). */
  hasMore: z.boolean(),
});
export type HistoryResponse = z.infer<typeof historyResponseSchema>;

export const SYNC_CONVERSATIONS_MAX = 500;
/** Changes per conversation in one sync answer. */
export const SYNC_PAGE_MAX = 200;
/** Changes in one whole sync answer; conversations past it answer with hasMore and no messages. */
export const SYNC_RESPONSE_MAX = 1000;

/**
 * `conversation:sync`, sent on every (re)connect and whenever a live event reveals a hole: for each
 * conversation, the changeSeq up to which the client holds every change (its sync mark, 0 for none;
 * not the highest it has seen, which a lost event would make skip). The server answers with what
 * changed after it. docs/protocol.md, "The sync mark".
 */
export const syncPayloadSchema = z.strictObject({
  conversations: z
    .array(z.strictObject({ conversationId: idSchema, changeSeq: seqSchema }))
    .max(SYNC_CONVERSATIONS_MAX),
});
export type SyncPayload = z.infer<typeof syncPayloadSchema>;

export const syncResultSchema = z.object({
  conversationId: idSchema,
  /** Changed and new messages after the client's changeSeq, in changeSeq order, at most SYNC_PAGE_MAX. */
  messages: z.array(messageSchema),
  /** The changeSeq to ask from next time. */
  changeSeq: z.number().int().nonnegative(),
  /** More changes than this answer holds: ask again from changeSeq, or reload the newest history page. */
  hasMore: z.boolean(),
});
export type SyncResult = z.infer<typeof syncResultSchema>;

export const syncResponseSchema = z.object({ results: z.array(syncResultSchema) });
export type SyncResponse = z.infer<typeof syncResponseSchema>;

/** Characters of a search query at most (after trimming). */
export const SEARCH_QUERY_MAX = 100;
/** Words of a search query at most: each must appear in a message for it to match. */
export const SEARCH_TERMS_MAX = 10;
/** Results in one page of message search at most. */
export const SEARCH_PAGE_MAX = 50;

/**
 * `GET /api/search/messages`: messages of the caller's conversations containing every word of `q`
 * (split at white space; a word matches inside longer text, in any script: Chinese needs no
 * spaces), newest first. `conversationId` keeps to one conversation; `before` (a message id from
 * `nextBefore`) asks for the next page.
 */
export const messageSearchQuerySchema = z.strictObject({
  q: textInputSchema()
    .trim()
    .min(1)
    .max(SEARCH_QUERY_MAX)
    .refine((q) => searchTerms(q).length > 0, { message: 'must contain a visible character' })
    .refine((q) => searchTerms(q).length <= SEARCH_TERMS_MAX, {
      message: `at most ${SEARCH_TERMS_MAX} words`,
    }),
  conversationId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  before: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  limit: z.coerce.number().int().min(1).max(SEARCH_PAGE_MAX).default(20),
});
export type MessageSearchQuery = z.infer<typeof messageSearchQuerySchema>;

export const messageSearchResponseSchema = z.object({
  /** Newest first; a message deleted since it was indexed is left out. */
  messages: z.array(messageSchema),
  /** Pass as `before` for the next page; null when there is none. */
  nextBefore: z.number().int().positive().nullable(),
});
export type MessageSearchResponse = z.infer<typeof messageSearchResponseSchema>;

/**
 * The words of a search query, as the server matches them and the web app highlights them: split at
 * Unicode white space, control characters (a NUL ended the query early in MariaDB) and punctuation
 * (the index keeps a full stop or a hyphen as a token of its own, so `flowerpot.` and
 * `"spare key"` found nothing), invisible format characters at a word's ends (a zero-width space)
 * trimmed, words without a visible character (hasVisibleText) dropped (the index's normaliser made
 * them empty, and an empty word matched every message), duplicates (compared case-insensitively)
 * dropped, in the order typed. Symbols (emoji, `+`, `$`) stay part of their word.
 */
export function searchTerms(q: string): string[] {
  const seen = new Set<string>();
  return q
    .split(/[\s\p{Cc}\p{P}]+/u)
    .map((term) => term.replace(/^\p{Cf}+|\p{Cf}+$/gu, ''))
    .filter((term) => hasVisibleText(term))
    .filter((term) => {
      const key = term.toLocaleLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
