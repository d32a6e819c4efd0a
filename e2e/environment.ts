// Where the end-to-end run's own Parley server lives: a dedicated port and a database of its own,
// shared by playwright.config.ts (which starts the server) and the specs; web-server.mjs drops the database.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * A TCP port that nothing listens on now, found by letting the kernel choose one (listen on port 0)
 * in a child process, because Playwright evaluates its config synchronously.
 */
function freePort(): number {
  const script =
    "const s=require('node:net').createServer();" +
    "s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close();});";
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

/**
 * The run's port: PARLEY_E2E_PORT when set, otherwise a free one chosen once, in the runner, and
 * handed to the workers (which evaluate this module again) through the environment they inherit.
 */
function e2ePort(): number {
  process.env.PARLEY_E2E_PORT ??= String(freePort());
  return Number(process.env.PARLEY_E2E_PORT);
}

export const E2E_PORT = e2ePort();

/** The scripted OpenAI-compatible model's port (apps/server/test/helpers/scripted-model-cli.ts). */
function modelPort(): number {
  process.env.PARLEY_E2E_MODEL_PORT ??= String(freePort());
  return Number(process.env.PARLEY_E2E_MODEL_PORT);
}
export const E2E_MODEL_URL = `http://127.0.0.1:${modelPort()}/v1`;
export const E2E_BASE_URL = `http://127.0.0.1:${E2E_PORT}`;
/** The browser may be pointed at either name; both are allowed to open a socket. */
export const E2E_ORIGINS = [E2E_BASE_URL, `http://localhost:${E2E_PORT}`];

/** The same variable the server's Vitest helpers read, so one setting moves every test database. */
const DATABASE_SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306';

/**
 * The run's database URL. Playwright evaluates the config in the runner and again in every worker;
 * the name is made once, in the runner, and reaches the workers and the teardown through the
 * environment, which they inherit.
 */
export function e2eDatabaseUrl(): string {
  if (!process.env.PARLEY_E2E_DATABASE_URL) {
    const url = new URL(DATABASE_SERVER_URL);
    url.pathname = `/parley_e2e_${Date.now()}_${randomBytes(3).toString('hex')}`;
    process.env.PARLEY_E2E_DATABASE_URL = url.toString();
  }
  return process.env.PARLEY_E2E_DATABASE_URL;
}
