import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// @parley/shared and @parley/client are consumed as TypeScript source (see apps/server/vitest.config.ts
// for why the conditions are set twice).
const conditions = ['@parley/source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // Vitest's default is one worker per core but one: a single worker on CI's two cores. Most files
    // start the real server as a child process (test/server.ts) and wait on it, MariaDB and timers,
    // each on its own database, so three workers overlap those waits as the server suite's do: 80 s
    // with one worker, 63 s with three, back to back on the CI machine (2026-12-06).
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
