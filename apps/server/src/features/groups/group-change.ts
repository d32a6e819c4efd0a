import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  mayAct,
  type GroupAction,
  type MemberRole,
  type Message,
  type SystemEvent,
  type UserSummary,
} from '@parley/shared';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { recordAudit, type AuditEntry } from '../audit/audit.service.js';
import { conversationNotFound } from '../conversations/conversations.service.js';
import { messageInclude, toMessage } from '../messages/message-dto.js';
import { toUserSummary, userSummarySelect } from '../users/user-dto.js';
import { activeActor, lockUsers, summaryOf, type LockedUser } from '../users/user-locks.js';
import { LOCK_THEN_READ_COMMITTED } from '../../plugins/prisma.js';

/** The locked conversation row as a group change sees it. */
export interface LockedGroup {
  id: number;
  kind: 'direct' | 'group';
  name: string | null;
  description: string | null;
  announcement: string | null;
  onlyAdminsPost: boolean;
  slowModeSeconds: number;
  archivedAt: Date | null;
  lastSeq: number;
  lastChangeSeq: number;
}

export interface GroupMemberRow extends UserSummary {
  role: MemberRole;
}

/** What a change may do inside its transaction, with the conversation row locked. */
export interface GroupChange {
  tx: Prisma.TransactionClient;
  group: LockedGroup;
  now: Date;
  actor: UserSummary;
  /** The actor's role, null when they are not a member (joining through a link). */
  actorRole: MemberRole | null;
  /**
   * The rows of the actor and of the users named in `people` (runGroupChange), locked shared and read
   * as committed under the lock, by id; a user with no row is absent. A change adding members checks
   * here that none was deactivated meanwhile.
   */
  people: ReadonlyMap<number, LockedUser>;
  member(userId: number): Promise<GroupMemberRow | null>;
  /**
   * Refuses unless the actor is a member whose role may take `action` (on a member with
   * `targetRole`): `conversation/forbidden`, nothing changed.
   */
  allow(action: GroupAction, targetRole?: MemberRole): void;
  /** Appends a system message: the conversation's next seq and changeSeq, in this transaction. */
  system(event: SystemEvent): Promise<void>;
  audit(entry: Omit<AuditEntry, 'actorId' | 'conversationId'>): Promise<void>;
}

export function forbidden(message = 'Your role in this group does not allow that'): AppError {
  return new AppError(ErrorCode.Forbidden, message);
}

/**
 * Runs one administrative change of a group in one transaction: takes the conversation row's lock
 * first (the lock the send path takes, so changes and messages are ordered, and two concurrent role
 * changes on one member settle one after the other), checks the actor, lets `work` change rows, append
 * system messages and audit rows, then moves the conversation's counters once. Read committed after
 * the lock, as messages.repository.ts explains. Resolves with `work`'s result and the system messages
 * to broadcast after the commit.
 *
 * A conversation that does not exist, or whose member the actor is not (unless `asNonMember`), is
 * `conversation/not_found`; a direct conversation is `conversation/forbidden`. An archived group is
 * read-only for everyone, its administration included: `conversation/archived`, except for the
 * change that unarchives it (`whileArchived`).
 *
 * After the conversation's lock, the actor's row and those of `people` (users the change will add)
 * are locked shared, in id order, in one statement (users/user-locks.ts): the change's system
 * messages name the actor and its memberships the people, and the foreign-key checks of those rows
 * would otherwise lock them one by one in the order they are written. An actor deactivated by then is
 * refused with `auth/deactivated`: no system message of theirs is written after the deactivation.
 */
export async function runGroupChange<T>(
  prisma: PrismaClient,
  {
    conversationId,
    actorId,
    now,
    asNonMember = false,
    whileArchived = false,
    people = [],
  }: {
    conversationId: number;
    actorId: number;
    now: Date;
    asNonMember?: boolean;
    /** The site console's archive and unarchive: the one change an archived group takes. */
    whileArchived?: boolean;
    /** Users (ids) besides the actor whose rows the change references: the members it adds. */
    people?: readonly number[];
  },
  work: (change: GroupChange) => Promise<T>,
): Promise<{ result: T; messages: Message[] }> {
  return prisma.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<
      Array<Omit<LockedGroup, 'onlyAdminsPost'> & { onlyAdminsPost: number | boolean }>
    >`
        SELECT id, kind, name, description, announcement, onlyAdminsPost, slowModeSeconds, archivedAt,
               lastSeq, lastChangeSeq
          FROM conversations WHERE id = ${conversationId} FOR UPDATE`;
    const membership = row
      ? await tx.membership.findUnique({
          where: { conversationId_userId: { conversationId, userId: actorId } },
          select: { role: true },
        })
      : null;
    if (!row || (!membership && !asNonMember)) throw conversationNotFound();
    if (row.kind !== 'group') throw forbidden('Direct conversations have no administration');
    if (row.archivedAt !== null && !whileArchived)
      throw new AppError(ErrorCode.Archived, 'This group is archived: it can be read, not changed');
    const group: LockedGroup = { ...row, onlyAdminsPost: Boolean(row.onlyAdminsPost) };
    const locked = await lockUsers(tx, [actorId, ...people], 'share');
    const actor = summaryOf(activeActor(locked, actorId));
    const actorRole = membership?.role ?? null;
    const messages: Message[] = [];
    let { lastSeq, lastChangeSeq } = group;

    const change: GroupChange = {
      tx,
      group,
      now,
      actor,
      actorRole,
      people: locked,
      async member(userId) {
        const found = await tx.membership.findUnique({
          where: { conversationId_userId: { conversationId, userId } },
          select: { role: true, user: { select: userSummarySelect } },
        });
        return found ? { ...toUserSummary(found.user), role: found.role } : null;
      },
      allow(action, targetRole) {
        if (!actorRole || !mayAct(action, actorRole, targetRole)) throw forbidden();
      },
      async system(event) {
        lastSeq += 1;
        lastChangeSeq += 1;
        const stored = await tx.message.create({
          data: {
            conversationId,
            seq: lastSeq,
            changeSeq: lastChangeSeq,
            senderId: actorId,
            clientMsgId: randomUUID(),
            type: 'system',
            text: '',
            systemData: JSON.stringify(event),
            createdAt: now,
          },
          include: messageInclude,
        });
        messages.push(toMessage(stored));
      },
      audit: (entry) => recordAudit(tx, { ...entry, actorId, conversationId }),
    };

    const result = await work(change);
    if (messages.length > 0) {
      await tx.conversation.update({
        where: { id: conversationId },
        data: { lastSeq, lastChangeSeq, lastActivityAt: now },
      });
    }
    return { result, messages };
  }, LOCK_THEN_READ_COMMITTED);
}
