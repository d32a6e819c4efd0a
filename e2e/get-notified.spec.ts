import type { Page } from '@playwright/test';
import {
  accountMenu,
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
  VIEWPORTS,
  type SignedInUser,
} from './fixtures.js';
import { openConversationId } from './seed.js';
import { captureScreen, forEachScreen } from './screenshots.js';

interface Notice {
  title: string;
  body: string;
  tag: string;
  closed: boolean;
}

/**
 * Puts a recording stand-in for the browser's Notification in `user`'s tab and reloads it: a headless
 * browser has no notification centre to look at. It follows the Notifications API (permission
 * "default" until requestPermission, which grants; `new Notification(title, { body, tag })`; `close`;
 * `onclick`). The permission and what was shown (`notices`) are kept in sessionStorage, so they
 * outlast a reload as a browser's would; the live objects (for a click) are `window.__notices`.
 */
async function recordNotifications(user: SignedInUser): Promise<void> {
  await user.context.addInitScript(() => {
    const history = (): Notice[] => JSON.parse(sessionStorage.getItem('e2e.notices') ?? '[]') as Notice[];
    const live: RecordingNotification[] = [];
    class RecordingNotification {
      static get permission(): NotificationPermission {
        return (sessionStorage.getItem('e2e.notifications') as NotificationPermission | null) ?? 'default';
      }
      static async requestPermission(): Promise<NotificationPermission> {
        sessionStorage.setItem('e2e.notifications', 'granted');
        return 'granted';
      }
      readonly index: number;
      onclick: (() => void) | null = null;
      onclose: (() => void) | null = null;
      constructor(title: string, options: NotificationOptions = {}) {
        const shown = history();
        this.index = shown.length;
        shown.push({ title, body: options.body ?? '', tag: options.tag ?? '', closed: false });
        sessionStorage.setItem('e2e.notices', JSON.stringify(shown));
        live.push(this);
      }
      close(): void {
        const shown = history();
        shown[this.index]!.closed = true;
        sessionStorage.setItem('e2e.notices', JSON.stringify(shown));
        this.onclose?.();
      }
    }
    Object.defineProperty(window, 'Notification', { value: RecordingNotification, configurable: true });
    Object.defineProperty(window, '__notices', { value: live });
  });
  await user.page.reload();
}

/** Every notice `page`'s browser tab has shown, oldest first, and whether each was closed. */
const notices = (page: Page): Promise<Notice[]> =>
  page.evaluate(() => JSON.parse(sessionStorage.getItem('e2e.notices') ?? '[]') as Notice[]);

/** Clicks the newest notice shown since the tab last loaded. */
const clickNewestNotice = (page: Page) =>
  page.evaluate(() =>
    (window as unknown as { __notices: Array<{ onclick: () => void }> }).__notices.at(-1)!.onclick(),
  );

/** Turns desktop notifications on from the account menu, as a person would (the browser asks first). */
async function turnOnDesktopNotifications(user: SignedInUser): Promise<void> {
  await accountMenu(user.page, user).click();
  const item = user.page.getByRole('menuitemcheckbox', { name: 'Desktop notifications' });
  await expect(item).toHaveAttribute('aria-checked', 'false');
  await item.click();
  await expect(item).toHaveAttribute('aria-checked', 'true');
  await user.page.keyboard.press('Escape');
}

test('a message from someone else becomes a desktop notification that opens it, and a muted conversation stays quiet', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const ivan = await signUp('ivan');
  await openDirectConversation(ada.page, grace);
  const directId = openConversationId(ada.page);
  await createGroup(ivan.page, 'Night shift', [grace]);
  const groupId = openConversationId(ivan.page);

  await recordNotifications(grace);
  await turnOnDesktopNotifications(grace);
  // Grace is on the conversation list: neither conversation is on her screen.
  await sendMessage(ada.page, 'Are you coming tonight?');
  await expect
    .poll(() => notices(grace.page))
    .toEqual([
      {
        title: ada.displayName,
        body: 'Are you coming tonight?',
        tag: `parley-conversation-${directId}`,
        closed: false,
      },
    ]);

  // A click opens the conversation at that message, and the notice goes.
  await clickNewestNotice(grace.page);
  await expect(grace.page).toHaveURL(new RegExp(`/c/${directId}\\?seq=1$`));
  await expect(messagesIn(messageLog(grace.page, ada.displayName), 'Are you coming tonight?')).toBeVisible();
  expect((await notices(grace.page))[0]!.closed).toBe(true);

  // Muted for 8 hours: on every device, and said in the list.
  await muteOpenConversation(grace.page, 'Mute for 8 hours');
  await expect(conversationLink(grace.page, ada.displayName)).toContainText('Notifications muted');
  await grace.page.goto('/');

  await sendMessage(ada.page, 'Hello? Still there?');
  // Ivan writes once Ada's message is stored, so it reached Grace first (the server sends it to her
  // before it answers Ada): once his notice is up, Ada's has been passed over.
  await expect(messagesIn(messageLog(ada.page, grace.displayName), 'Hello? Still there?')).toHaveAttribute(
    'data-seq',
    /^\d+$/,
  );
  await sendMessage(ivan.page, 'Who has the keys?');
  await expect.poll(async () => (await notices(grace.page)).length).toBe(2);
  expect((await notices(grace.page))[1]).toEqual({
    title: 'Night shift',
    body: `${ivan.displayName}: Who has the keys?`,
    tag: `parley-conversation-${groupId}`,
    closed: false,
  });
  // The muted conversation's unread message leaves the tab's count alone; the group's counts.
  await expect(conversationLink(grace.page, ada.displayName)).toContainText('1 unread message');
  await expect(grace.page).toHaveTitle(/^\(1\) /);

  // Reading the group takes its notice away.
  await conversationLink(grace.page, 'Night shift').click();
  await expect(messagesIn(messageLog(grace.page, 'Night shift'), 'Who has the keys?')).toBeVisible();
  await expect.poll(async () => (await notices(grace.page))[1]!.closed).toBe(true);
  await expect(grace.page).toHaveTitle(/^(?!\()/);
});

