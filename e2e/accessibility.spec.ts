import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from '@playwright/test';
import {
  conversationLink,
  createGroup,
  expect,
  literal,
  messageActions,
  messageLog,
  messagesIn,
  openDirectConversation,
  sendMessage,
  signUpIn,
  test,
  waitForText,
  type SignedInUser,
  VIEWPORTS,
} from './fixtures.js';

// Each test signs people up and runs axe-core several times (a few seconds a run on a busy machine).
test.describe.configure({ timeout: 90_000 });

// WCAG 2.1 levels A and AA, as axe-core tags them.
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe-core on what `page` shows now and fails listing each violation's rule, impact and targets.
 * `label-content-name-mismatch` (WCAG 2.5.3, label in name) is still marked experimental in axe-core,
 * so it is switched on by name.
 */
async function expectNoViolations(
  page: Page,
  screen: string,
  { labelInName = true }: { labelInName?: boolean } = {},
): Promise<void> {
  const results = await new AxeBuilder({ page })
    // options() replaces what withTags() set, so it comes first.
    .options({ rules: { 'label-content-name-mismatch': { enabled: labelInName } } })
    .withTags(WCAG_TAGS)
    .analyze();
  const found = results.violations.map(
    (violation) =>
      `${violation.id} (${violation.impact ?? 'unknown'}): ${violation.nodes
        .map(
          (node) =>
            `${node.target.join(' ')}${node.failureSummary ? ` — ${node.failureSummary.replace(/\s+/g, ' ')}` : ''}`,
        )
        .join(' | ')}`,
  );
  expect(found, `axe-core violations on ${screen}`).toEqual([]);
}

/** Ada and Grace in a direct conversation with messages both ways, a reaction and a read receipt. */
async function directConversationWithHistory(
  signUp: (name?: string) => Promise<SignedInUser>,
): Promise<{ ada: SignedInUser; grace: SignedInUser }> {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  await sendMessage(ada.page, 'Shall we ship on Friday? https://example.com/plan');
  await conversationLink(grace.page, ada.displayName).click();
  await sendMessage(grace.page, 'Friday works if QA signs off.');
  const adaLog = messageLog(ada.page, grace.displayName);
  await waitForText(adaLog, 'Friday works if QA signs off.');
  const toolbar = await messageActions(messagesIn(adaLog, 'Friday works'));
  await toolbar.getByRole('button', { name: 'React with 👍', exact: true }).click();
  await expect(
    messagesIn(adaLog, 'Friday works').getByRole('button', { name: /^👍 1, reacted by You$/ }),
  ).toBeVisible();
  // Grace has the conversation open, so Ada's message shows as read.
  await expect(adaLog.getByRole('img', { name: 'Read', exact: true })).toBeVisible();
  await ada.page.mouse.move(0, 0);
  return { ada, grace };
}

async function openAs(browser: Browser, user: SignedInUser, options: Parameters<Browser['newContext']>[0]) {
  const context = await browser.newContext({ ...options, storageState: await user.context.storageState() });
  const page = await context.newPage();
  return { context, page };
}

test('the log-in and registration pages have no axe-core violations', async ({ page }) => {
  await page.goto('/login');
  await expect(page.getByRole('button', { name: 'Log in', exact: true })).toBeVisible();
  await expectNoViolations(page, 'the log-in page');

  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page.getByText('This field is required.').first()).toBeVisible();
  await expectNoViolations(page, 'the log-in page with field errors');

  await page.goto('/register');
  await expect(page.getByRole('button', { name: 'Create account', exact: true })).toBeVisible();
  await expectNoViolations(page, 'the registration page');
});

test('the composer with emoji suggestions and its emoji picker have no axe-core violations', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const page = ada.page;
  await openDirectConversation(page, grace);
  await page.getByRole('textbox', { name: 'Message', exact: true }).pressSequentially('Nice :tad');
  await expect(
    page.getByRole('listbox', { name: 'Emoji suggestions' }).getByRole('option').first(),
  ).toBeVisible();
  await expectNoViolations(page, 'the composer with emoji suggestions');
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Insert emoji', exact: true }).click();
  await expect(page.locator('emoji-picker').getByRole('combobox')).toBeVisible();
  // As above: the picker's category tabs are icons, which the experimental label-in-name rule counts as text.
  await expectNoViolations(page, "the composer's emoji picker", { labelInName: false });
});

