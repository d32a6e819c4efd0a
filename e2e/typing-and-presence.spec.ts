import {
  conversationLink,
  createGroup,
  expect,
  messageLog,
  openDirectConversation,
  sendMessage,
  test,
  waitForText,
} from './fixtures.js';

test('Ada sees Grace typing, and the indicator goes away as soon as Grace sends', async ({ signUp }) => {
  const ada = await signUp('ada');
  const grace = await signUp('grace');
  await openDirectConversation(ada.page, grace);
  await conversationLink(grace.page, ada.displayName).click();

  const typing = ada.page.getByText(`${grace.displayName} is typing…`, { exact: true });
  await expect(typing).toHaveCount(0);

  await grace.page.getByRole('textbox', { name: 'Message', exact: true }).pressSequentially('On my way');
  await expect(typing).toBeVisible();

  await sendMessage(grace.page, 'On my way, five minutes.');
  await waitForText(messageLog(ada.page, grace.displayName), 'On my way, five minutes.');
  // Well inside the 6 s after which an indicator that is not refreshed expires on its own: this is the send.
  await expect(typing).toHaveCount(0, { timeout: 2_000 });
});

test('a new direct conversation shows that the other person is online, and when they were last seen once they leave', async ({
  signUp,
}) => {
  // Grace has been online a while (her own coming online was announced before Ada shared a conversation with her).
  const grace = await signUp('grace');
  const ada = await signUp('ada');
  await openDirectConversation(ada.page, grace);

  const peerStatus = ada.page.getByTestId('peer-status');
  await expect(peerStatus).toHaveText('Online');
  // A screen reader hears it once, under the name: the avatar's dot beside it says nothing more.
  expect(await ada.page.locator('main header').ariaSnapshot()).toBe(
    [
      `- heading "${grace.displayName}" [level=1]`,
      '- paragraph: Online',
      '- button "Search this conversation"',
      '- button "Notifications"',
    ].join('\n'),
  );

  await grace.context.close();
  await expect(peerStatus).toHaveText(/^Last seen /);

  // What Ada's browser was told is also what the server tells a fresh page.
  await ada.page.reload();
  await expect(peerStatus).toHaveText(/^Last seen /);
});

test('a group larger than the presence threshold counts who is online while it is open', async ({
  signUp,
}) => {
  // The e2e server treats groups of three or more as large (playwright.config.ts): their members are
  // not each other's contacts, and the open group is watched for them (presence:watch).
  const grace = await signUp('grace');
  const alan = await signUp('alan');
  const ada = await signUp('ada');
  await createGroup(ada.page, 'Night shift', [grace, alan]);

  const header = ada.page.locator('main header');
  await expect(header.getByText('2 online', { exact: true })).toBeVisible();
  await alan.context.close();
  await expect(header.getByText('1 online', { exact: true })).toBeVisible();

  // A fresh page is told too, once it opens the group.
  await ada.page.reload();
  await expect(header.getByText('1 online', { exact: true })).toBeVisible();
});
