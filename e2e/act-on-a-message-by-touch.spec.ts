import {
  conversationLink,
  expect,
  expectNoViolations,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  test,
  waitForText,
  VIEWPORTS,
} from './fixtures.js';

/** A phone: a touch screen, no mouse to hover with. */
const PHONE = { hasTouch: true, isMobile: true, viewport: VIEWPORTS.phone };

test('on a touch screen a tap on a message shows its actions, a tap elsewhere hides them, and Reply works', async ({
  signUp,
}) => {
  const ada = await signUp('ada', { displayName: 'Ada Desk' });
  const ben = await signUp('ben', { displayName: 'Ben Phone', contextOptions: PHONE });
  await openDirectConversation(ada.page, ben);
  await sendMessage(ada.page, 'Tap me to answer');

  await conversationLink(ben.page, 'Ada Desk').click();
  const log = messageLog(ben.page, 'Ada Desk');
  await waitForText(log, 'Tap me to answer');
  const message = messagesIn(log, 'Tap me to answer');
  const toolbar = message.getByRole('toolbar', { name: 'Message actions' });

  // A touch is no hover: nothing shows until the tap ends, then the toolbar stays.
  await message.getByTestId('message-bubble').tap();
  await expect(toolbar).toBeVisible();
  await expectNoViolations(ben.page, 'a message’s actions on a phone');

  // A tap elsewhere hides it; a second tap on the message shows it again.
  await ben.page.getByRole('textbox', { name: 'Message', exact: true }).tap();
  await expect(toolbar).toBeHidden();
  await message.getByTestId('message-bubble').tap();
  await expect(toolbar).toBeVisible();

  await toolbar.getByRole('button', { name: 'Reply', exact: true }).tap();
  await expect(ben.page.getByTestId('reply-preview')).toContainText('Replying to Ada Desk');
  await expect(toolbar).toBeHidden();
  await sendMessage(ben.page, 'Answered from the phone');
  const reply = messagesIn(messageLog(ada.page, 'Ben Phone'), 'Answered from the phone');
  await expect(reply.getByTestId('reply-quote')).toContainText('Tap me to answer');
});
