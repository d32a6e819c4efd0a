import {
  accountMenu,
  conversationLink,
  expect,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  test,
  waitForText,
} from './fixtures.js';

test('what Grace reads or sends in one tab shows in her other tab', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const firstTab = grace.page;
  const secondTab = await grace.context.newPage();
  await secondTab.goto('/');
  await expect(accountMenu(secondTab, grace)).toBeVisible();

  await openDirectConversation(ada.page, grace);
  await sendMessage(ada.page, 'Are you coming to the review?');
  await sendMessage(ada.page, 'It starts at ten.');
  await expect(messagesIn(messageLog(ada.page, grace.displayName), 'It starts at ten.')).toHaveAttribute(
    'data-state',
    'sent',
  );

  const linkInFirstTab = conversationLink(firstTab, ada.displayName);
  const linkInSecondTab = conversationLink(secondTab, ada.displayName);
  await expect(linkInFirstTab).toHaveAccessibleName(/2 unread messages/);
  await expect(linkInSecondTab).toHaveAccessibleName(/2 unread messages/);

  await linkInFirstTab.click();
  await waitForText(messageLog(firstTab, ada.displayName), 'It starts at ten.');
  await expect(linkInFirstTab).not.toHaveAccessibleName(/unread/);
  // Nothing happened in the second tab: the server told it that Grace has read the conversation.
  await expect(linkInSecondTab).not.toHaveAccessibleName(/unread/);

  // With the conversation open in both tabs, what Grace sends from one appears live in the other.
  await linkInSecondTab.click();
  const secondTabLog = messageLog(secondTab, ada.displayName);
  await waitForText(secondTabLog, 'It starts at ten.');
  await sendMessage(firstTab, 'Yes, I will be there.');
  await waitForText(secondTabLog, 'Yes, I will be there.');
  await expect(messagesIn(secondTabLog, 'Yes, I will be there.')).toHaveCount(1);
  await expect(linkInSecondTab).toHaveAccessibleName(/ You: Yes, I will be there\./);
  await waitForText(messageLog(ada.page, grace.displayName), 'Yes, I will be there.');
});
