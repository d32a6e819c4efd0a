import type { SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import type { PrismaClient } from '../generated/prisma/client.js';

/** What Parley keeps in a session. */
export interface SessionPayload {
  userId?: number;
  cookie?: { expires?: string | Date | null };
}

type Callback = (error?: unknown) => void;
type GetCallback = (error: unknown, session?: Session | null) => void;

/**
 * @fastify/session's callback store interface plus a promise-based `load` for the socket handshake.
 * The store records the session's user, so a user's sessions can be found and ended.
 */
export interface ParleySessionStore extends SessionStore {
  load(sessionId: string): Promise<SessionPayload | null>;
  close(): void;
}

function expiryOf(session: SessionPayload, ttlMs: number): Date {
  const expires = session.cookie?.expires;
  return expires ? new Date(expires) : new Date(Date.now() + ttlMs);
}

function serialize(session: SessionPayload): string {
  return JSON.stringify(session);
}

abstract class PromiseStore implements ParleySessionStore {
  abstract load(sessionId: string): Promise<SessionPayload | null>;
  protected abstract save(sessionId: string, session: SessionPayload): Promise<void>;
  protected abstract remove(sessionId: string): Promise<void>;
  close(): void {}

  get(sessionId: string, callback: GetCallback): void {
    // @fastify/session rebuilds its Session (and Cookie) from the plain stored object.
    this.load(sessionId).then((session) => callback(null, session as Session | null), callback);
  }
  set(sessionId: string, session: Session, callback: Callback): void {
    this.save(sessionId, session).then(() => callback(), callback);
  }
  destroy(sessionId: string, callback: Callback): void {
    this.remove(sessionId).then(() => callback(), callback);
  }
}

export class PrismaSessionStore extends PromiseStore {
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly ttlMs: number,
    sweepIntervalMs = 3_600_000,
  ) {
    super();
    this.sweeper = setInterval(() => {
      this.prisma.session.deleteMany({ where: { expiresAt: { lt: new Date() } } }).catch(() => {
        // The next sweep tries again; expired rows are never served meanwhile (see load).
      });
    }, sweepIntervalMs);
    this.sweeper.unref();
  }

  override close(): void {
    clearInterval(this.sweeper);
  }

  async load(sessionId: string): Promise<SessionPayload | null> {
    const row = await this.prisma.session.findUnique({ where: { id: sessionId } });
    if (!row || row.expiresAt.getTime() <= Date.now()) return null;
    return JSON.parse(row.data) as SessionPayload;
  }

  protected async save(sessionId: string, session: SessionPayload): Promise<void> {
    const data = serialize(session);
    const expiresAt = expiryOf(session, this.ttlMs);
    const userId = session.userId ?? null;
    await this.prisma.session.upsert({
      where: { id: sessionId },
      create: { id: sessionId, data, expiresAt, userId },
      update: { data, expiresAt, userId },
    });
  }

  protected async remove(sessionId: string): Promise<void> {
    await this.prisma.session.deleteMany({ where: { id: sessionId } });
  }
}
