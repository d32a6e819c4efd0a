import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig, devices } from '@playwright/test';
import { E2E_BASE_URL, E2E_MODEL_URL, E2E_ORIGINS, e2eDatabaseUrl } from './environment.js';

const CI = Boolean(process.env.CI);
const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

// Playwright cannot download its browsers here: use Debian's Chromium when it is installed.
const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const launchOptions = {
  ...(existsSync(SYSTEM_CHROMIUM) ? { executablePath: SYSTEM_CHROMIUM } : {}),
  args: [
    '--no-sandbox',
    '--disable-gpu',
    // The machines have no general internet; Chromium's own background requests only fail slowly.
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // A fake microphone and camera, granted without a prompt (record-a-voice-message.spec.ts records from it).
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
  ],
};

export default defineConfig({
  testDir: '.',
  outputDir: '.artifacts/test-results',
  fullyParallel: true,
  // Playwright's default is half the cores: one worker on CI's two, where the 59 tests spend most of
  // their time waiting on the browser and the server in turn. Two workers took the run from 9.1 to 6.8
  // minutes on the CI machine (2026-12-06, others' tests loading it to 10-18), all 59 passing. Specs
  // never share a person (every sign-up is new), and fullyParallel already lets any two run at once.
  workers: Math.max(2, Math.floor(availableParallelism() / 2)),
  forbidOnly: CI,
  // No retries, in CI either: in a real-time app a test that passes on the second try has found a race.
  retries: 0,
  // A spec signs up to three people (argon2id each) on a shared two-core machine: 30 s was too tight.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // A hung run must not hold CI for its whole budget.
  globalTimeout: CI ? 10 * 60_000 : 0,
  reporter: [['list'], ['html', { outputFolder: '.artifacts/report', open: 'never' }]],
  use: {
    baseURL: E2E_BASE_URL,
    // The web app picks its language from the browser; tests read the English strings.
    locale: 'en-US',
    timezoneId: 'UTC',
    trace: { mode: 'retain-on-failure', screenshots: false },
    screenshot: 'only-on-failure',
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'], launchOptions } }],
  webServer: [
    {
      // A scripted OpenAI-compatible model for the AI companion: nothing calls a real model.
      command: 'pnpm --filter @parley/server exec tsx test/helpers/scripted-model-cli.ts',
      cwd: REPOSITORY_ROOT,
      url: `${E2E_MODEL_URL}/models`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: { SCRIPTED_MODEL_PORT: new URL(E2E_MODEL_URL).port },
    },
    {
      // The built server (`pnpm test:e2e` builds first), serving the built web app from apps/web/dist.
      // It creates and migrates its database at start; web-server.mjs drops it once the server has exited.
      command: 'node e2e/web-server.mjs',
      cwd: REPOSITORY_ROOT,
      url: `${E2E_BASE_URL}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
      // The server's own grace period is 10 s (server.ts), then the database is dropped.
      gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
      env: {
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: new URL(E2E_BASE_URL).port,
        DATABASE_URL: e2eDatabaseUrl(),
        // No Redis: the single-process setup, as `pnpm start` runs it out of the box.
        REDIS_URL: '',
        ALLOWED_ORIGINS: E2E_ORIGINS.join(','),
        SESSION_SECRET: randomBytes(32).toString('hex'),
        LOG_LEVEL: 'warn',
        // Every test signs up fresh users from 127.0.0.1; the production limit would refuse them.
        AUTH_RATE_LIMIT_PER_IP: '100000',
        AUTH_RATE_LIMIT_PER_ACCOUNT: '100000',
        // Long histories are seeded through a socket (seed.ts: sendMessagesThroughSocket), 1,000 messages
        // in a few seconds; the production budget of 150 per 10 s would make that take over a minute.
        SOCKET_RATE_LIMIT: '100000',
        // The companion answers from the scripted model; due check-ins are looked for every half second.
        LLM_BASE_URL: E2E_MODEL_URL,
        LLM_MODEL: 'scripted',
        COMPANION_JOB_POLL_MS: '500',
        // Groups of three or more share presence on demand here (100 by default), so the web app's
        // watch of the open group (presence:watch) is what every group spec exercises.
        PRESENCE_EAGER_MAX_MEMBERS: '2',
        // Search finds a message within a fifth of a second of its sending (1 s by default).
        SEARCH_INDEX_INTERVAL_MS: '200',
      },
    },
  ],
});
