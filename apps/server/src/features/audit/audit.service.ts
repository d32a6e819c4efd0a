import type { AuditAction } from '@parley/shared';
import type { Prisma } from '../../generated/prisma/client.js';

/** One audit row: who (`actorId`), what (`action`), to what (conversation, user), and the values. */
export interface AuditEntry {
  actorId: number;
  action: AuditAction;
  conversationId?: number | null;
  targetUserId?: number | null;
  /** Serialised as JSON; omit when the action has no earlier (or later) state. */
  before?: unknown;
  after?: unknown;
}

/**
 * Writes an audit row with the transaction client of the change it records, so the row exists if
 * and only if the change committed. Rows are only ever inserted: nothing in the app updates or
 * deletes them (the site console reads them by time, actor or target: the table's indexes).
 */
export async function recordAudit(tx: Prisma.TransactionClient, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({
    data: {
      actorId: entry.actorId,
      action: entry.action,
      conversationId: entry.conversationId ?? null,
      targetUserId: entry.targetUserId ?? null,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
    },
  });
}