/** Mutes the open conversation's notifications from the header's bell, with the menu item named `choice`. */
async function muteOpenConversation(page: Page, choice: string): Promise<void> {
  await page.getByRole('button', { name: 'Notifications', exact: true }).click();
  await page.getByRole('menuitemradio', { name: choice }).click();
  await expect(page.getByRole('button', { name: 'Notifications (muted)', exact: true })).toBeVisible();
}

/** Opens the open conversation's bell menu and expects `choice` (a name or pattern) alone checked. */
async function expectChecked(page: Page, choice: string | RegExp): Promise<void> {
  await page.getByTestId('conversation-notifications').click();
  const menu = page.getByRole('menu');
  await expect(menu.getByRole('menuitemradio', { checked: true })).toHaveAccessibleName(choice);
  await expect(menu.getByRole('menuitemradio', { checked: true })).toHaveCount(1);
}

test('the bell menu checks the choice in effect when reopened, also after a reload', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await createGroup(ada.page, 'Harbour walk', [grace]);
  const page = ada.page;
  const menu = page.getByRole('menu');

  await expectChecked(page, 'Notifications on');
  await expect(menu.getByRole('group', { name: 'Notifications' })).toBeVisible();
  await page.keyboard.press('Escape');

  // The server keeps when a timed mute ends, not the period: that is what is checked.
  await muteOpenConversation(page, 'Mute for 8 hours');
  await page.reload();
  await expectChecked(page, /^Muted until /);
  await expect(menu.getByRole('menuitemradio', { name: 'Mute for 8 hours' })).toHaveAttribute(
    'aria-checked',
    'false',
  );
  await expectNoViolations(page, 'the notification menu muted for 8 hours');
  await page.keyboard.press('Escape');

  await page.getByTestId('conversation-notifications').click();
  await menu.getByRole('menuitemradio', { name: 'Mute until I turn them back on' }).click();
  await expectChecked(page, 'Mute until I turn them back on');
  await expect(menu.getByRole('menuitemradio', { name: /^Muted until / })).toHaveCount(0);
  await menu.getByRole('menuitemradio', { name: 'Notifications on' }).click();
  await expect(page.getByRole('button', { name: 'Notifications', exact: true })).toBeVisible();
  await expectChecked(page, 'Notifications on');
});

test('screenshots of the notification menu on desktop and phone, in English and Chinese', async ({
  signUp,
}) => {
  const ada = await signUp('ada', { displayName: 'Ada Lovelace' });
  const grace = await signUp('grace', { displayName: 'Grace Hopper' });
  await createGroup(ada.page, 'Book club 读书会', [grace]);
  await createGroup(ada.page, 'Weekend trip 周末旅行', [grace]);
  await sendMessage(ada.page, 'Shall we take the train on Saturday?');
  const page = grace.page;
  await conversationLink(page, 'Book club 读书会').click();
  await muteOpenConversation(page, 'Mute for 1 week');
  await conversationLink(page, 'Weekend trip 周末旅行').click();
  await muteOpenConversation(page, 'Mute until I turn them back on');
  // Unread in the muted group: its badge is grey, and the list says it is muted.
  await conversationLink(ada.page, 'Book club 读书会').click();
  await sendMessage(ada.page, 'Next month: "The Left Hand of Darkness"');
  await sendMessage(ada.page, 'Who has a copy to lend?');
  await expect(conversationLink(page, 'Book club 读书会')).toContainText('2 unread messages');
  await forEachScreen(page, async (screen) => {
    await page.getByTestId('conversation-notifications').click();
    const menu = page.getByRole('menu');
    await expect(menu).toBeVisible();
    await captureScreen(page, 'notifications', 'the notification menu', screen);
    await page.keyboard.press('Escape');
    await expect(menu).toBeHidden();
  });
});

test('on a phone the notification menu keeps clear of the screen edges, its "muted until" line the longest', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await createGroup(ada.page, 'Harbour walk', [grace]);
  const page = ada.page;
  await page.setViewportSize(VIEWPORTS.phone);
  // A date and time in full: the widest the menu gets.
  await muteOpenConversation(page, 'Mute for 1 week');
  for (const locale of ['en', 'zh-CN'] as const) {
    if (locale !== 'en') await switchLocale(page, locale);
    await page.getByTestId('conversation-notifications').click();
    const menu = page.getByRole('menu');
    await expect(menu).toBeVisible();
    const box = (await menu.boundingBox())!;
    expect(box.x, `the menu's left edge (${locale})`).toBeGreaterThanOrEqual(8);
    expect(box.x + box.width, `the menu's right edge (${locale})`).toBeLessThanOrEqual(
      VIEWPORTS.phone.width - 8,
    );
    await page.keyboard.press('Escape');
    await expect(menu).toBeHidden();
  }
});
