import type { Page } from '@playwright/test';
import {
  conversationLink,
  createGroup,
  expect,
  expectNoViolations,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  switchLocale,
  test,
  waitForText,
  VIEWPORTS,
} from './fixtures.js';
import { numbered, openConversationId, sendMessagesThroughSocket } from './seed.js';
import { screenshotPath } from './screenshots.js';

/** Opens the search dialog from the sidebar, types `q` and waits until a result shows (the index keeps up within a second). */
async function searchFor(page: Page, q: string, label = 'Search messages') {
  await page.getByRole('button', { name: label, exact: true }).click();
  const dialog = page.getByRole('dialog');
  const input = dialog.getByRole('searchbox');
  await expect(input).toBeFocused();
  await input.fill(q);
  const results = dialog.getByTestId('message-search-result');
  // What was sent a moment ago may not be indexed yet: search again (Enter) until it is.
  await expect(async () => {
    await input.press('Enter');
    await expect(results.first()).toBeVisible({ timeout: 1_000 });
  }).toPass();
  return { dialog, input, results };
}

test('a word from weeks of history is found in any language and opens the conversation at that message', async ({
  signUp,
}) => {
  test.setTimeout(120_000);
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  const conversationId = openConversationId(ada.page);
  await ada.page.goto('about:blank');
  // The message to find, then more than a page of later history: it is not loaded when searched.
  await sendMessagesThroughSocket(ada, conversationId, [
    '周末我们去北京吃烤鸭吧',
    ...numbered(150, 'Later message'),
  ]);
  await ada.page.goto('/');

  const { dialog, results } = await searchFor(ada.page, '烤鸭');
  await expect(results).toHaveCount(1);
  await expect(results.first()).toContainText(grace.displayName);
  await expect(results.first().locator('mark')).toHaveText('烤鸭');
  await results.first().click();
  await expect(dialog).toBeHidden();

  // The conversation opens there, not at the newest of the 150 messages after it.
  const log = messageLog(ada.page, grace.displayName);
  const found = messagesIn(log, '周末我们去北京吃烤鸭吧');
  await expect(found).toBeInViewport();
  await expect(messagesIn(log, 'Later message 150')).not.toBeInViewport();

  // Grace finds it too, by case-insensitive English in another message; Ada's other chats stay hers.
  await sendMessage(ada.page, 'Meet at the Harbour Bridge');
  const { results: graceResults } = await searchFor(grace.page, 'harbour BRIDGE');
  await expect(graceResults).toHaveCount(1);
  await expect(graceResults.first().locator('mark')).toHaveText(['Harbour', 'Bridge']);
});

test('search keeps to your own conversations and, when asked, to the open one', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const linus = await signUp('linus');
  await createGroup(ada.page, 'Lighthouse keepers', [grace]);
  await sendMessage(ada.page, 'The lighthouse lamp needs oil');
  await openDirectConversation(ada.page, linus);
  await sendMessage(ada.page, 'Lamp oil is in the shed');

  // Linus shares only the direct conversation with Ada.
  const linusSearch = await searchFor(linus.page, 'lamp oil');
  await expect(linusSearch.results).toHaveCount(1);
  await expect(linusSearch.results.first()).toContainText('Lamp oil is in the shed');
  await linus.page.keyboard.press('Escape');

  await conversationLink(ada.page, 'Lighthouse keepers').click();
  await waitForText(messageLog(ada.page, 'Lighthouse keepers'), 'The lighthouse lamp needs oil');
  const { dialog, results } = await searchFor(ada.page, 'lamp oil');
  await expect(results).toHaveCount(2);
  await dialog.getByRole('checkbox', { name: 'Only in Lighthouse keepers' }).check();
  await expect(results).toHaveCount(1);
  await expect(results.first()).toContainText('The lighthouse lamp needs oil');
  await dialog.getByRole('searchbox').fill('no such words anywhere');
  await expect(dialog.getByTestId('message-search-status')).toHaveText(
    'No messages contain “no such words anywhere”.',
  );
});

test('screenshots of message search on desktop and phone, in English and Chinese', async ({ signUp }) => {
  const ada = await signUp('ada', { displayName: 'Ada Lovelace' });
  const grace = await signUp('grace', { displayName: 'Grace Hopper' });
  await createGroup(ada.page, 'Weekend trip 周末旅行', [grace]);
  for (const text of [
    'Shall we take the train to Beijing on Saturday?',
    '好啊！北京的烤鸭一定要吃',
    'I booked a table for roast duck (烤鸭) at seven',
    'Bring a coat: Beijing is cold this week',
  ]) {
    await sendMessage(ada.page, text);
  }
  const page = ada.page;
  for (const locale of ['en', 'zh-CN'] as const) {
    const suffix = locale === 'en' ? '' : `.${locale}`;
    if (locale !== 'en') await switchLocale(page, locale);
    for (const [device, size] of [
      ['desktop', VIEWPORTS.desktop],
      ['phone', VIEWPORTS.phone],
    ] as const) {
      await page.setViewportSize(size);
      if (device === 'phone') await page.goto('/');
      const { dialog } = await searchFor(
        page,
        locale === 'en' ? 'beijing' : '烤鸭',
        locale === 'en' ? 'Search messages' : '搜索消息',
      );
      await page.screenshot({ path: screenshotPath(`search-${device}${suffix}`), animations: 'disabled' });
      await expectNoViolations(page, `message search on ${device} (${locale})`);
      if (device === 'desktop') {
        await page.emulateMedia({ colorScheme: 'dark' });
        await expectNoViolations(page, `message search in the dark theme (${locale})`);
        await page.emulateMedia({ colorScheme: 'light' });
      }
      await page.keyboard.press('Escape');
      await expect(dialog).toBeHidden();
    }
  }
});
