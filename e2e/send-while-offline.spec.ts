import {
  connectionBanner,
  conversationLink,
  expect,
  expectNoViolations,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  test,
  waitForText,
} from './fixtures.js';

test('a message sent while offline waits, then goes out once the network is back, and arrives once', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  await conversationLink(grace.page, ada.displayName).click();
  const adaLog = messageLog(ada.page, grace.displayName);
  const graceLog = messageLog(grace.page, ada.displayName);
  const text = 'Written on the train, in the tunnel.';

  await ada.context.setOffline(true);
  await expect(connectionBanner(ada.page)).toHaveText(
    "You're offline. Messages will be sent when you're back.",
  );

  await sendMessage(ada.page, text);
  const pending = messagesIn(adaLog, text);
  await expect(pending).toHaveAttribute('data-state', 'sending');
  await expect(pending.getByRole('img', { name: 'Sending…', exact: true })).toBeVisible();
  await expect(messagesIn(graceLog, text)).toHaveCount(0);
  // A message waiting to be sent is as legible as a sent one (its time stamp too).
  await expectNoViolations(ada.page, 'a conversation with a message waiting to be sent');

  await ada.context.setOffline(false);
  await expect(connectionBanner(ada.page)).toBeHidden();
  await expect(pending).toHaveAttribute('data-state', 'sent');
  await expect(pending.getByRole('img', { name: /^(Sent|Delivered|Read)$/ })).toBeVisible();
  await waitForText(graceLog, text);

  // A later message has arrived behind it: any second copy of the first would have too.
  await sendMessage(ada.page, 'Out of the tunnel now.');
  await waitForText(graceLog, 'Out of the tunnel now.');
  await expect(messagesIn(graceLog, text)).toHaveCount(1);
  await expect(messagesIn(adaLog, text)).toHaveCount(1);

  await grace.page.reload();
  await waitForText(graceLog, 'Out of the tunnel now.');
  await expect(messagesIn(graceLog, text)).toHaveCount(1);
});
