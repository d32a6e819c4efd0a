// Runs `prisma generate` after install. The Prisma CLI wants a schema-engine binary it cannot
// download on machines without general internet; generate never runs it, so any existing file will do.
import { spawnSync } from 'node:child_process';

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const result = spawnSync('pnpm', ['exec', 'prisma', 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
