import { accountMenu, expect, newAccount, PASSWORD, test } from './fixtures.js';

test('a wrong password is refused without saying which part was wrong, and the password is cleared', async ({
  page,
  signUp,
}) => {
  const ada = await signUp('ada');
  await page.goto('/login');
  await page.getByLabel('Username', { exact: true }).fill(ada.username);
  await page.getByLabel('Password', { exact: true }).fill('not the password');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();

  await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  await expect(page).toHaveURL(/\/login/);

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(accountMenu(page, ada)).toBeVisible();
});

test('registration shows its problems next to the fields, a taken username included', async ({
  page,
  signUp,
}) => {
  const ada = await signUp('ada');
  await page.goto('/register');
  const username = page.getByLabel('Username', { exact: true });
  const password = page.getByLabel('Password', { exact: true });

  // Checked in the browser with the shared schema before anything is sent.
  await username.fill(ada.username);
  await page.getByLabel('Display name', { exact: true }).fill('Another Ada');
  await password.fill('short');
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(password).toHaveAccessibleDescription(/Must be at least 8 characters\./);
  await expect(password).toBeFocused();

  // A common password is refused with words that say why (the same shared rule as the server's).
  await password.fill('12345678');
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(password).toHaveAccessibleDescription(/This password is too common or too easy to guess\./);
  await expect(password).toBeFocused();

  // Only the server knows the name is taken: its answer lands on the username field.
  await password.fill(newAccount().password);
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await expect(username).toHaveAttribute('aria-invalid', 'true');
  await expect(username).toHaveAccessibleDescription(/That username is already taken\./);
  await expect(username).toBeFocused();
  await expect(page).toHaveURL(/\/register/);
});

test('registration refuses a display name that shows nothing or hides text-direction tricks', async ({
  page,
}) => {
  const account = newAccount('eve');
  await page.goto('/register');
  await page.getByLabel('Username', { exact: true }).fill(account.username);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  const displayName = page.getByLabel('Display name', { exact: true });
  const create = page.getByRole('button', { name: 'Create account', exact: true });

  await displayName.fill('\u200b\u200b');
  await create.click();
  await expect(displayName).toHaveAttribute('aria-invalid', 'true');
  await expect(displayName).toHaveAccessibleDescription(/Type at least one visible character/);

  await displayName.fill('evil\u202egnp.exe');
  await create.click();
  await expect(displayName).toHaveAccessibleDescription(/cannot contain .* text-direction controls/);
  await expect(page).toHaveURL(/\/register/);

  await displayName.fill('אווה');
  await create.click();
  await expect(accountMenu(page, { displayName: 'אווה', username: account.username })).toBeVisible();
});
