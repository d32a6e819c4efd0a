// The end-to-end run's Parley server, as Playwright's webServer starts it: `node apps/server/dist/server.js`
// as a child, and the run's database dropped once that child has exited, so that nothing of the server
// (its pollers, its last presence writes) is still running when its tables go.
//
// Playwright stops a web server by signalling its whole process group (playwright.config.ts:
// gracefulShutdown), so the server and this wrapper both receive the signal: the server closes
// gracefully on its own, and this wrapper only waits for it. Plain JavaScript, because it runs under
// Node without a TypeScript loader; it reuses the built server's dropDatabase (`pnpm test:e2e` builds first).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dropDatabase } from '../apps/server/dist/db/migrate.js';

const SERVER = fileURLToPath(new URL('../apps/server/dist/server.js', import.meta.url));
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error('e2e/web-server.mjs: DATABASE_URL is not set');
  process.exit(1);
}

// In the same process group, so that the group's signal reaches the server once (a second signal makes
// it exit at once, close-with-grace's rule), and Playwright's last resort, SIGKILL to the group, too.
const server = spawn(process.execPath, [SERVER], { stdio: 'inherit' });
// The group's SIGTERM (Playwright) or SIGINT (Ctrl-C at a terminal) reached the server as well: this
// process only waits for it to exit.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => undefined);

server.on('exit', async (code) => {
  if (process.env.PARLEY_E2E_KEEP_DATABASE === '1') {
    console.log(`Keeping the e2e database: ${databaseUrl}`);
  } else {
    try {
      await dropDatabase(databaseUrl);
    } catch (error) {
      console.error(`Could not drop the e2e database ${databaseUrl}:`, error);
      process.exitCode = 1;
    }
  }
  process.exit(process.exitCode ?? code ?? 1);
});
