import type { Locator, Page } from '@playwright/test';
import {
  conversationLink,
  expect,
  messageLog,
  openDirectConversation,
  sendMessage,
  test,
  waitForText,
  VIEWPORTS,
} from './fixtures.js';
import { numbered, openConversationId, sendMessagesThroughSocket, serverReadState } from './seed.js';
import { settledView } from './viewport.js';

/** The row of the stored message `seq` in `log`. */
const row = (log: Locator, seq: number) => log.locator(`[data-testid=message][data-seq="${seq}"]`);

/** The highest seq whose row is wholly inside the log's viewport, once it has stopped scrolling. */
async function highestWholeSeq(log: Locator): Promise<number> {
  const { whole } = await settledView(log);
  expect(whole.length).toBeGreaterThan(0);
  return Math.max(...whole);
}

/** Pretends the tab went to the background or came back: what `visibilitychange` tells the page. */
async function setPageVisibility(page: Page, state: 'visible' | 'hidden'): Promise<void> {
  await page.evaluate((visibility) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => visibility === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}

for (const screen of [
  { name: 'a desktop', size: null },
  { name: 'a phone', size: VIEWPORTS.phone },
]) {
  test(`on ${screen.name}, opening 28 unread messages at the divider reads only those on screen`, async ({
    signUp,
  }) => {
    test.setTimeout(90_000);
    const ada = await signUp('ada');
    const grace = await signUp('grace');
    if (screen.size) await grace.page.setViewportSize(screen.size);
    await openDirectConversation(ada.page, grace);
    const conversationId = openConversationId(ada.page);
    await sendMessagesThroughSocket(ada, conversationId, numbered(28, 'Status update'));
    const link = conversationLink(grace.page, ada.displayName);
    await expect(link).toHaveAccessibleName(/28 unread messages/);
    await expect(grace.page).toHaveTitle(/^\(28\) /);

    await link.click();
    const log = messageLog(grace.page, ada.displayName);
    await expect(log.getByTestId('unread-divider')).toBeInViewport();
    await expect(row(log, 1)).toBeInViewport();
    const seen = await highestWholeSeq(log);
    expect(seen).toBeLessThan(28);

    // What was on screen is read, the rest is not: on the server, in the tab title, for Ada.
    await expect
      .poll(() => serverReadState(grace.page, conversationId))
      .toEqual({ lastReadSeq: seen, unreadCount: 28 - seen });
    await expect(grace.page).toHaveTitle(new RegExp(`^\\(${28 - seen}\\) `));
    const adaLog = messageLog(ada.page, grace.displayName);
    await expect(row(adaLog, seen).getByRole('img', { name: 'Read', exact: true })).toBeVisible();
    await expect(row(adaLog, seen + 1).getByRole('img', { name: 'Delivered', exact: true })).toBeVisible();

    // Scrolling to the end reads the rest.
    await grace.page.getByRole('button', { name: 'Jump to latest messages', exact: true }).click();
    await expect
      .poll(() => serverReadState(grace.page, conversationId))
      .toEqual({ lastReadSeq: 28, unreadCount: 0 });
    await expect(grace.page).not.toHaveTitle(/^\(/);
    await expect(row(adaLog, 28).getByRole('img', { name: 'Read', exact: true })).toBeVisible();
  });
}

test('a conversation shorter than the screen is read at once', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  const conversationId = openConversationId(ada.page);
  for (const text of ['Lunch at noon?', 'The usual place.', 'I booked a table.'])
    await sendMessage(ada.page, text);
  const link = conversationLink(grace.page, ada.displayName);
  await expect(link).toHaveAccessibleName(/3 unread messages/);

  await link.click();
  await waitForText(messageLog(grace.page, ada.displayName), 'I booked a table.');
  await expect
    .poll(() => serverReadState(grace.page, conversationId))
    .toEqual({ lastReadSeq: 3, unreadCount: 0 });
  await expect(grace.page).not.toHaveTitle(/^\(/);
  const adaLog = messageLog(ada.page, grace.displayName);
  for (const seq of [1, 2, 3])
    await expect(row(adaLog, seq).getByRole('img', { name: 'Read', exact: true })).toBeVisible();
});

test('nothing is read while the tab is hidden, even what scrolls into the list', async ({ signUp }) => {
  test.setTimeout(90_000);
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  const conversationId = openConversationId(ada.page);
  await sendMessage(ada.page, 'Lunch at noon?');
  await conversationLink(grace.page, ada.displayName).click();
  const log = messageLog(grace.page, ada.displayName);
  await expect
    .poll(() => serverReadState(grace.page, conversationId))
    .toEqual({ lastReadSeq: 1, unreadCount: 0 });

  // In the background, Grace's list follows 30 new messages to the newest, but nobody is looking.
  await setPageVisibility(grace.page, 'hidden');
  await sendMessagesThroughSocket(ada, conversationId, numbered(30, 'Change of plan'));
  await expect(row(log, 31)).toBeInViewport();
  await expect(grace.page).toHaveTitle(/^\(30\) /);
  // Still hidden, the list is moved so that message 28 ends just inside the view and 29 to 31 are below.
  await log.evaluate((scroller) => {
    const row28 = scroller.querySelector('[data-seq="28"]')!.getBoundingClientRect();
    const viewBottom = scroller.getBoundingClientRect().top + scroller.clientTop + scroller.clientHeight;
    scroller.scrollTop -= viewBottom - row28.bottom - 2;
  });
  await expect(row(log, 28)).toBeInViewport({ ratio: 1 });
  await expect(row(log, 29)).not.toBeInViewport({ ratio: 1 });

  // Back in front: only what is on screen now is read. Had the hidden tab read 29 to 31, the server
  // would hold 31, since positions never move back.
  await setPageVisibility(grace.page, 'visible');
  await expect
    .poll(async () => (await serverReadState(grace.page, conversationId)).lastReadSeq)
    .toBeGreaterThanOrEqual(28);
  expect(await serverReadState(grace.page, conversationId)).toEqual({ lastReadSeq: 28, unreadCount: 3 });
  await expect(grace.page).toHaveTitle(/^\(3\) /);
  const adaLog = messageLog(ada.page, grace.displayName);
  await expect(row(adaLog, 28).getByRole('img', { name: 'Read', exact: true })).toBeVisible();
  await expect(row(adaLog, 29).getByRole('img', { name: 'Delivered', exact: true })).toBeVisible();
});

test('jumping back to a quoted message reads nothing new; scrolling down from it reads what comes into view', async ({
  signUp,
}) => {
  test.setTimeout(90_000);
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  const conversationId = openConversationId(ada.page);
  const old = await sendMessagesThroughSocket(ada, conversationId, numbered(40, 'Older note'));
  const link = conversationLink(grace.page, ada.displayName);
  await link.click();
  const log = messageLog(grace.page, ada.displayName);
  await grace.page.getByRole('button', { name: 'Jump to latest messages', exact: true }).click();
  await expect
    .poll(() => serverReadState(grace.page, conversationId))
    .toEqual({ lastReadSeq: 40, unreadCount: 0 });
  await grace.page.goto('/');

  // 30 new messages; the first quotes an old one that is far above it.
  const quoted = old[2]!;
  const [reply] = await sendMessagesThroughSocket(ada, conversationId, [
    { text: 'About that older note', replyToId: quoted.id },
  ]);
  expect(reply!.seq).toBe(41);
  await sendMessagesThroughSocket(ada, conversationId, numbered(29, 'Newer note'));
  await expect(link).toHaveAccessibleName(/30 unread messages/);

  await link.click();
  await expect(row(log, 41)).toBeInViewport();
  const landedAt = await highestWholeSeq(log);
  expect(landedAt).toBeLessThan(70);
  await expect
    .poll(() => serverReadState(grace.page, conversationId))
    .toEqual({ lastReadSeq: landedAt, unreadCount: 70 - landedAt });

  await row(log, 41).getByTestId('reply-quote').click();
  await expect(row(log, quoted.seq)).toBeInViewport();
  await expect(row(log, quoted.seq)).toHaveAttribute('data-highlighted', 'true');

  // Down again by less than a screen at a time, until a few messages past where the landing stopped
  // have been on screen. The server must then hold exactly the furthest of them: a jump that had
  // read the newer messages would have moved it further, and positions never move back.
  await log.hover();
  const height = await log.evaluate((scroller) => scroller.clientHeight);
  let furthest = 0;
  for (let step = 0; furthest < landedAt + 3; step += 1) {
    expect(step, `furthest seen ${furthest}`).toBeLessThan(200);
    await grace.page.mouse.wheel(0, Math.floor(height * 0.6));
    furthest = Math.max(furthest, await highestWholeSeq(log));
  }
  await expect
    .poll(() => serverReadState(grace.page, conversationId))
    .toEqual({ lastReadSeq: furthest, unreadCount: 70 - furthest });
});

test('a message read as it arrives is still read after an immediate reload', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  const conversationId = openConversationId(ada.page);
  await sendMessage(ada.page, 'Are you there?');
  await conversationLink(grace.page, ada.displayName).click();
  const log = messageLog(grace.page, ada.displayName);
  await waitForText(log, 'Are you there?');
  await expect
    .poll(() => serverReadState(grace.page, conversationId))
    .toEqual({ lastReadSeq: 1, unreadCount: 0 });

  // Read at the bottom as it arrives; the report would wait for its interval, the reload does not.
  await sendMessage(ada.page, 'Reload now!');
  await waitForText(log, 'Reload now!');
  await grace.page.reload();

  await waitForText(messageLog(grace.page, ada.displayName), 'Reload now!');
  expect(await serverReadState(grace.page, conversationId)).toEqual({ lastReadSeq: 2, unreadCount: 0 });
  await expect(grace.page.getByText('New messages', { exact: true })).toHaveCount(0);
});
