import cookie, { Signer } from '@fastify/cookie';
import session from '@fastify/session';
import fp from 'fastify-plugin';
import {
  CachedSessionStore,
  DatabaseSessionStore,
  type ParleySessionStore,
  type SessionPayload,
} from './session-stores.js';

export const SESSION_COOKIE = 'parley.sid';

declare module 'fastify' {
  interface Session {
    userId?: number;
  }
  interface FastifyInstance {
    sessions: {
      store: ParleySessionStore;
      /** The signed-in user of a raw Cookie header, as the socket handshake needs it. */
      resolve(cookieHeader: string | undefined): Promise<ResolvedSession | null>;
      /** The session's user and expiry as the store has them now; null once it has ended. */
      current(sessionId: string): Promise<SessionState | null>;
      /**
       * `current` for several sessions in one read of the store (`loadMany`): the signed-in ones by
       * id; an id missing from the map has ended, expired or never signed in.
       */
      currentMany(sessionIds: readonly string[]): Promise<Map<string, SessionState>>;
    };
  }
}

/** A signed-in session's user and expiry. */
export interface SessionState {
  userId: number;
  /** When the session ends, in ms since the epoch (fixed at sign-in: sessions do not roll). */
  expiresAt: number;
}

export interface ResolvedSession extends SessionState {
  sessionId: string;
}

export interface SessionPluginOptions {
  secret: string;
  ttlMs: number;
  redisKeyPrefix: string;
}

export default fp<SessionPluginOptions>(
  async (fastify, options) => {
    // Sessions always live in the database, which Parley cannot serve without anyway; Redis, when
    // configured, only caches them, so it may go away (or restart empty) without signing anyone out.
    const store: ParleySessionStore = fastify.redis
      ? new CachedSessionStore(
          fastify.prisma,
          fastify.readPool,
          options.ttlMs,
          fastify.redis,
          options.redisKeyPrefix,
          fastify.log,
        )
      : new DatabaseSessionStore(fastify.prisma, fastify.readPool, options.ttlMs);
    const signer = new Signer(options.secret);

    await fastify.register(cookie);
    await fastify.register(session, {
      secret: signer,
      cookieName: SESSION_COOKIE,
      store,
      saveUninitialized: false,
      rolling: false,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        // Secure whenever the request came over TLS (directly, or via a trusted proxy).
        secure: 'auto',
        path: '/',
        maxAge: options.ttlMs,
      },
    });

    function stateOf(data: SessionPayload | null): SessionState | null {
      if (!data?.userId) return null;
      const expires = data.cookie?.expires;
      const expiresAt = expires ? new Date(expires).getTime() : Date.now() + options.ttlMs;
      return expiresAt > Date.now() ? { userId: data.userId, expiresAt } : null;
    }

    async function current(sessionId: string): Promise<SessionState | null> {
      return stateOf(await store.load(sessionId));
    }

    fastify.decorate('sessions', {
      store,
      current,
      async currentMany(sessionIds) {
        const states = new Map<string, SessionState>();
        for (const [id, data] of await store.loadMany(sessionIds)) {
          const state = stateOf(data);
          if (state) states.set(id, state);
        }
        return states;
      },
      async resolve(cookieHeader) {
        if (!cookieHeader) return null;
        const signed = fastify.parseCookie(cookieHeader)[SESSION_COOKIE];
        if (!signed) return null;
        const unsigned = signer.unsign(signed);
        if (!unsigned.valid || !unsigned.value) return null;
        const found = await current(unsigned.value);
        return found && { sessionId: unsigned.value, ...found };
      },
    });
    fastify.addHook('onClose', async () => store.close());
  },
  { name: 'session', dependencies: ['prisma', 'store-pool', 'redis'] },
);
