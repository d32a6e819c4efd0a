import {
  conversationLink,
  createGroup,
  expect,
  expectNoViolations,
  literal,
  messageLog,
  openDirectConversation,
  personOption,
  sendMessage,
  test,
  waitForText,
  switchLocale,
} from './fixtures.js';
import { screenshotPath } from './screenshots.js';

/**
 * A system message's words: names in it are wrapped in bidi isolates (U+2068 … U+2069), which
 * may sit between any two characters of the pattern.
 */
function notice(text: string): RegExp {
  return new RegExp([...text].map(literal).join('[\\u2068\\u2069]*'));
}

test('an admin adds two members, promotes one, mutes and removes the other, and renames the group', async ({
  signUp,
}) => {
  const ada = await signUp('ada', { displayName: 'Ada Admin' });
  const ben = await signUp('ben', { displayName: 'Ben Helper' });
  const cy = await signUp('cy', { displayName: 'Cy Newcomer' });
  const group = 'Night shift';
  await createGroup(ada.page, group, []);

  // Add both through the group settings, by username search.
  await ada.page.getByRole('button', { name: 'Group settings', exact: true }).click();
  const dialog = ada.page.getByRole('dialog', { name: 'Group settings' });
  for (const person of [ben, cy]) {
    await dialog.getByRole('combobox', { name: 'Add members' }).fill(person.username);
    await personOption(dialog, person).click();
  }
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  const members = dialog.getByTestId('group-members');
  const row = (username: string) => members.locator(`li[data-username="${username}"]`);
  await expect(row(ben.username)).toBeVisible();
  await expect(row(cy.username)).toBeVisible();
  // Read as words, not run together: "(you) Owner".
  await expect(row(ada.username).locator('span').first()).toHaveText(`${ada.displayName} (you) Owner`);

  for (const person of [ben, cy]) {
    await conversationLink(person.page, group).click();
    await expect(person.page.getByRole('heading', { name: group, exact: true })).toBeVisible();
  }
  await waitForText(messageLog(ben.page, group), notice('Ada Admin added Ben Helper, Cy Newcomer'));

  // Promote Ben.
  await row(ben.username).getByRole('button', { name: 'Make admin', exact: true }).click();
  await expect(row(ben.username).getByTestId('member-role')).toHaveText('Admin');
  await waitForText(messageLog(cy.page, group), notice('Ada Admin made Ben Helper an admin'));

  // Mute Cy: she sees it in place of the composer, and in the timeline.
  await row(cy.username).getByRole('button', { name: 'Mute for 1 hour', exact: true }).click();
  await expect(cy.page.getByTestId('composer-blocked')).toHaveText(/You are muted in this group until/);
  await expect(cy.page.getByRole('textbox', { name: 'Message', exact: true })).toBeHidden();
  await waitForText(messageLog(cy.page, group), notice('Ada Admin muted Cy Newcomer until'));

  // Remove Cy: her open tab says so, and stops receiving the group; her header no longer lists
  // members she will hear nothing more of.
  const cyMemberLine = cy.page.locator('header').getByText(/^\d+ members/);
  await expect(cyMemberLine).toBeVisible();
  // Removing asks first, in her row; nothing happens until the answer.
  await row(cy.username).getByRole('button', { name: 'Remove', exact: true }).click();
  const question = row(cy.username).getByRole('group', {
    name: notice('Remove Cy Newcomer from the group? They can be added back.'),
  });
  await expect(question.getByRole('button', { name: 'Cancel', exact: true })).toBeFocused();
  await expectNoViolations(ada.page, 'asked before removing a member');
  await question.getByRole('button', { name: 'Remove', exact: true }).click();
  await expect(row(cy.username)).toBeHidden();
  await expect(cy.page.getByTestId('composer-blocked')).toHaveText(
    'You were removed from this group. What it showed you stays readable here until you reload or close the page.',
  );
  await expect(cyMemberLine).toBeHidden();
  await waitForText(messageLog(cy.page, group), notice('Ada Admin removed Cy Newcomer'));

  // Rename, seen live by Ben.
  await dialog.getByLabel('Group name').fill('Night shift crew');
  await dialog.getByRole('button', { name: 'Save settings', exact: true }).click();
  await expect(dialog.getByRole('status').filter({ hasText: 'Settings saved.' })).toBeVisible();
  await expect(ben.page.getByRole('heading', { name: 'Night shift crew', exact: true })).toBeVisible();
  await waitForText(messageLog(ben.page, 'Night shift crew'), notice('Ada Admin changed the group name to'));
  await ada.page.setViewportSize({ width: 1280, height: 900 });
  await ada.page.screenshot({ path: screenshotPath('group-settings') });
  await ada.page.keyboard.press('Escape');

  // A message after the removal reaches Ben; then one to Cy elsewhere, which she does receive, is the
  // barrier after which the group's message must not have reached her.
  await sendMessage(ada.page, 'Cy is not here any more');
  await waitForText(messageLog(ben.page, 'Night shift crew'), 'Cy is not here any more');
  await openDirectConversation(ada.page, cy);
  await sendMessage(ada.page, 'Sorry, Cy');
  await expect(conversationLink(cy.page, 'Ada Admin')).toBeVisible();
  await expect(messageLog(cy.page, group)).not.toContainText('Cy is not here any more');
  await expect(messageLog(cy.page, group)).toContainText(notice('Ada Admin removed Cy Newcomer'));

  // The settings dialog again in Chinese, for the documentation.
  await switchLocale(ada.page, 'zh-CN');
  await ada.page
    .getByRole('navigation', { name: '会话', exact: true })
    .getByRole('link', { name: /^Night shift crew/ })
    .click();
  await ada.page.getByRole('button', { name: '群设置', exact: true }).click();
  await expect(ada.page.getByRole('dialog', { name: '群设置' }).getByTestId('group-members')).toContainText(
    'Ben Helper',
  );
  await ada.page.screenshot({ path: screenshotPath('group-settings.zh-CN') });
});