test('the "New message" and "New group" dialogs and a group conversation have no axe-core violations', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  const page = ada.page;

  await page.getByRole('button', { name: 'New message', exact: true }).click();
  const direct = page.getByRole('dialog', { name: 'New message' });
  await direct.getByRole('combobox', { name: 'Search people' }).fill(grace.username);
  await expect(direct.getByRole('option', { name: new RegExp(grace.displayName) })).toBeVisible();
  await expectNoViolations(page, 'the "New message" dialog with results');
  await page.keyboard.press('Escape');
  await expect(direct).toBeHidden();

  await page.getByRole('button', { name: 'New group', exact: true }).click();
  const group = page.getByRole('dialog', { name: 'New group' });
  await group.getByRole('combobox', { name: 'Add members' }).fill(grace.username);
  await expect(group.getByRole('option')).toHaveCount(1);
  await expectNoViolations(page, 'the "New group" dialog with results');
  // The first Escape closes the list of people, the second the dialog.
  await page.keyboard.press('Escape');
  await expect(group.getByRole('option')).toHaveCount(0);
  await page.keyboard.press('Escape');
  await expect(group).toBeHidden();

  await createGroup(page, 'Launch crew', [grace]);
  await sendMessage(page, 'Kick-off at ten.');
  await conversationLink(grace.page, 'Launch crew').click();
  await sendMessage(grace.page, 'On my way.');
  const log = messageLog(page, 'Launch crew');
  await waitForText(log, 'On my way.');
  await expect(log.getByRole('button', { name: 'Read by 1', exact: true })).toBeVisible();
  await expect(log.getByRole('article', { name: new RegExp(`^${literal(grace.displayName)} `) })).toHaveText(
    /On my way\./,
  );
  await expectNoViolations(page, 'a group conversation');
});

