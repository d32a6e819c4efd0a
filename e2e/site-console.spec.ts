import {
  accountMenu,
  createGroup,
  expect,
  expectNoViolations,
  makeSiteAdmin,
  messageLog,
  messagesIn,
  sendMessage,
  test,
  switchLocale,
  VIEWPORTS,
} from './fixtures.js';
import { numbered, openConversationId, sendMessagesThroughSocket } from './seed.js';
import { screenshotPath } from './screenshots.js';

test.describe.configure({ timeout: 120_000 });

test('a site admin deactivates a user whose open session ends at once, and opens the usage charts', async ({
  signUp,
}) => {
  const root = await signUp('root', { displayName: 'Site Admin' });
  const mallory = await signUp('mallory', { displayName: 'Mallory Spammer' });
  await createGroup(mallory.page, 'Deals every hour', [root]);
  await sendMessage(mallory.page, 'Limited offer, click now');
  // Busy enough to be among the site's ten busiest groups (the e2e server's database is shared by
  // every spec, whose groups hold a few messages each): with one message it tied with others at the
  // bottom of the list, and fell out of it once another spec made more groups.
  await sendMessagesThroughSocket(mallory, openConversationId(mallory.page), numbered(20, 'Limited offer'));
  await makeSiteAdmin(root);

  // The console is in the account menu of admins only, and refused to others by the router and the server.
  await accountMenu(mallory.page, mallory).click();
  await expect(mallory.page.getByRole('menuitem', { name: 'Site console' })).toHaveCount(0);
  await mallory.page.keyboard.press('Escape');
  const refused = await mallory.page.request.get('/api/admin/users');
  expect(refused.status()).toBe(403);

  await accountMenu(root.page, root).click();
  await root.page.getByRole('menuitem', { name: 'Site console' }).click();
  await expect(root.page.getByRole('heading', { name: 'Site console' })).toBeVisible();
  await root.page.getByLabel('Search users').fill('mallory');
  await root.page.getByRole('button', { name: 'Search', exact: true }).click();
  const actions = root.page.getByRole('group', { name: `Actions for ${mallory.username}` });
  await expect(actions).toBeVisible();
  // Mallory has the app open: the list says she is online, not when she signed in.
  const malloryRow = root.page.getByRole('row').filter({ has: actions });
  await expect(malloryRow.getByRole('cell').nth(2)).toHaveText('Online');
  await expectNoViolations(root.page, 'the console’s users');

  root.page.once('dialog', (dialog) => void dialog.accept());
  await actions.getByRole('button', { name: 'Deactivate' }).click();
  await expect(actions.getByRole('button', { name: 'Reactivate' })).toBeVisible();
  // Mallory's open tab is signed out by the server's session:ended, with no reload.
  await expect(mallory.page.getByRole('button', { name: 'Log in', exact: true })).toBeVisible();
  await expect(mallory.page.getByText('Your session has ended')).toBeVisible();

  await root.page.getByRole('tab', { name: 'Usage' }).click();
  await expect(root.page.getByRole('img', { name: /^Messages per day \(last 30 days\): / })).toBeVisible();
  await expect(root.page.getByRole('img', { name: /^Active users per day/ })).toBeVisible();
  await expect(root.page.getByRole('listitem').filter({ hasText: 'Deals every hour' })).toBeVisible();
  // Beside them, bots and companions per day (talk-with-a-companion.spec.ts reads one): a chart, or
  // word that there are none yet, whichever this run's other specs left.
  const botActivity = root.page.getByTestId('bot-activity');
  await expect(
    botActivity
      .getByRole('img', { name: /^Bots and AI companions per day/ })
      .or(botActivity.getByText('No bots yet')),
  ).toBeVisible();
  await expectNoViolations(root.page, 'the console’s usage charts');

  // The audit log says what happened in words, and to whom by name; its filters take a username and
  // an action from a list.
  await root.page.getByRole('tab', { name: 'Audit log' }).click();
  const what = root.page.getByTestId('audit-what');
  await expect(what.filter({ hasText: 'Deactivated an account' })).toContainText(`@${mallory.username}`);
  await root.page.getByLabel('Action').selectOption({ label: 'Deactivated an account' });
  await root.page.getByLabel('Person affected (username)').fill(`@${mallory.username.toUpperCase()}`);
  await root.page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(what).toHaveCount(1);
  await expect(what).toContainText('site.user.deactivate');
  await root.page.getByLabel('Person affected (username)').fill('nobody-at-all');
  await root.page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(root.page.getByText('No entries match.')).toBeVisible();
  await root.page.getByLabel('Person affected (username)').fill('');
  await root.page.getByLabel('Action').selectOption({ label: 'Any action' });
  await root.page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(what.filter({ hasText: 'Deactivated an account' })).toBeVisible();
  await expectNoViolations(root.page, 'the audit log');

  await root.page.setViewportSize({ width: 1280, height: 860 });
  await root.page.getByRole('tab', { name: 'Usage' }).click();
  await expect(root.page.getByRole('img', { name: /^Messages per day/ })).toBeVisible();
  await expect(botActivity.getByRole('status')).toHaveCount(0);
  await root.page.screenshot({ path: screenshotPath('console-desktop') });

  await switchLocale(root.page, 'zh-CN');
  await root.page.getByRole('tab', { name: '用量' }).click();
  await expect(root.page.getByRole('img', { name: /^每日消息数/ })).toBeVisible();
  await expect(botActivity.getByRole('status')).toHaveCount(0);
  await root.page.screenshot({ path: screenshotPath('console-desktop.zh-CN') });
});

