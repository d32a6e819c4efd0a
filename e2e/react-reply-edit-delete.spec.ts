import {
  conversationLink,
  expect,
  messageActions,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  test,
  waitForText,
} from './fixtures.js';

test('reactions, replies, edits and deletions are seen live by the other person', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  // A short window, so that a few messages push the quoted one out of Ada's view.
  await ada.page.setViewportSize({ width: 1280, height: 440 });
  await openDirectConversation(ada.page, grace);
  await conversationLink(grace.page, ada.displayName).click();
  const adaLog = messageLog(ada.page, grace.displayName);
  const graceLog = messageLog(grace.page, ada.displayName);

  const question = 'Shall we ship on Friday?';
  const quoted = 'Friday works if QA signs off.';
  const toEdit = 'The changelog needs one more pass.';
  const edited = 'The changelog is done.';
  const toDelete = 'Wrong chat, sorry!';

  await sendMessage(grace.page, question);
  await waitForText(adaLog, question);
  for (const text of [quoted, toEdit, toDelete]) await sendMessage(ada.page, text);
  await waitForText(graceLog, toDelete);

  await test.step('Ada reacts 👍 to Grace’s message, then takes it back', async () => {
    const toolbar = await messageActions(messagesIn(adaLog, question));
    await toolbar.getByRole('button', { name: 'React with 👍', exact: true }).click();

    const chipForGrace = messagesIn(graceLog, question).getByRole('button', {
      name: `👍 1, reacted by ${ada.displayName}`,
      exact: true,
    });
    await expect(chipForGrace).toBeVisible();
    await expect(chipForGrace).toHaveAttribute('aria-pressed', 'false');

    const chipForAda = messagesIn(adaLog, question).getByRole('button', {
      name: '👍 1, reacted by You',
      exact: true,
    });
    await expect(chipForAda).toHaveAttribute('aria-pressed', 'true');
    await chipForAda.click();
    await expect(messagesIn(graceLog, question).getByRole('button', { name: /^👍/ })).toHaveCount(0);
    await expect(messagesIn(adaLog, question).getByRole('button', { name: /^👍/ })).toHaveCount(0);
  });

  await test.step('Ada edits a message: Grace sees the new text, marked edited', async () => {
    const toolbar = await messageActions(messagesIn(adaLog, toEdit));
    await toolbar.getByRole('button', { name: 'Edit', exact: true }).click();
    const editor = ada.page.getByRole('textbox', { name: 'Edit message', exact: true });
    await expect(editor).toHaveValue(toEdit);
    await editor.fill(edited);
    await ada.page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(editor).toBeHidden();

    await expect(messagesIn(graceLog, edited).getByText('edited', { exact: true })).toBeVisible();
    await expect(messagesIn(graceLog, toEdit)).toHaveCount(0);
    await expect(messagesIn(adaLog, edited).getByText('edited', { exact: true })).toBeVisible();
  });

  await test.step('Ada deletes a message after confirming: Grace sees that it was deleted, not what it said', async () => {
    const toolbar = await messageActions(messagesIn(adaLog, toDelete));
    await toolbar.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = ada.page.getByRole('alertdialog', { name: 'Delete this message?' });
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect(confirm).toBeHidden();

    await expect(messagesIn(graceLog, 'This message was deleted.')).toHaveCount(1);
    await expect(messagesIn(graceLog, toDelete)).toHaveCount(0);
    await expect(messagesIn(adaLog, 'This message was deleted.')).toHaveCount(1);
    await expect(messagesIn(adaLog, toDelete)).toHaveCount(0);
  });

  await test.step('Grace replies to Ada’s message: Ada sees the quote, and it takes her to the original', async () => {
    // A few more messages: the original scrolls out of Ada's short window.
    for (let index = 1; index <= 5; index += 1) await sendMessage(grace.page, `QA note ${index} of 5.`);
    await waitForText(adaLog, 'QA note 5 of 5.');

    // The original, by seq: the reply shows its text too, in the quote.
    const seq = await messagesIn(adaLog, quoted).getAttribute('data-seq');
    expect(seq).not.toBeNull();
    const original = adaLog.locator(`[data-testid=message][data-seq="${seq}"]`);

    const toolbar = await messageActions(messagesIn(graceLog, quoted));
    await toolbar.getByRole('button', { name: 'Reply', exact: true }).click();
    const preview = grace.page.getByTestId('reply-preview');
    await expect(preview).toContainText(`Replying to ${ada.displayName}`);
    await sendMessage(grace.page, 'QA signed off: ship it.');
    await expect(preview).toBeHidden();

    const reply = messagesIn(adaLog, 'QA signed off: ship it.');
    const quote = reply.getByTestId('reply-quote');
    // Ada's own message, quoted to her: "You".
    await expect(quote).toContainText('You');
    await expect(quote).toContainText(quoted);
    await expect(original).not.toBeInViewport();

    await quote.click();
    await expect(original).toBeInViewport();
    await expect(original).toHaveAttribute('data-highlighted', 'true');
    // Focus goes there too, to an article named by who sent it: being focused says where the reader is.
    await expect(original.getByRole('article', { name: /^You / })).toBeFocused();
    await expect(ada.page.getByTestId('message-announcement')).not.toContainText('Showing the message');
  });

  await test.step('a quote of a message since deleted takes focus to the log, and says where it went', async () => {
    // The first of the two rows that show its text: the reply below quotes it.
    const toolbar = await messageActions(messagesIn(adaLog, quoted).first());
    await toolbar.getByRole('button', { name: 'Delete', exact: true }).click();
    await ada.page
      .getByRole('alertdialog', { name: 'Delete this message?' })
      .getByRole('button', { name: 'Delete', exact: true })
      .click();
    const reply = messagesIn(adaLog, 'QA signed off: ship it.');
    await expect(reply.getByTestId('reply-quote')).toContainText('Deleted message');

    await reply.getByTestId('reply-quote').click();
    // A deleted message takes no focus: the log does, and the announcement names the message.
    await expect(adaLog).toBeFocused();
    await expect(ada.page.getByTestId('message-announcement')).toContainText(
      `Showing the message from ${ada.displayName}, sent`,
    );
  });
});
