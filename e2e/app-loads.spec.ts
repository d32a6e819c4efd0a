import { accountMenu, expect, test } from './fixtures.js';

test('opening Parley signed out shows the login page', async ({ page }) => {
  await page.goto('/');

  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Welcome back' })).toBeVisible();
  await expect(page.getByLabel('Username', { exact: true })).toBeVisible();
  await expect(page.getByLabel('Password', { exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log in', exact: true })).toBeVisible();
});

test('a new account is signed in and stays signed in after a reload', async ({ signUp }) => {
  const alice = await signUp('alice');

  await expect(alice.page).toHaveURL(/\/$/);
  await alice.page.reload();
  await expect(accountMenu(alice.page, alice)).toBeVisible();
});

test('a session ended elsewhere sends the open app to the login page, which says why', async ({ signUp }) => {
  const alice = await signUp('alice');
  await expect(accountMenu(alice.page, alice)).toBeVisible();

  // The same browser session logged out outside this page (another tab, or a script with its cookie):
  // the server ends this page's socket with session:ended.
  const logout = await alice.page.request.post('/api/auth/logout');
  expect(logout.status()).toBe(204);

  await expect(alice.page).toHaveURL(/\/login/);
  await expect(alice.page.getByRole('status')).toHaveText('Your session has ended. Please log in again.');
});
