import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAppRouter } from '@/router';
import { alice, stubFetch } from './fixtures';

// The console's route is for site admins; the server refuses its API to others regardless
// (apps/server/test/features/admin), so this only keeps the menu's promise.
describe('the /admin route', () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => vi.unstubAllGlobals());

  it('sends a signed-in user who is not a site admin home', async () => {
    stubFetch(() => ({ status: 200, body: { user: alice } }));
    const router = createAppRouter();
    await router.push('/admin');
    expect(router.currentRoute.value.name).toBe('home');
  });

  it('opens for a site admin', async () => {
    stubFetch(() => ({ status: 200, body: { user: { ...alice, role: 'admin' } } }));
    const router = createAppRouter();
    await router.push('/admin');
    expect(router.currentRoute.value.name).toBe('admin');
  });
});
