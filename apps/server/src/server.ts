import closeWithGrace from 'close-with-grace';
import { buildServer } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { ensureDatabase, migrateDatabase } from './db/migrate.js';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const server = await buildServer({ config });

try {
  await ensureDatabase(config.databaseUrl);
  const { applied } = await migrateDatabase(config.databaseUrl, {
    log: (msg, details) => server.log.info(details ?? {}, msg),
  });
  if (applied.length > 0) server.log.info({ applied }, 'database migrated');
  await server.listen({ host: config.host, port: config.port });
} catch (error) {
  server.log.fatal({ err: error }, 'Parley could not start');
  await server.close().catch(() => undefined);
  process.exit(1);
}

// SIGTERM/SIGINT: stop accepting, end sockets (clients reconnect elsewhere), drain requests,
// then close Prisma and Redis through the plugins' onClose hooks.
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) server.log.error({ err }, 'shutting down after an uncaught error');
  else server.log.info({ signal }, 'shutting down');
  await server.close();
});
