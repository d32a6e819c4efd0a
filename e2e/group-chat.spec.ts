import {
  conversationLink,
  createGroup,
  expect,
  messageActions,
  messageLog,
  messagesIn,
  sendMessage,
  storedMessages,
  test,
  waitForText,
  switchLocale,
  VIEWPORTS,
} from './fixtures.js';
import { screenshotPath } from './screenshots.js';

test('two people chat live in a new group, and the history is still there after a reload', async ({
  signUp,
}) => {
  const ada = await signUp('ada', { displayName: 'Ada Lovelace' });
  const grace = await signUp('grace', { displayName: 'Grace Hopper' });
  const group = 'Compiler club';

  await createGroup(ada.page, group, [grace]);

  // Grace did nothing: the group appears in her list live, with no reload.
  const graceLink = conversationLink(grace.page, group);
  await expect(graceLink).toBeVisible();

  await sendMessage(ada.page, 'Has anyone read the new paper on register allocation? 📄');
  await graceLink.click();
  await waitForText(
    messageLog(grace.page, group),
    'Has anyone read the new paper on register allocation? 📄',
  );

  await sendMessage(grace.page, 'Yes! The graph-colouring section is lovely.');
  await waitForText(messageLog(ada.page, group), 'Yes! The graph-colouring section is lovely.');
  await sendMessage(ada.page, 'Let us go through it on Friday.');
  await waitForText(messageLog(grace.page, group), 'Let us go through it on Friday.');

  // Everything above was stored: a reload shows the same conversation from the database, in order.
  await grace.page.reload();
  const log = messageLog(grace.page, group);
  await waitForText(log, 'Let us go through it on Friday.');
  const history = await storedMessages(log);
  expect(history.map((message) => message.text)).toEqual([
    'Has anyone read the new paper on register allocation? 📄',
    'Yes! The graph-colouring section is lovely.',
    'Let us go through it on Friday.',
  ]);
  const seqs = history.map((message) => message.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

  // A reaction, so the pictures show one; then the pointer away, so no hover toolbar covers a message.
  const friday = messagesIn(log).filter({ hasText: 'Let us go through it on Friday.' });
  await (await messageActions(friday)).getByRole('button', { name: 'React with 🎉' }).click();
  await expect(
    messagesIn(messageLog(ada.page, group)).getByRole('button', { name: /^🎉 1, reacted by/ }),
  ).toBeVisible();
  await ada.page.mouse.move(0, 0);
  await grace.page.mouse.move(0, 0);

  await ada.page.setViewportSize(VIEWPORTS.desktop);
  await ada.page.screenshot({ path: screenshotPath('chat-desktop') });
  await grace.page.setViewportSize(VIEWPORTS.phone);
  await grace.page.screenshot({ path: screenshotPath('chat-mobile') });

  // The same screens in the Chinese UI, chosen as the account menu does (stored, then applied on load),
  // with a Chinese message arriving live.
  for (const page of [ada.page, grace.page]) {
    await switchLocale(page, 'zh-CN');
  }
  await grace.page.getByRole('textbox', { name: '消息', exact: true }).fill('好的，周五见！我带上那篇论文。');
  await grace.page.getByRole('button', { name: '发送', exact: true }).click();
  await waitForText(messageLog(ada.page, group), '好的，周五见！我带上那篇论文。');
  await ada.page.mouse.move(0, 0);
  await grace.page.mouse.move(0, 0);
  await ada.page.screenshot({ path: screenshotPath('chat-desktop.zh-CN') });
  await grace.page.screenshot({ path: screenshotPath('chat-mobile.zh-CN') });
});

test('a message over the length limit cannot be sent, and the person is told why', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await createGroup(ada.page, 'Limits', [grace]);

  const composer = ada.page.getByRole('textbox', { name: 'Message', exact: true });
  const send = ada.page.getByRole('button', { name: 'Send', exact: true });
  await composer.fill('x'.repeat(4001));
  await expect(send).toBeDisabled();
  await waitForText(ada.page, /^1 character over the limit$/);
  await composer.fill('x'.repeat(4002));
  await waitForText(ada.page, /^2 characters over the limit$/);
  await composer.fill('short and fine');
  await expect(send).toBeEnabled();
});
