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
