import type { Page } from '@playwright/test';
import {
  conversationLink,
  createGroup,
  expect,
  expectNoViolations,
  literal,
  messageActions,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  test,
  waitForText,
  type SignedInUser,
} from './fixtures.js';
import { numbered, openConversationId, sendMessagesThroughSocket } from './seed.js';
import { captureScreen, forEachScreen } from './screenshots.js';

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

/**
 * Ada and Grace in a direct conversation whose history Ada has sent through her socket (`texts`,
 * oldest first), with Ada's tab away from the app meanwhile and Grace's back on it afterwards.
 */
async function directHistory(
  signUp: (name: string) => Promise<SignedInUser>,
  texts: string[],
  options?: { inFlight?: number },
): Promise<{ ada: SignedInUser; grace: SignedInUser }> {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  const conversationId = openConversationId(ada.page);
  await ada.page.goto('about:blank');
  await sendMessagesThroughSocket(ada, conversationId, texts, options);
  await grace.page.goto('/');
  return { ada, grace };
}

test('a word from weeks of history is found in any language and opens the conversation at that message', async ({
  signUp,
}) => {
  test.setTimeout(120_000);
  // The message to find in the middle of a long history: neither its first page nor its last.
  const { ada, grace } = await directHistory(signUp, [
    ...numbered(150, 'Earlier message'),
    '周末我们去北京吃烤鸭吧',
    ...numbered(150, 'Later message'),
  ]);
  await ada.page.goto('/');

  const { dialog, results } = await searchFor(grace.page, '烤鸭');
  await expect(results).toHaveCount(1);
  await expect(results.first()).toContainText(ada.displayName);
  await expect(results.first().locator('mark')).toHaveText('烤鸭');
  await results.first().click();
  await expect(dialog).toBeHidden();

  // The conversation opens there, not at the first unread message nor at the newest, and stays there
  // while pages load around it: it drifted to the oldest, page after page, when Grace had unread
  // messages (the list landed at the unread divider first, then jumped).
  const log = messageLog(grace.page, ada.displayName);
  const found = messagesIn(log, '周末我们去北京吃烤鸭吧');
  for (let check = 0; check < 6; check += 1) {
    await expect(found).toBeInViewport();
    await grace.page.waitForTimeout(500);
  }

  // Many matches come a page at a time; from the keyboard, the next page's first result takes focus.
  const earlier = await searchFor(grace.page, 'earlier');
  await expect(earlier.results).toHaveCount(20);
  await earlier.dialog.getByTestId('message-search-more').focus();
  await grace.page.keyboard.press('Enter');
  await expect(earlier.results).toHaveCount(40);
  await expect(earlier.results.nth(20)).toBeFocused();
  await expect(earlier.results.nth(20)).toContainText('Earlier message 130');
  await grace.page.keyboard.press('Escape');

  // Ada finds a new message by case-insensitive English.
  await conversationLink(ada.page, grace.displayName).click();
  await sendMessage(ada.page, 'Meet at the Harbour Bridge');
  const { results: adaResults } = await searchFor(ada.page, 'harbour BRIDGE');
  await expect(adaResults).toHaveCount(1);
  await expect(adaResults.first().locator('mark')).toHaveText(['Harbour', 'Bridge']);
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
  await ada.page.keyboard.press('Escape');
  // From the conversation's header (the only way on a phone), the search starts in it alone.
  const here = await searchFor(ada.page, 'lamp oil', 'Search this conversation');
  await expect(here.dialog.getByRole('checkbox', { name: 'Only in Lighthouse keepers' })).toBeChecked();
  await expect(here.results).toHaveCount(1);
  const { dialog: again } = here;
  await again.getByRole('searchbox').fill('no such words anywhere');
  await expect(again.getByTestId('message-search-status')).toHaveText(
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
  await forEachScreen(page, async (screen) => {
    if (screen.device === 'phone') await page.goto('/');
    const english = screen.locale === 'en';
    const { dialog } = await searchFor(
      page,
      english ? 'beijing' : '烤鸭',
      english ? 'Search messages' : '搜索消息',
    );
    await captureScreen(page, 'search', 'message search', screen);
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
  });
});

test('a result opened takes focus to its message, and opened again after scrolling away goes back to it', async ({
  signUp,
}) => {
  test.setTimeout(120_000);
  const { ada, grace } = await directHistory(
    signUp,
    [...numbered(20, 'Earlier note'), 'The spare key is under the blue pot', ...numbered(150, 'Later note')],
    { inFlight: 10 },
  );

  // From the keyboard, focus lands on the message found (not in the composer), an article that says
  // whose message it is and when. Being focused says so: an announcement as well would say it twice.
  const { dialog, results } = await searchFor(grace.page, 'spare key');
  await results.first().focus();
  await grace.page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  const log = messageLog(grace.page, ada.displayName);
  const found = messagesIn(log, 'The spare key is under the blue pot');
  await expect(found).toBeInViewport();
  await expect(found.getByTestId('message-bubble')).toBeFocused();
  const focused = grace.page.locator(':focus');
  await expect(focused).toHaveRole('article');
  await expect(focused).toHaveAccessibleName(new RegExp(`^${literal(ada.displayName)} \\w+day, .+ \\d{4}`));
  await expect(grace.page.getByTestId('message-announcement')).not.toContainText('Showing the message');
  // Checked after the focus moved: the toolbar, which keyboard focus shows, would be up by now. It is
  // not, as the jump's focus only says where the reader is (on a phone it covered the message above).
  await expect(log.getByRole('toolbar', { name: 'Message actions' })).toHaveCount(0);
  await expectNoViolations(grace.page, 'a conversation opened at a search result');
  // The reader's own keys still bring it, to the message they move to.
  await grace.page.keyboard.press('Shift+Tab');
  await expect(log.getByRole('toolbar', { name: 'Message actions' })).toBeVisible();

  // Away to the newest messages, then the same result again: the route is the same, the jump is not.
  await grace.page.getByRole('button', { name: 'Jump to latest messages', exact: true }).click();
  await expect(messagesIn(log, 'Later note 150')).toBeInViewport();
  await expect(found).not.toBeInViewport();
  const again = await searchFor(grace.page, 'spare key');
  await again.results.first().click();
  await expect(again.dialog).toBeHidden();
  await expect(found).toBeInViewport();
  await expect(found).toHaveAttribute('data-highlighted', 'true');
  await expect(found.getByTestId('message-bubble')).toBeFocused();
});

test('results follow a message edited while the search is open, and one deleted leaves them', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  await sendMessage(ada.page, 'The ferry leaves at nine');
  await sendMessage(ada.page, 'Ferry tickets are in the drawer');
  const adaLog = messageLog(ada.page, grace.displayName);
  await expect(messagesIn(adaLog, 'Ferry tickets are in the drawer')).toHaveAttribute('data-state', 'sent');

  // Grace searches with the conversation not open: its changes reach her all the same.
  await grace.page.goto('/');
  const { results } = await searchFor(grace.page, 'ferry');
  await expect(results).toHaveCount(2);

  const toolbar = await messageActions(messagesIn(adaLog, 'The ferry leaves at nine'));
  await toolbar.getByRole('button', { name: 'Edit', exact: true }).click();
  const editor = ada.page.getByRole('textbox', { name: 'Edit message', exact: true });
  await editor.fill('The ferry leaves at ten');
  await ada.page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(editor).toBeHidden();
  await expect(results.filter({ hasText: 'The ferry leaves at ten' })).toHaveCount(1);
  await expect(results.filter({ hasText: 'The ferry leaves at ten' }).locator('mark')).toHaveText('ferry');

  const deleting = await messageActions(messagesIn(adaLog, 'Ferry tickets are in the drawer'));
  await deleting.getByRole('button', { name: 'Delete', exact: true }).click();
  const confirm = ada.page.getByRole('alertdialog', { name: 'Delete this message?' });
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(confirm).toBeHidden();
  await expect(results).toHaveCount(1);
  await expect(results.first()).toContainText('The ferry leaves at ten');
  await expect(grace.page.getByTestId('message-search-status')).toHaveText('1 message shown');
});

