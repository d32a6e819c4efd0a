import {
  connectionBanner,
  conversationLink,
  createGroup,
  expect,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  test,
  waitForText,
} from './fixtures.js';

test('in a direct conversation Ada sees her messages delivered, then read once Grace opens it', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  const adaLog = messageLog(ada.page, grace.displayName);
  const graceLink = conversationLink(grace.page, ada.displayName);

  // Grace is online, on her conversation list: the message reaches her browser, she has not read it.
  await sendMessage(ada.page, 'The build is green again.');
  const first = messagesIn(adaLog, 'The build is green again.');
  await expect(graceLink).toHaveAccessibleName(/1 unread message/);
  await expect(first.getByRole('img', { name: 'Delivered', exact: true })).toBeVisible();
  await expect(first.getByRole('img', { name: 'Read', exact: true })).toHaveCount(0);

  // Grace's browser is offline: stored, not delivered, until it is back.
  await grace.context.setOffline(true);
  await expect(connectionBanner(grace.page)).toHaveText(
    "You're offline. Messages will be sent when you're back.",
  );
  await sendMessage(ada.page, 'Release notes are in the doc.');
  const second = messagesIn(adaLog, 'Release notes are in the doc.');
  await expect(second).toHaveAttribute('data-state', 'sent');
  await expect(second.getByRole('img', { name: 'Sent', exact: true })).toBeVisible();
  await grace.context.setOffline(false);
  await expect(graceLink).toHaveAccessibleName(/2 unread messages/);
  await expect(second.getByRole('img', { name: 'Delivered', exact: true })).toBeVisible();

  await graceLink.click();
  await waitForText(messageLog(grace.page, ada.displayName), 'Release notes are in the doc.');
  for (const message of [first, second]) {
    await expect(message.getByRole('img', { name: 'Read', exact: true })).toBeVisible();
    await expect(message.getByRole('img', { name: 'Delivered', exact: true })).toHaveCount(0);
  }
});

test('in a group Ada sees how many have read her message, and who', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const linus = await signUp('linus');
  const group = 'Release crew';
  await createGroup(ada.page, group, [grace, linus]);

  await expect(conversationLink(grace.page, group)).toBeVisible();
  await expect(conversationLink(linus.page, group)).toBeVisible();
  await sendMessage(ada.page, 'Tagging 2.0 tonight.');
  const message = messagesIn(messageLog(ada.page, group), 'Tagging 2.0 tonight.');
  await expect(message.getByRole('img', { name: 'Sent', exact: true })).toBeVisible();

  await conversationLink(grace.page, group).click();
  await waitForText(messageLog(grace.page, group), 'Tagging 2.0 tonight.');
  await expect(message.getByRole('button', { name: 'Read by 1', exact: true })).toBeVisible();

  await conversationLink(linus.page, group).click();
  await waitForText(messageLog(linus.page, group), 'Tagging 2.0 tonight.');
  const readBy = message.getByRole('button', { name: 'Read by 2', exact: true });
  await expect(readBy).toBeVisible();

  await readBy.click();
  const readers = ada.page.getByRole('list', { name: 'Read by', exact: true });
  // Each reader's avatar initials come before the name.
  await expect(readers.getByRole('listitem')).toContainText([grace.displayName, linus.displayName]);
  await expect(readers.getByRole('listitem')).toHaveCount(2);
});
