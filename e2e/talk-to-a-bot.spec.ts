import { createParleyClient, fetchCurrentUser, type ParleyClient } from '../packages/client/src/index.js';
import {
  accountMenu,
  conversationLink,
  expect,
  expectNoViolations,
  makeSiteAdmin,
  messagesIn,
  sendMessage,
  test,
  switchLocale,
} from './fixtures.js';
import { screenshotPath } from './screenshots.js';

test.describe.configure({ timeout: 120_000 });

test('an admin makes a bot and its token; the bot, running on @parley/client, answers a person’s direct message', async ({
  signUp,
  baseURL,
}) => {
  const root = await signUp('botmaker', { displayName: 'Bot Maker' });
  const person = await signUp('asker', { displayName: 'Asker' });
  await makeSiteAdmin(root);

  await accountMenu(root.page, root).click();
  await root.page.getByRole('menuitem', { name: 'Site console' }).click();
  await root.page.getByRole('tab', { name: 'Bots' }).click();
  const username = `echo_${root.username}`.slice(0, 32);
  const form = root.page.getByRole('form', { name: 'New bot' });
  await form.getByLabel('Username', { exact: true }).fill(username);
  await form.getByLabel('Display name', { exact: true }).fill('Echo');
  await form.getByLabel('Description').fill('Says back what it is told');
  await form.getByRole('button', { name: 'Create bot' }).click();
  await root.page.getByRole('button', { name: 'Manage Echo' }).click();
  await root.page.getByRole('button', { name: 'Create token' }).click();
  const token = (await root.page.getByTestId('new-bot-token').textContent())?.trim() ?? '';
  expect(token).toMatch(/^pbt_/);
  await expect(root.page.getByText(`${token.slice(0, 12)}…`)).toBeVisible();
  await expectNoViolations(root.page, 'the console’s bots section');

  // The bot: a Node program on @parley/client with the token, as in packages/client/README.md.
  const auth = { kind: 'bearer', token } as const;
  const me = await fetchCurrentUser(baseURL!, auth);
  const bot: ParleyClient = createParleyClient({ url: baseURL!, auth });
  await bot.start();
  bot.on('message:added', ({ message }) => {
    if (message.sender.id !== me.id && message.type === 'text') {
      bot.send(message.conversationId, `You said: ${message.text}`);
    }
  });
  try {
    await person.page.getByRole('button', { name: 'New message', exact: true }).click();
    const dialog = person.page.getByRole('dialog', { name: 'New message' });
    await dialog.getByRole('combobox', { name: 'Search people' }).fill(username);
    const option = dialog.getByRole('option', { name: new RegExp(`^Echo \\(bot\\) @${username}`) });
    await expect(option.getByTestId('bot-badge')).toBeVisible();
    await option.click();
    const heading = person.page.getByRole('heading', { name: /^Echo \(bot\)$/ });
    await expect(heading.getByTestId('bot-badge')).toBeVisible();

    await sendMessage(person.page, 'ping');
    await expect(messagesIn(person.page, 'You said: ping')).toHaveCount(1);
    await expect(conversationLink(person.page, 'Echo').getByTestId('bot-badge')).toBeVisible();
  } finally {
    bot.stop();
  }

  // Viewports tall enough for the whole section (the console scrolls inside the page, so fullPage would not).
  await root.page.reload();
  await root.page.getByRole('tab', { name: 'Bots' }).click();
  await root.page.getByRole('button', { name: 'Manage Echo' }).click();
  await expect(root.page.getByText(`${token.slice(0, 12)}…`)).toBeVisible();
  await root.page.setViewportSize({ width: 1280, height: 1700 });
  await root.page.screenshot({ path: screenshotPath('console-bots-desktop') });
  await root.page.setViewportSize({ width: 390, height: 2900 });
  await root.page.screenshot({ path: screenshotPath('console-bots-phone') });
  await expectNoViolations(root.page, 'the console’s bots section on a phone');

  await switchLocale(root.page, 'zh-CN');
  await root.page.getByRole('tab', { name: '机器人' }).click();
  await root.page.getByRole('button', { name: '管理 Echo' }).click();
  await expect(root.page.getByText(`${token.slice(0, 12)}…`)).toBeVisible();
  await root.page.screenshot({ path: screenshotPath('console-bots-phone.zh-CN') });
  await root.page.setViewportSize({ width: 1280, height: 1700 });
  await root.page.screenshot({ path: screenshotPath('console-bots-desktop.zh-CN') });
});