test('an admin bans a member, finds them in the ban list, lifts the ban and adds them back', async ({
  signUp,
}) => {
  const ada = await signUp('ada', { displayName: 'Ada Admin' });
  const cy = await signUp('cy', { displayName: 'Cy Newcomer' });
  const group = 'Quiet corner';
  await createGroup(ada.page, group, [cy]);
  await conversationLink(cy.page, group).click();
  await expect(cy.page.getByRole('heading', { name: group, exact: true })).toBeVisible();

  // A member sees the settings, read-only, and is told why; the owner is not.
  await cy.page.getByRole('button', { name: 'Group settings', exact: true }).click();
  const cyDialog = cy.page.getByRole('dialog', { name: 'Group settings' });
  await expect(cyDialog.getByTestId('settings-read-only')).toHaveText(
    'Only the owner and admins can change these.',
  );
  await expect(cyDialog.getByLabel('Group name')).toBeDisabled();
  await expectNoViolations(cy.page, 'group settings as a member');
  await cy.page.keyboard.press('Escape');

  await ada.page.getByRole('button', { name: 'Group settings', exact: true }).click();
  const dialog = ada.page.getByRole('dialog', { name: 'Group settings' });
  await expect(dialog.getByTestId('settings-read-only')).toBeHidden();
  const members = dialog.getByTestId('group-members');
  const bansSection = dialog.getByRole('region', { name: 'Banned', exact: true });
  await expect(bansSection).toContainText('Nobody is banned.');

  const cyRow = members.locator(`li[data-username="${cy.username}"]`);
  await cyRow.getByRole('button', { name: 'Ban', exact: true }).click();
  // Cancelled, nothing happens; asked again and answered, she is banned.
  const question = cyRow.getByTestId('member-question');
  await expect(question).toHaveText(
    notice('Ban Cy Newcomer? They leave the group and cannot come back until the ban is lifted.BanCancel'),
  );
  await question.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(question).toBeHidden();
  await expect(cyRow.getByRole('button', { name: 'Ban', exact: true })).toBeFocused();
  await expect(bansSection).toContainText('Nobody is banned.');
  await cyRow.getByRole('button', { name: 'Ban', exact: true }).click();
  await question.getByRole('button', { name: 'Ban', exact: true }).click();
  const banned = dialog.getByTestId('group-bans').locator(`li[data-username="${cy.username}"]`);
  await expect(banned).toContainText('Cy Newcomer');
  await expect(banned).toContainText(notice('Banned by Ada Admin on'));
  await expect(cy.page.getByTestId('composer-blocked')).toHaveText(/You were banned from this group/);

  // While banned, adding her back is refused with the reason.
  const addMembers = dialog.getByRole('combobox', { name: 'Add members' });
  await addMembers.fill(cy.username);
  await personOption(dialog, cy).click();
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(dialog.getByRole('status').filter({ hasText: 'That person is banned' })).toBeVisible();

  await banned.getByRole('button', { name: notice('Unban Cy Newcomer') }).click();
  await expect(bansSection).toContainText('Nobody is banned.');
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(members.locator(`li[data-username="${cy.username}"]`)).toBeVisible();
  await expect(cy.page.getByRole('textbox', { name: 'Message', exact: true })).toBeVisible();
});

