import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import { WAIT_CAP_MS } from './test/helpers/waits.js';

// @parley/shared is consumed as TypeScript source, so tests need no build step first. Node-side
// tests resolve through Vite's SSR environment, which reads ssr.resolve.conditions, not
// resolve.conditions (vitest-dev/vitest#6992); setting a list replaces Vite's defaults, hence the spread.
const conditions = ['@parley/source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    benchmark: { include: ['bench/**/*.bench.ts'] },
    // Vitest's default is one worker per core but one, so a single worker on our two cores. These
    // tests mostly wait on MariaDB, Redis and timers, each in its own database: three workers took
    // the suite from 442 s to 330 s on the CI machine (2026-12-05), with the same 595 tests passing.
    maxWorkers: 3,
    // Each worker keeps its modules from one test file to the next instead of evaluating the app's
    // whole graph (Prisma's generated client and its wasm query compiler included) again per file.
    // On our two cores (2026-12-06, other work running too) the suite took 191 s before and 109-120 s
    // after, back to back (summed import 81 s before, 8-9 s after; CPU 288 s before, 166-182 s
    // after), with the same 595 tests passing. Tests therefore must not rely on fresh module state: the app
    // takes its configuration as an argument (loadConfig in test/helpers/server.ts), failpoints
    // read the environment once (NODE_ENV is 'test' before any module loads, and PARLEY_FAILPOINTS
    // goes to the server processes the fault tests start), and fake timers are put back after each test.
    isolate: false,
    // Bounds on hangs, not on speed: CI's two cores are shared and have been seen at load 12-16, where
    // a test that takes 5 s on a quiet machine takes 40 (catch-up's restart test: 26.6 s at load 10,
    // 2026-12-06). A test may wait WAIT_CAP_MS for each of several signals and start server processes
    // (45 s each at most, helpers/server-process.ts), so the test's own bound must lie well past those.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // expect.poll waits for a positive signal; Vitest's default gives up after 1 s, which a loaded
    // machine can exceed for a broadcast that is on its way. Tests use this cap, not their own numbers.
    expect: { poll: { timeout: WAIT_CAP_MS } },
  },
});
