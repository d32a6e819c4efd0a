import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import fp from 'fastify-plugin';
import { PrismaClient } from '../generated/prisma/client.js';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
  }
}

export interface PrismaPluginOptions {
  databaseUrl: string;
}

export function createPrismaClient(databaseUrl: string): PrismaClient {
  const url = new URL(databaseUrl);
  const adapter = new PrismaMariaDb({
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
    connectionLimit: 10,
    // Fail fast when the database is down, so a send is refused quickly and stays in the outbox.
    // The pool keeps retrying refused connections until acquireTimeout, so that is what a refusal
    // costs: it must stay well under the client's send timeout (10 s in the web app).
    acquireTimeout: 3_000,
    connectTimeout: 2_000,
  });
  return new PrismaClient({ adapter });
}

export default fp<PrismaPluginOptions>(
  async (fastify, options) => {
    const prisma = createPrismaClient(options.databaseUrl);
    fastify.decorate('prisma', prisma);
    fastify.addHook('onClose', async () => {
      await prisma.$disconnect();
    });
  },
  { name: 'prisma' },
);