test('member actions from the keyboard keep focus on the pressed button, or in the list once the member is gone', async ({
  signUp,
}) => {
  const ada = await signUp('ada', { displayName: 'Ada Admin' });
  const ben = await signUp('ben', { displayName: 'Ben Helper' });
  const cy = await signUp('cy', { displayName: 'Cy Newcomer' });
  await createGroup(ada.page, 'Keyboard crew', [ben, cy]);
  await ada.page.getByRole('button', { name: 'Group settings', exact: true }).click();
  const dialog = ada.page.getByRole('dialog', { name: 'Group settings' });
  const row = (username: string) =>
    dialog.getByTestId('group-members').locator(`li[data-username="${username}"]`);

  // Make admin flips to Remove admin in place: the same button, still focused, so Enter undoes it.
  await row(ben.username).getByRole('button', { name: 'Make admin', exact: true }).focus();
  await ada.page.keyboard.press('Enter');
  await expect(row(ben.username).getByTestId('member-role')).toHaveText('Admin');
  await expect(row(ben.username).getByRole('button', { name: 'Remove admin', exact: true })).toBeFocused();
  await ada.page.keyboard.press('Enter');
  await expect(row(ben.username).getByTestId('member-role')).toHaveText('Member');
  await expect(row(ben.username).getByRole('button', { name: 'Make admin', exact: true })).toBeFocused();

  // Mute flips to Unmute the same way.
  await row(cy.username).getByRole('button', { name: 'Mute for 1 hour', exact: true }).focus();
  await ada.page.keyboard.press('Enter');
  await expect(row(cy.username).getByRole('button', { name: 'Unmute', exact: true })).toBeFocused();

  // Remove asks first with Cancel focused; Escape takes the question back (the dialog stays open)
  // and focus returns to Remove.
  const remove = row(cy.username).getByRole('button', { name: 'Remove', exact: true }).first();
  await remove.focus();
  await ada.page.keyboard.press('Enter');
  const question = row(cy.username).getByTestId('member-question');
  await expect(question.getByRole('button', { name: 'Cancel', exact: true })).toBeFocused();
  await expect(remove).toHaveAttribute('aria-expanded', 'true');
  await ada.page.keyboard.press('Escape');
  await expect(question).toBeHidden();
  await expect(dialog).toBeVisible();
  await expect(remove).toBeFocused();
  await expect(remove).toHaveAttribute('aria-expanded', 'false');

  // Removing Cy takes her row and its buttons away: focus goes to the member search, not out of the dialog.
  await ada.page.keyboard.press('Enter');
  await ada.page.keyboard.press('Shift+Tab');
  await expect(question.getByRole('button', { name: 'Remove', exact: true })).toBeFocused();
  await ada.page.keyboard.press('Enter');
  await expect(row(cy.username)).toHaveCount(0);
  await expect(dialog.getByRole('searchbox', { name: 'Search members' })).toBeFocused();
});
