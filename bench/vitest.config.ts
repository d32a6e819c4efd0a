import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // The smoke run starts three servers and logs users in with argon2 on a shared machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
