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
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
