import { defineConfig } from 'prisma/config';

// Parley applies migrations with its own runner (apps/server/src/db), since the Prisma CLI's
// schema engine cannot be downloaded on our machines; the CLI is used for `prisma generate` only.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/parley' },
});
