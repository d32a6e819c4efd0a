import {
  accountMenu,
  connectionBanner,
  expect,
  messageActions,
  messageLog,
  messagesIn,
  newAccount,
  openDirectConversation,
  sendMessage,
  test,
  waitForText,
} from './fixtures.js';

test('registering with the keyboard alone lands focus in the chat, not on the page body', async ({
  page,
}) => {
  const account = newAccount('ada');
  await page.goto('/register');
  // The username field has focus on arrival; everything else is typing, Tab and Enter.
  await expect(page.getByLabel('Username', { exact: true })).toBeFocused();
  await page.keyboard.type(account.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(account.displayName);
  await page.keyboard.press('Tab');
  await page.keyboard.type(account.password);
  await page.keyboard.press('Enter');

  await expect(accountMenu(page, account)).toBeVisible();
  await expect(page.getByRole('button', { name: 'New message', exact: true })).toBeFocused();
});

test('"New message" works from the keyboard: focus starts in the search, arrows pick a person, Enter opens the chat', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const page = ada.page;

  await page.getByRole('button', { name: 'New message', exact: true }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'New message' });
  const search = dialog.getByRole('combobox', { name: 'Search people' });
  await expect(search).toBeFocused();

  await page.keyboard.type(grace.username);
  await expect(dialog.getByRole('option')).toHaveCount(1);
  // The search for the whole name has answered (not one for a prefix that already matched only Grace).
  await expect(dialog.getByRole('listbox')).toHaveAttribute('aria-busy', 'false');
  await page.keyboard.press('ArrowDown');
  await expect(dialog.getByRole('option')).toHaveAttribute('data-highlighted', '');
  await expect(search).toBeFocused();
  await page.keyboard.press('Enter');

  await expect(dialog).toBeHidden();
  await expect(page.getByRole('heading', { name: grace.displayName, exact: true })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Message', exact: true })).toBeFocused();

  await test.step('Escape closes the dialog and focus goes back to its button', async () => {
    await page.getByRole('button', { name: 'New message', exact: true }).focus();
    await page.keyboard.press('Enter');
    await expect(search).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('button', { name: 'New message', exact: true })).toBeFocused();
  });
});

test('"New group" works from the keyboard: focus starts in the name, arrows and Enter add a member', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const page = ada.page;

  await page.getByRole('button', { name: 'New group', exact: true }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'New group' });
  await expect(dialog.getByLabel('Group name')).toBeFocused();
  await page.keyboard.type('Launch crew');
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('combobox', { name: 'Add members' })).toBeFocused();
  await page.keyboard.type(grace.username);
  await expect(dialog.getByRole('option')).toHaveCount(1);
  await page.keyboard.press('ArrowDown');
  // Enter before the highlight lands picks nothing (seen once in CI, on a loaded machine).
  await expect(dialog.getByRole('option')).toHaveAttribute('data-highlighted', '');
  await page.keyboard.press('Enter');
  await expect(
    dialog.getByRole('list', { name: 'Selected members' }).getByText(grace.displayName, { exact: true }),
  ).toBeVisible();
});

test('closing the delete dialog or the editor gives focus back to the message', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const page = ada.page;
  await openDirectConversation(page, grace);
  await sendMessage(page, 'Draft: ship on Friday');
  const log = messageLog(page, grace.displayName);
  const message = messagesIn(log, 'Draft: ship on Friday');
  await expect(message).toHaveAttribute('data-state', 'sent');
  const bubble = message.getByTestId('message-bubble');

  // Back from the composer, as a keyboard user arrives: the message, then its toolbar (one tab stop).
  await page.getByRole('textbox', { name: 'Message', exact: true }).focus();
  await page.keyboard.press('Shift+Tab');
  await expect(bubble).toBeFocused();
  // A screen reader says whose message it reached and when, not just "clickable" or nothing.
  await expect(page.locator(':focus')).toHaveRole('article');
  await expect(page.locator(':focus')).toHaveAccessibleName(/^You \w+day, .+ \d{4}/);
  await page.keyboard.press('Tab');
  const toolbar = message.getByRole('toolbar', { name: 'Message actions' });
  await expect(toolbar.getByRole('button', { name: 'React with 👍', exact: true })).toBeFocused();

  await test.step('Escape on the delete dialog', async () => {
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await expect(toolbar.getByRole('button', { name: 'Delete', exact: true })).toBeFocused();
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('alertdialog', { name: 'Delete this message?' });
    await expect(confirm.getByRole('button', { name: 'Cancel', exact: true })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(confirm).toBeHidden();
    await expect(bubble).toBeFocused();
    await expect(messagesIn(log, 'Draft: ship on Friday')).toHaveCount(1);
  });

  await test.step('Escape in the editor', async () => {
    await page.keyboard.press('Tab');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expect(toolbar.getByRole('button', { name: 'Edit', exact: true })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('textbox', { name: 'Edit message', exact: true })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(bubble).toBeFocused();
  });

  await test.step('deleting moves focus to the composer', async () => {
    await page.keyboard.press('Tab');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await expect(
      page
        .getByRole('alertdialog', { name: 'Delete this message?' })
        .getByRole('button', { name: 'Delete', exact: true }),
    ).toBeFocused();
    await page.keyboard.press('Enter');
    await waitForText(log, 'This message was deleted.');
    await expect(page.getByRole('textbox', { name: 'Message', exact: true })).toBeFocused();
  });
});

test('offline, editing a message says plainly that it needs a connection', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const page = ada.page;
  await openDirectConversation(page, grace);
  await sendMessage(page, 'See you at ten.');
  const log = messageLog(page, grace.displayName);
  const message = messagesIn(log, 'See you at ten.');
  await expect(message).toHaveAttribute('data-state', 'sent');

  await ada.context.setOffline(true);
  const toolbar = await messageActions(message);
  const edit = toolbar.getByRole('button', { name: 'Edit', exact: true });
  await expect(edit).toHaveAttribute('aria-disabled', 'true');
  await expect(edit).toHaveAttribute(
    'title',
    "You're offline: editing, deleting and reactions need a connection.",
  );

  // Still focusable and operable (aria-disabled, not disabled): pressing it explains rather than fails.
  await edit.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('textbox', { name: 'Edit message', exact: true }).fill('See you at eleven.');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(
    page.getByText("You're offline: editing, deleting and reactions need a connection.", { exact: true }),
  ).toBeVisible();
  await expect(page.getByText('The service is temporarily unavailable. Please try again.')).toHaveCount(0);
  // Nothing was lost: the editor still holds the new words, to save once back online.
  await expect(page.getByRole('textbox', { name: 'Edit message', exact: true })).toHaveValue(
    'See you at eleven.',
  );

  await ada.context.setOffline(false);
  await expect(connectionBanner(page)).toBeHidden();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(messagesIn(log, 'See you at eleven.').getByText('edited', { exact: true })).toBeVisible();
});
