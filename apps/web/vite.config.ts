import { readdirSync, readFileSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import tailwindcss from '@tailwindcss/vite';
import vue from '@vitejs/plugin-vue';
import { defaultClientConditions, defineConfig } from 'vite';
import { configDefaults } from 'vitest/config';

// The shared contract is consumed as TypeScript source, so no build step is needed before dev or test.
const conditions = ['@parley/source', ...defaultClientConditions];
/**
 * Test files that `vi.mock` a module: they run isolated (see test.projects). Found by reading the test
 * files, so a new one that mocks cannot land among the files that share modules by mistake.
 */
const MOCKING_TESTS = readdirSync(fileURLToPath(new URL('test', import.meta.url)), { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.test.ts'))
  .map((file) => `test/${file.split(sep).join('/')}`)
  .filter((file) => readFileSync(fileURLToPath(new URL(file, import.meta.url)), 'utf8').includes('vi.mock('))
  .sort();
const apiTarget = `http://127.0.0.1:${process.env.PARLEY_API_PORT ?? '3000'}`;
const proxy = {
  '/api': { target: apiTarget, changeOrigin: false },
  '/socket.io': { target: apiTarget, ws: true, changeOrigin: false },
};

export default defineConfig({
  plugins: [vue(), tailwindcss()],
  resolve: {
    conditions,
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: { port: 5173, strictPort: true, proxy },
  preview: { port: 4173, proxy },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      output: {
        // Libraries change less often than the app: separate chunks stay cached across deploys.
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined;
          // Loaded on first use of the emoji picker: keep it out of the chunks every page needs.
          if (/[\\/]emoji-picker-element[\\/]/.test(id)) return undefined;
          // The common-password check (~400 kB of dictionaries) is loaded by the registration page only.
          if (/[\\/](@zxcvbn-ts|fastest-levenshtein)[\\/]/.test(id)) return undefined;
          // Chart.js is for the site console's usage charts only: loaded with that route's chunk.
          if (/[\\/](chart\.js|vue-chartjs|@kurkle)[\\/]/.test(id)) return undefined;
          if (/[\\/](zod)[\\/]/.test(id)) return 'zod';
          if (
            /[\\/](reka-ui|@floating-ui|@tanstack|@vueuse|@internationalized|aria-hidden|defu|ohash)[\\/]/.test(
              id,
            )
          )
            return 'ui';
          return 'vendor';
        },
      },
    },
  },
  test: {
    environment: 'happy-dom',
    setupFiles: ['test/setup.ts'],
    restoreMocks: true,
    projects: [
      {
        // Test files share one worker's modules and DOM environment instead of loading Vue, the app
        // and happy-dom again per file: see the numbers in the commit that set this.
        extends: true,
        test: {
          name: 'web',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...MOCKING_TESTS],
          isolate: false,
        },
      },
      {
        // vi.mock only replaces a module before its first import, so these need modules of their own.
        extends: true,
        test: { name: 'web (module mocks)', include: MOCKING_TESTS },
      },
    ],
  },
});
