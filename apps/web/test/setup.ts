// IndexedDB for the outbox: an in-memory implementation, fresh for every test.
import 'fake-indexeddb/auto';
import { disableAutoUnmount, enableAutoUnmount } from '@vue/test-utils';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach } from 'vitest';
import { setLocale } from '@/i18n';

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
  // Every test starts in English: test files share their modules (isolate: false), and a test that
  // switched to Chinese would otherwise leave the next file's tests reading Chinese.
  setLocale('en');
});

// Every component a test mounts is unmounted after it: test files share their modules (isolate: false
// in vite.config.ts), and a composer left mounted would go on watching the drafts, which are module
// state, in the next file's tests. This file runs once per test file while @vue/test-utils is loaded
// once per worker, hence the reset before enabling it again.
disableAutoUnmount();
enableAutoUnmount(afterEach);
