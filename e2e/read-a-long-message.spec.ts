import {
  conversationLink,
  expect,
  expectNoViolations,
  messageLog,
  messagesIn,
  openDirectConversation,
  test,
  waitForText,
} from './fixtures.js';

test('a long message is folded to a screenful with Show more, and unfolds in place', async ({ signUp }) => {
  const ada = await signUp('ada', { displayName: 'Ada Long' });
  const grace = await signUp('grace', { displayName: 'Grace Reader' });
  await openDirectConversation(ada.page, grace);
  const lines = Array.from({ length: 40 }, (_, index) => `第 ${index + 1} 段：the minutes of the meeting.`);
  const composer = ada.page.getByRole('textbox', { name: 'Message', exact: true });
  await composer.fill(lines.join('\n'));
  await composer.press('Enter');

  await conversationLink(grace.page, 'Ada Long').click();
  const log = messageLog(grace.page, 'Ada Long');
  await waitForText(log, '第 1 段');
  const message = messagesIn(log, '第 1 段');
  const text = message.getByTestId('message-text');
  const fold = message.getByRole('button', { name: 'Show more', exact: true });
  await expect(fold).toHaveAttribute('aria-expanded', 'false');
  const folded = (await text.boundingBox())!.height;
  expect(folded).toBeLessThanOrEqual(320);
  await expectNoViolations(grace.page, 'a folded long message');

  await fold.click();
  const unfold = message.getByRole('button', { name: 'Show less', exact: true });
  await expect(unfold).toHaveAttribute('aria-expanded', 'true');
  await expect.poll(async () => (await text.boundingBox())!.height).toBeGreaterThan(folded * 2);
  await expect(text).toContainText('第 40 段');

  // A short one is never folded.
  await composer.fill('Short and whole');
  await composer.press('Enter');
  await waitForText(log, 'Short and whole');
  await expect(messagesIn(log, 'Short and whole').getByTestId('message-fold')).toHaveCount(0);
});