test.describe('a direct conversation with messages both ways, a reaction and a read receipt', () => {
  // One scene for the four tests in here (signing two people up and chatting is most of each one's
  // time): none of them changes what the server stores. The first opens the toolbar, menus and
  // dialogs on Ada's own page and confirms nothing; the others look through new browsers of Ada's.
  let scene: { ada: SignedInUser; grace: SignedInUser };
  test.beforeAll(async ({ browser }) => {
    scene = await directConversationWithHistory((name) => signUpIn(browser, name));
  });
  test.afterAll(async () => {
    await Promise.all([scene?.ada.context.close(), scene?.grace.context.close()]);
  });

  test('a direct conversation, its message actions, emoji picker and delete dialog have no axe-core violations', async () => {
    const { ada, grace } = scene;
    const page = ada.page;
    const log = messageLog(page, grace.displayName);
    await expectNoViolations(page, 'the chat screen');

    const toolbar = await messageActions(messagesIn(log, 'Shall we ship'));
    await expectNoViolations(page, 'the message toolbar');

    await toolbar.getByRole('button', { name: 'More actions', exact: true }).click();
    await expect(page.getByRole('menu')).toBeVisible();
    await expectNoViolations(page, 'the message actions menu');
    await page.keyboard.press('Escape');

    await (
      await messageActions(messagesIn(log, 'Shall we ship'))
    )
      .getByRole('button', { name: 'Add reaction', exact: true })
      .click();
    await expect(page.locator('emoji-picker')).toBeVisible();
    await expect(page.locator('emoji-picker').getByRole('combobox')).toBeVisible();
    // The picker (emoji-picker-element, in its shadow root) names its category tabs "Smileys and
    // emotion" and so on while showing one emoji each: an icon, not a text label, which the
    // experimental label-in-name rule still counts as text. Every other rule runs.
    await expectNoViolations(page, 'the emoji picker', { labelInName: false });
    await page.keyboard.press('Escape');

    await (
      await messageActions(messagesIn(log, 'Shall we ship'))
    )
      .getByRole('button', { name: 'Delete', exact: true })
      .click();
    await expect(page.getByRole('alertdialog', { name: 'Delete this message?' })).toBeVisible();
    await expectNoViolations(page, 'the delete dialog');
  });

  test('the conversation list and the chat screen have no axe-core violations on a phone (390×844)', async ({
    browser,
  }) => {
    const { ada, grace } = scene;
    const { context, page } = await openAs(browser, ada, { viewport: VIEWPORTS.phone });
    await page.goto('/');
    await expect(conversationLink(page, grace.displayName)).toBeVisible();
    await expectNoViolations(page, 'the conversation list on a phone');
    await conversationLink(page, grace.displayName).click();
    await waitForText(messageLog(page, grace.displayName), 'Friday works');
    await expectNoViolations(page, 'the chat screen on a phone');
    await context.close();
  });

  test('the chat screen has no axe-core violations in Chinese (zh-CN)', async ({ browser }) => {
    const { ada, grace } = scene;
    const { context, page } = await openAs(browser, ada, { locale: 'zh-CN' });
    await page.goto('/');
    await page.getByRole('link', { name: new RegExp(`^${literal(grace.displayName)}\\s`) }).click();
    await expect(page.getByRole('textbox', { name: '消息', exact: true })).toBeVisible();
    await waitForText(page.getByRole('log'), 'Friday works');
    await expectNoViolations(page, 'the chat screen in Chinese');
    await context.close();
  });

  test('the chat screen and a dialog have no axe-core violations in the dark theme', async ({ browser }) => {
    const { ada, grace } = scene;
    const { context, page } = await openAs(browser, ada, { colorScheme: 'dark' });
    await page.goto('/');
    await conversationLink(page, grace.displayName).click();
    await waitForText(messageLog(page, grace.displayName), 'Friday works');
    await expectNoViolations(page, 'the chat screen in the dark theme');
    await page.getByRole('button', { name: 'New message', exact: true }).click();
    await expect(page.getByRole('dialog', { name: 'New message' }).getByRole('option').first()).toBeVisible();
    await expectNoViolations(page, 'the "New message" dialog in the dark theme');
    await context.close();
  });
});

test('the group settings dialog, system messages and a muted member’s composer have no axe-core violations', async ({
  signUp,
}) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await createGroup(ada.page, 'Ops', [grace]);
  await ada.page.getByRole('button', { name: 'Group settings', exact: true }).click();
  const dialog = ada.page.getByRole('dialog', { name: 'Group settings' });
  const graceRow = dialog.getByTestId('group-members').locator(`li[data-username="${grace.username}"]`);
  await graceRow.getByRole('button', { name: 'Mute for 1 hour', exact: true }).click();
  await dialog.getByRole('button', { name: 'Create invite link', exact: true }).click();
  const invite = dialog.getByRole('textbox', { name: 'Invite link' });
  await expect(invite).toHaveCount(1);
  // "Copy link" puts the invite on the clipboard and says so.
  await ada.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await dialog.getByRole('button', { name: 'Copy link', exact: true }).click();
  await expect(ada.page.getByText('Copied to clipboard').first()).toBeVisible();
  expect(await ada.page.evaluate(() => navigator.clipboard.readText())).toBe(await invite.inputValue());
  await dialog.getByLabel('Pinned announcement').fill('Stand-up at nine.');
  await dialog.getByRole('button', { name: 'Save settings', exact: true }).click();
  await expect(dialog.getByRole('status').filter({ hasText: 'Settings saved.' })).toBeVisible();
  await expectNoViolations(ada.page, 'the group settings dialog');
  await ada.page.keyboard.press('Escape');

  await conversationLink(grace.page, 'Ops').click();
  await expect(grace.page.getByTestId('composer-blocked')).toBeVisible();
  await expect(grace.page.getByTestId('announcement')).toHaveText('Stand-up at nine.');
  await expect(grace.page.getByTestId('system-message')).toHaveCount(2);
  await expectNoViolations(grace.page, 'a muted member’s group with system messages');
});