test('a member’s open tab shows live that a site admin archived the group, and unarchiving reopens it', async ({
  signUp,
}) => {
  const root = await signUp('keeper', { displayName: 'Site Keeper' });
  const reader = await signUp('reader');
  const groupName = `Archive ${reader.username}`;
  await createGroup(reader.page, groupName, [root]);
  await sendMessage(reader.page, 'Last words before the archive');
  await makeSiteAdmin(root);

  await accountMenu(root.page, root).click();
  await root.page.getByRole('menuitem', { name: 'Site console' }).click();
  await root.page.getByRole('tab', { name: 'Groups' }).click();
  await root.page.getByLabel('Search groups').fill(groupName);
  await root.page.getByRole('button', { name: 'Search', exact: true }).click();
  const actions = root.page.getByRole('group', { name: `Actions for ${groupName}` });
  await actions.getByRole('button', { name: 'Archive', exact: true }).click();
  await expect(actions.getByRole('button', { name: 'Unarchive', exact: true })).toBeVisible();

  // The reader's tab was open all along: the timeline and the composer change with no reload.
  const notices = reader.page.getByTestId('system-message');
  await expect(notices.filter({ hasText: 'archived the group: it is read-only now' })).toBeVisible();
  await expect(reader.page.getByTestId('composer-blocked')).toHaveText(
    'A site admin archived this group: you can read it, but nobody can send messages.',
  );
  await expect(reader.page.getByRole('textbox', { name: 'Message', exact: true })).toHaveCount(0);
  // Read-only: a message offers no reacting, replying, editing or deleting any more.
  const lastWords = messagesIn(messageLog(reader.page, groupName), 'Last words before the archive');
  await lastWords.getByTestId('message-bubble').hover();
  await expect(reader.page.getByTestId('system-message').last()).toBeVisible();
  await expect(lastWords.getByRole('toolbar', { name: 'Message actions' })).toHaveCount(0);
  await expect(lastWords.getByTestId('message-bubble')).not.toHaveAttribute('tabindex');
  await expectNoViolations(reader.page, 'an archived group');

  await actions.getByRole('button', { name: 'Unarchive', exact: true }).click();
  await expect(notices.filter({ hasText: 'unarchived the group' })).toBeVisible();
  await expect(reader.page.getByTestId('composer-blocked')).toHaveCount(0);
  await lastWords.getByTestId('message-bubble').hover();
  await expect(lastWords.getByRole('toolbar', { name: 'Message actions' })).toBeVisible();
  await sendMessage(reader.page, 'Back from the archive');
  // Stored by the server (it has a seq), not only shown as pending.
  await expect(messagesIn(messageLog(reader.page, groupName), 'Back from the archive')).toHaveAttribute(
    'data-seq',
    /^\d+$/,
  );
});

test('on a phone in Chinese, the console’s column headings, roles and statuses stay on one line', async ({
  signUp,
}) => {
  const root = await signUp('root', { displayName: 'Site Admin' });
  await makeSiteAdmin(root);
  await root.page.setViewportSize(VIEWPORTS.phone);
  await root.page.evaluate(() => localStorage.setItem('parley.locale', 'zh-CN'));
  await root.page.goto('/admin');
  await root.page.getByRole('searchbox', { name: '搜索用户' }).fill(root.username);
  await root.page.getByRole('button', { name: '搜索', exact: true }).click();
  const table = root.page.getByRole('table');
  const row = table.getByRole('row').filter({ hasText: `@${root.username}` });
  await expect(row.getByRole('cell', { name: '站点管理员', exact: true })).toBeVisible();

  /** How many lines the text of each matched element takes (one client rect per line box). */
  const lines = (cells: typeof table) =>
    cells.evaluateAll((elements) =>
      elements.map((element) => {
        const range = document.createRange();
        range.selectNodeContents(element);
        const tops = Array.from(range.getClientRects(), (rect) => Math.round(rect.top));
        return `${element.textContent?.trim()}: ${new Set(tops).size}`;
      }),
    );
  // Before, a narrow column broke Chinese after every character: 角 / 色, 站 / 点 / 管 / 理 / 员.
  expect(await lines(table.getByRole('columnheader'))).toEqual(
    ['名称', '角色', '最近在线', '状态', '操作'].map((heading) => `${heading}: 1`),
  );
  expect(await lines(row.getByRole('cell', { name: /^(站点管理员|正常)$/ }))).toEqual([
    '站点管理员: 1',
    '正常: 1',
  ]);
});
