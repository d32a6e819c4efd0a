import {
  conversationLink,
  expect,
  messageLog,
  messagesIn,
  openDirectConversation,
  test,
} from './fixtures.js';

test('typing :shortcode offers emoji, :shortcode: becomes one, the picker inserts at the caret, and a few emoji alone show large', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const page = ada.page;
  await openDirectConversation(page, grace);
  const composer = page.getByRole('textbox', { name: 'Message', exact: true });

  await test.step(':thumbsu offers 👍; Enter picks it instead of sending', async () => {
    await composer.pressSequentially('Sounds good :thumbsu');
    const suggestions = page.getByRole('listbox', { name: 'Emoji suggestions' });
    await expect(suggestions.getByRole('option').first()).toHaveAccessibleName(/^👍\uFE0F? :thumbsup:$/u);
    await expect(suggestions.getByRole('option').first()).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('Enter');
    await expect(suggestions).toBeHidden();
    await expect(composer).toHaveValue(/^Sounds good 👍\uFE0F?$/u);
  });

  await test.step('a :shortcode: typed whole becomes its emoji; an unknown one stays text', async () => {
    await composer.fill('');
    await composer.pressSequentially('Nice :smile: and :heart: but :nosuchemoji: ok');
    await expect(composer).toHaveValue(/^Nice 😄 and ❤️? but :nosuchemoji: ok$/u);
  });

  await test.step('a time or a URL offers nothing, and Escape closes the list without losing the text', async () => {
    await composer.fill('');
    await composer.pressSequentially('at 12:30 or http://ex');
    await composer.pressSequentially(' :tad');
    const suggestions = page.getByRole('listbox', { name: 'Emoji suggestions' });
    await expect(suggestions).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(suggestions).toBeHidden();
    await expect(composer).toHaveValue('at 12:30 or http://ex :tad');
  });

  await test.step('the emoji picker inserts where the caret is', async () => {
    await composer.fill('Ship it now');
    await composer.press('End');
    for (let step = 0; step < ' now'.length; step += 1) await composer.press('ArrowLeft');
    await page.getByRole('button', { name: 'Insert emoji', exact: true }).click();
    const picker = page.locator('emoji-picker');
    await picker.getByRole('combobox').fill('rocket');
    await picker.getByRole('option', { name: /^🚀/ }).first().click();
    await expect(picker).toBeHidden();
    await expect(composer).toHaveValue(/^Ship it🚀\uFE0F? now$/u);
    await expect(composer).toBeFocused();
  });

  await test.step('three emoji alone are shown large to both; with words they are not', async () => {
    await composer.fill('🎉🎉🎉');
    await page.keyboard.press('Enter');
    await composer.fill('done 🎉');
    await page.keyboard.press('Enter');
    await conversationLink(grace.page, ada.displayName).click();
    const log = messageLog(grace.page, ada.displayName);
    await expect(messagesIn(log, 'done 🎉').getByTestId('message-text')).not.toHaveAttribute(
      'data-large-emoji',
    );
    await expect(messagesIn(log, '🎉🎉🎉').getByTestId('message-text')).toHaveAttribute(
      'data-large-emoji',
      'true',
    );
  });
});
