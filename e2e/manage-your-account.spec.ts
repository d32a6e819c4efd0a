import type { Page } from '@playwright/test';
import {
  accountMenu,
  conversationLink,
  expect,
  logInThroughUi,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  test,
  waitForText,
  type Account,
} from './fixtures.js';
import { captureScreen, forEachScreen } from './screenshots.js';

/** Opens Account settings from the account menu and returns the dialog. */
async function openAccountSettings(page: Page, account: Account, label = 'Account settings') {
  await accountMenu(page, account).click();
  await page.getByRole('menuitem', { name: label }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  return dialog;
}

test('a new display name reaches the people you talk with at once, and a new password signs you out elsewhere', async ({
  signUp,
  browser,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  await sendMessage(ada.page, 'Hello from Ada');
  await conversationLink(grace.page, ada.displayName).click();
  await waitForText(messageLog(grace.page, ada.displayName), 'Hello from Ada');

  // Ada's second browser: signed in before the password changes.
  const elsewhere = await browser.newContext();
  try {
    const otherPage = await elsewhere.newPage();
    await logInThroughUi(otherPage, ada);

    const dialog = await openAccountSettings(ada.page, ada);
    const nameField = dialog.getByLabel('Display name', { exact: true });
    await expect(nameField).toBeFocused();
    await expect(nameField).toHaveValue(ada.displayName);
    await nameField.fill('Ada King 艾达');
    await dialog.getByRole('button', { name: 'Save name' }).click();
    await expect(dialog.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    const renamed = { ...ada, displayName: 'Ada King 艾达' };

    // Grace sees the new name without reloading: in her list and in the open conversation.
    await expect(conversationLink(grace.page, renamed.displayName)).toBeVisible();
    await expect(messageLog(grace.page, renamed.displayName)).toBeVisible();
    // So does Ada's other browser, which shares no conversation with her but is her.
    await expect(accountMenu(otherPage, renamed)).toBeVisible();

    // A wrong current password is named at its field, and nothing changes.
    const current = dialog.getByLabel('Current password', { exact: true });
    await current.fill('not my password');
    await dialog.getByLabel('New password', { exact: true }).fill('lantern orchard meridian');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await expect(dialog.getByText('That is not your current password.')).toBeVisible();
    await expect(current).toBeFocused();

    await current.fill(ada.password);
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await expect(dialog.getByRole('status').filter({ hasText: 'Password changed.' })).toBeVisible();

    // The other browser is signed out; this one goes on, its connection renewed with the new cookie.
    await expect(otherPage).toHaveURL(/\/login/);
    // It says why, and keeps who was signed in.
    await expect(
      otherPage.getByRole('status').filter({ hasText: 'Your password was changed' }),
    ).toBeVisible();
    await expect(otherPage.getByLabel('Username', { exact: true })).toHaveValue(ada.username);
    await ada.page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    // Back where the keyboard was: the menu item that opened it went with its menu.
    await expect(accountMenu(ada.page, renamed)).toBeFocused();
    await sendMessage(ada.page, 'Still here after the change');
    await expect(
      messagesIn(messageLog(ada.page, grace.displayName), 'Still here after the change'),
    ).toHaveAttribute('data-state', 'sent');
    await waitForText(messageLog(grace.page, renamed.displayName), 'Still here after the change');

    await logInThroughUi(otherPage, { ...renamed, password: 'lantern orchard meridian' });
  } finally {
    await elsewhere.close();
  }
});

test('screenshots of account settings on desktop and phone, in English and Chinese', async ({ signUp }) => {
  const ada = await signUp('ada', { displayName: 'Ada Lovelace' });
  const page = ada.page;
  await forEachScreen(page, async (screen) => {
    const english = screen.locale === 'en';
    const dialog = await openAccountSettings(page, ada, english ? 'Account settings' : '账号设置');
    // The common-password rule, checked before sending, in the page's language.
    await dialog.getByLabel(english ? 'Current password' : '当前密码', { exact: true }).fill(ada.password);
    await dialog.getByLabel(english ? 'New password' : '新密码', { exact: true }).fill('password123');
    await dialog.getByRole('button', { name: english ? 'Change password' : '修改密码' }).click();
    await expect(dialog.locator('[aria-invalid="true"]')).toHaveCount(1);
    await captureScreen(page, 'account', 'account settings', screen);
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
  });
});
