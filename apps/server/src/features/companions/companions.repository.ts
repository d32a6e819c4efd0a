import { createHash } from 'node:crypto';
import type { CompanionJobKind, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { padIdList } from '../../lib/id-list.js';

export type CompanionRow = Prisma.CompanionGetPayload<object>;
export type CompanionJobRow = Prisma.CompanionJobGetPayload<object>;

/**
 * A UUID made from a name (SHA-256, laid out as RFC 9562 version 8), used as the clientMsgId of
 * what a companion posts for a given cause (a reply to message 42, the check-in of job 7): the send
 * path stores one message per (sender, clientMsgId), so doing the same work twice, in two processes
 * or after a restart, stores it once.
 */
export function nameUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex').slice(0, 32).split('');
  hex[12] = '8';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

export type CompanionsRepository = ReturnType<typeof createCompanionsRepository>;

export function createCompanionsRepository(prisma: PrismaClient) {
  return {
    /** Whether any companion exists at all. */
    async any(): Promise<boolean> {
      return (await prisma.companion.count()) > 0;
    },

    find(userId: number): Promise<CompanionRow | null> {
      return prisma.companion.findUnique({ where: { userId } });
    },

    /** The companions among a conversation's members, with the conversation's kind. */
    async inConversation(conversationId: number) {
      const conversation = await prisma.conversation.findUnique({
        where: { id: conversationId },
        select: {
          kind: true,
          memberships: {
            where: { user: { companion: { isNot: null } } },
            select: { user: { select: { id: true, username: true, displayName: true, companion: true } } },
          },
        },
      });
      if (!conversation) return null;
      return {
        kind: conversation.kind,
        companions: conversation.memberships.flatMap(({ user }) =>
          user.companion
            ? [{ ...user.companion, username: user.username, displayName: user.displayName }]
            : [],
        ),
      };
    },

    memory(companionId: number, conversationId: number) {
      return prisma.companionMemory.findUnique({
        where: { companionId_conversationId: { companionId, conversationId } },
      });
    },

    saveMemory(companionId: number, conversationId: number, summary: string, throughSeq: number, now: Date) {
      return prisma.companionMemory.upsert({
        where: { companionId_conversationId: { companionId, conversationId } },
        create: { companionId, conversationId, summary, summarizedThroughSeq: throughSeq, updatedAt: now },
        update: { summary, summarizedThroughSeq: throughSeq, updatedAt: now },
      });
    },

    async checkInsEnabled(companionId: number, userId: number): Promise<boolean> {
      const optOut = await prisma.companionCheckInOptOut.findUnique({
        where: { companionId_userId: { companionId, userId } },
      });
      return optOut === null;
    },

    async setCheckInsEnabled(companionId: number, userId: number, enabled: boolean): Promise<void> {
      if (enabled) await prisma.companionCheckInOptOut.deleteMany({ where: { companionId, userId } });
      else
        await prisma.companionCheckInOptOut.upsert({
          where: { companionId_userId: { companionId, userId } },
          create: { companionId, userId },
          update: {},
        });
    },

    /** Schedules a job for a silence; a second schedule of the same silence changes nothing. */
    async schedule(job: {
      kind: CompanionJobKind;
      companionId: number;
      conversationId: number;
      userId: number;
      afterSeq: number;
      dueAt: Date;
    }): Promise<void> {
      await prisma.companionJob.upsert({
        where: {
          kind_companionId_conversationId_afterSeq: {
            kind: job.kind,
            companionId: job.companionId,
            conversationId: job.conversationId,
            afterSeq: job.afterSeq,
          },
        },
        create: job,
        update: {},
      });
    },

    /**
     * These people left (presence's window, features/presence): their pending memory summaries are
     * due now. One statement for a window's worth; the id list is padded (lib/id-list.ts).
     */
    async summariesDueNow(userIds: readonly number[], now: Date): Promise<number> {
      if (userIds.length === 0) return 0;
      const { count } = await prisma.companionJob.updateMany({
        where: { kind: 'summary', userId: { in: padIdList(userIds) }, doneAt: null, dueAt: { gt: now } },
        data: { dueAt: now },
      });
      return count;
    },

    /** Up to `limit` jobs due by `now` that no process holds. */
    due(now: Date, limit: number): Promise<CompanionJobRow[]> {
      return prisma.companionJob.findMany({
        where: { doneAt: null, dueAt: { lte: now }, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] },
        orderBy: { dueAt: 'asc' },
        take: limit,
      });
    },

    /**
     * Takes a job for this process until `leaseUntil`: one conditional UPDATE, so of several processes
     * (or a restarted one) exactly one wins; a holder that dies leaves it to the next after the lease.
     */
    async claim(jobId: number, now: Date, leaseUntil: Date): Promise<boolean> {
      const { count } = await prisma.companionJob.updateMany({
        where: { id: jobId, doneAt: null, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }] },
        data: { leaseUntil },
      });
      return count === 1;
    },

    async finish(jobId: number, now: Date): Promise<void> {
      await prisma.companionJob.update({ where: { id: jobId }, data: { doneAt: now, leaseUntil: null } });
    },

    async postpone(jobId: number, dueAt: Date): Promise<void> {
      await prisma.companionJob.update({ where: { id: jobId }, data: { dueAt, leaseUntil: null } });
    },

    /** Whether the person wrote in the conversation after `seq`. */
    async wroteSince(conversationId: number, userId: number, seq: number): Promise<boolean> {
      const newer = await prisma.message.findFirst({
        where: { conversationId, senderId: userId, seq: { gt: seq } },
        select: { id: true },
      });
      return newer !== null;
    },

    /** Whether the person posted in another conversation since `since` (active elsewhere in Parley). */
    async postedElsewhereSince(userId: number, conversationId: number, since: Date): Promise<boolean> {
      const elsewhere = await prisma.membership.findFirst({
        where: { userId, conversationId: { not: conversationId }, lastPostedAt: { gt: since } },
        select: { conversationId: true },
      });
      return elsewhere !== null;
    },

    timeZoneOf(userId: number): Promise<{ timeZone: string | null } | null> {
      return prisma.user.findUnique({ where: { id: userId }, select: { timeZone: true } });
    },
  };
}
