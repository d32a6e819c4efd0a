import {
  conversationLink,
  expect,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  test,
  waitForText,
} from './fixtures.js';

const CONVERSATION_URL = /\/c\/(\d+)$/;

test('messaging someone from "New message" opens the one direct conversation with them, every time', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const linus = await signUp('linus');

  await openDirectConversation(ada.page, grace);
  await expect(ada.page).toHaveURL(CONVERSATION_URL);
  const conversationUrl = ada.page.url();
  await sendMessage(ada.page, 'Hello Grace, it is Ada.');
  await expect(
    messagesIn(messageLog(ada.page, grace.displayName), 'Hello Grace, it is Ada.'),
  ).toHaveAttribute('data-state', 'sent');

  // Somewhere else first, so that coming back is something the dialog does.
  await openDirectConversation(ada.page, linus);
  await expect(ada.page).not.toHaveURL(conversationUrl);

  await openDirectConversation(ada.page, grace);
  await expect(ada.page).toHaveURL(conversationUrl);
  await waitForText(messageLog(ada.page, grace.displayName), 'Hello Grace, it is Ada.');
  await expect(conversationLink(ada.page, grace.displayName)).toHaveCount(1);
  await expect(conversationLink(ada.page, linus.displayName)).toHaveCount(1);

  // Grace, starting it from her side, lands in the same conversation, not a second one.
  const adaLink = conversationLink(grace.page, ada.displayName);
  await expect(adaLink).toHaveCount(1);
  await openDirectConversation(grace.page, ada);
  await expect(grace.page).toHaveURL(conversationUrl);
  await waitForText(messageLog(grace.page, ada.displayName), 'Hello Grace, it is Ada.');
  await expect(adaLink).toHaveCount(1);
});
