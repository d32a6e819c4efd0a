import {
  conversationLink,
  expect,
  messageActions,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  test,
} from './fixtures.js';

test('a message deleted before Grace reads it stops counting as unread, without a reload', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  await sendMessage(ada.page, 'Lunch at noon?');
  await sendMessage(ada.page, 'Sent to the wrong person, sorry.');

  // Grace is on her conversation list, not reading.
  const graceLink = conversationLink(grace.page, ada.displayName);
  await expect(graceLink).toHaveAccessibleName(/Sent to the wrong person, sorry\.\s*2 unread messages/);

  const toolbar = await messageActions(
    messagesIn(messageLog(ada.page, grace.displayName), 'Sent to the wrong'),
  );
  await toolbar.getByRole('button', { name: 'Delete', exact: true }).click();
  await ada.page
    .getByRole('alertdialog', { name: 'Delete this message?' })
    .getByRole('button', { name: 'Delete', exact: true })
    .click();

  // The deletion has reached Grace: her preview says so.
  await expect(graceLink).toHaveAccessibleName(/ This message was deleted\./);
  // Same render: a short timeout, so the expected failure does not cost the whole expect timeout.
  await expect(graceLink).toHaveAccessibleName(/ 1 unread message(\s|$)/, { timeout: 1_000 });

  // What the server says after a reload.
  await grace.page.reload();
  await expect(graceLink).toHaveAccessibleName(/ 1 unread message(\s|$)/);
});
