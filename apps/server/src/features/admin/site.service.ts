import { randomBytes } from 'node:crypto';
import {
  ErrorCode,
  type CreateSiteInviteBody,
  type RegistrationMode,
  type SiteInvite,
  type SiteSettings,
} from '@parley/shared';
import type { Prisma, PrismaClient, SiteInvite as SiteInviteRow } from '../../generated/prisma/client.js';
import { AppError } from '../../lib/app-error.js';
import { recordAudit } from '../audit/audit.service.js';

export type SiteService = ReturnType<typeof createSiteService>;

const HOUR_MS = 60 * 60 * 1000;

function toSiteInvite(row: SiteInviteRow): SiteInvite {
  return {
    id: row.id,
    code: row.code,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    usedAt: row.usedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** The site's settings (registration mode) and its invite codes. */
export function createSiteService(prisma: PrismaClient, clock: () => Date = () => new Date()) {
  async function mode(tx: Prisma.TransactionClient = prisma): Promise<RegistrationMode> {
    // The migration makes row 1; should it be missing, registration is open (the schema default).
    const row = await tx.siteSettings.findUnique({ where: { id: 1 } });
    return row?.registrationMode ?? 'open';
  }

  return {
    async settings(): Promise<SiteSettings> {
      return { registrationMode: await mode() };
    },

    async updateSettings(actorId: number, settings: SiteSettings): Promise<SiteSettings> {
      await prisma.$transaction(async (tx) => {
        const before = await mode(tx);
        if (before === settings.registrationMode) return;
        await tx.siteSettings.upsert({
          where: { id: 1 },
          create: { id: 1, registrationMode: settings.registrationMode },
          update: { registrationMode: settings.registrationMode, updatedAt: clock() },
        });
        await recordAudit(tx, {
          actorId,
          action: 'site.registration',
          before: { registrationMode: before },
          after: { registrationMode: settings.registrationMode },
        });
      });
      return { registrationMode: await mode() };
    },

    async listInvites(): Promise<SiteInvite[]> {
      const rows = await prisma.siteInvite.findMany({ orderBy: { id: 'desc' }, take: 100 });
      return rows.map(toSiteInvite);
    },

    async createInvite(actorId: number, body: CreateSiteInviteBody): Promise<SiteInvite> {
      const expiresAt = body.expiresInHours
        ? new Date(clock().getTime() + body.expiresInHours * HOUR_MS)
        : null;
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.siteInvite.create({
          data: { code: randomBytes(24).toString('base64url'), createdById: actorId, expiresAt },
        });
        await recordAudit(tx, {
          actorId,
          action: 'site.invite.create',
          after: { inviteId: created.id, expiresAt: expiresAt?.toISOString() ?? null },
        });
        return created;
      });
      return toSiteInvite(row);
    },

    async revokeInvite(actorId: number, inviteId: number): Promise<SiteInvite> {
      return toSiteInvite(
        await prisma.$transaction(async (tx) => {
          const row = await tx.siteInvite.findUnique({ where: { id: inviteId } });
          if (!row) throw new AppError(ErrorCode.InviteNotFound, `No site invite ${inviteId}`);
          if (row.revokedAt) return row;
          const updated = await tx.siteInvite.update({
            where: { id: inviteId },
            data: { revokedAt: clock() },
          });
          await recordAudit(tx, { actorId, action: 'site.invite.revoke', after: { inviteId } });
          return updated;
        }),
      );
    },

    /**
     * Called by registration inside its transaction, before the account is made: refuses with
     * `auth/registration_closed`, or, when invite-only, `auth/invite_required` unless `inviteCode` is a
     * live code, which this spends (one registration per code, whoever gets there first).
     * Returns the spent invite's id, to be stamped with the new user's id.
     */
    async admit(tx: Prisma.TransactionClient, inviteCode: string | undefined): Promise<number | null> {
      const current = await mode(tx);
      if (current === 'closed') throw new AppError(ErrorCode.RegistrationClosed, 'Registration is closed');
      if (current === 'open') return null;
      const refused = new AppError(ErrorCode.InviteRequired, 'Registration needs a valid invite code');
      if (!inviteCode) throw refused;
      const now = clock();
      const invite = await tx.siteInvite.findUnique({ where: { code: inviteCode } });
      if (!invite || invite.revokedAt || invite.usedAt || (invite.expiresAt && invite.expiresAt <= now))
        throw refused;
      const { count } = await tx.siteInvite.updateMany({
        where: { id: invite.id, usedAt: null },
        data: { usedAt: now },
      });
      if (count === 0) throw refused;
      return invite.id;
    },
  };
}