test('a result edited so that it no longer matches leaves the other person’s results', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  await sendMessage(ada.page, 'The ferry leaves at nine');
  await sendMessage(ada.page, 'Ferry tickets are in the drawer');
  const adaLog = messageLog(ada.page, grace.displayName);
  await expect(messagesIn(adaLog, 'Ferry tickets are in the drawer')).toHaveAttribute('data-state', 'sent');

  await grace.page.goto('/');
  const { input, results } = await searchFor(grace.page, 'ferry');
  await expect(results).toHaveCount(2);

  // Ada's edit takes the searched word out: the search asks the server again once its index has the
  // new text, and the message leaves Grace's results, with the rest and her place in the box kept.
  const toolbar = await messageActions(messagesIn(adaLog, 'The ferry leaves at nine'));
  await toolbar.getByRole('button', { name: 'Edit', exact: true }).click();
  const editor = ada.page.getByRole('textbox', { name: 'Edit message', exact: true });
  await editor.fill('The boat leaves at ten');
  await ada.page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(editor).toBeHidden();
  await expect(results).toHaveCount(1);
  await expect(results.first()).toContainText('Ferry tickets are in the drawer');
  await expect(grace.page.getByTestId('message-search-status')).toHaveText('1 message shown');
  await expect(input).toBeFocused();
  await expect(input).toHaveValue('ferry');
});
