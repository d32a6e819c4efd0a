import cluster from 'node:cluster';
import { setFlagsFromString } from 'node:v8';
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { buildServer } from './app.js';
import { isShutdownMessage, superviseWorkers } from './cluster.js';
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

// Before the heap has grown: V8 reads the flag whenever it sets the next full collection's limit
// (Config.gcHeapGrowingPercent says why). Each worker runs this file too, so every process has it.
if (config.gcHeapGrowingPercent > 0) {
  setFlagsFromString(`--heap-growing-percent=${config.gcHeapGrowingPercent}`);
}

/** Creates and migrates the database once, before anything serves (the primary does it for all workers). */
async function prepareDatabase(log: (msg: string, details?: object) => void): Promise<void> {
  await ensureDatabase(config.databaseUrl);
  const { applied } = await migrateDatabase(config.databaseUrl, { log });
  if (applied.length > 0) log('database migrated', { applied });
}

if (cluster.isPrimary && config.processes > 1) {
  // The primary serves nothing itself: it migrates, then keeps `processes` workers running (cluster.ts).
  const log = pino({ level: config.logLevel });
  try {
    await prepareDatabase((msg, details) => log.info(details ?? {}, msg));
  } catch (error) {
    log.fatal({ err: error }, 'Parley could not start');
    process.exit(1);
  }
  await superviseWorkers({ processes: config.processes, log });
  log.info('every worker has closed');
} else {
  // Before the server is built: building it starts its own work (the upload sweeps, the job and
  // webhook pollers), and the sweep at start read a table a fresh database did not have yet.
  if (cluster.isPrimary) {
    const log = pino({ level: config.logLevel });
    try {
      await prepareDatabase((msg, details) => log.info(details ?? {}, msg));
    } catch (error) {
      log.fatal({ err: error }, 'Parley could not start');
      process.exit(1);
    }
  }

  let server: Awaited<ReturnType<typeof buildServer>>;
  try {
    server = await buildServer({ config });
  } catch (error) {
    // Before the server's own logger exists (a plugin failed to start: Redis unreachable…).
    pino({ level: config.logLevel }).fatal({ err: error }, 'Parley could not start');
    process.exit(1);
  }

  try {
    await server.listen({ host: config.host, port: config.port });
  } catch (error) {
    server.log.fatal({ err: error }, 'Parley could not start');
    await server.close().catch(() => undefined);
    process.exit(1);
  }

  // SIGTERM/SIGINT (or, in a cluster, the primary's shutdown message, or the primary gone): stop
  // accepting, end sockets (clients reconnect elsewhere), drain requests, then close Prisma and
  // Redis through the plugins' onClose hooks.
  let closing = false;
  const grace = closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    closing = true;
    if (err) server.log.error({ err }, 'shutting down after an uncaught error');
    else server.log.info({ signal }, 'shutting down');
    await server.close();
  });
  if (cluster.isWorker) {
    const closeOnce = () => {
      if (!closing) void grace.close();
    };
    process.on('message', (message) => {
      if (isShutdownMessage(message)) closeOnce();
    });
    process.on('disconnect', closeOnce);
  }
}
