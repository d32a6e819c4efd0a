import { AxeBuilder } from '@axe-core/playwright';
import { E2E_CHECK_IN, E2E_FAIL_ONCE, E2E_REPLY } from '../apps/server/test/helpers/scripted-model-texts.js';
import { E2E_BASE_URL } from './environment.js';
import {
  expect,
  expectNoViolations,
  letCheckInSilencePass,
  makeSiteAdmin,
  messageLog,
  messagesIn,
  newAccount,
  openDirectConversation,
  sendMessage,
  test,
  switchLocale,
  VIEWPORTS,
} from './fixtures.js';
import { screenshotPath } from './screenshots.js';

// One long walk through a chat and three screens of the console, with screenshots in two languages.
test.describe.configure({ timeout: 120_000 });

test('a person chats with an AI companion, sees its reply stream in, gets a check-in and turns check-ins off', async ({
  signUp,
}) => {
  const admin = await signUp('admin');
  await makeSiteAdmin(admin);
  const headers = { origin: E2E_BASE_URL };
  const mira = { ...newAccount('mira', { displayName: 'Mira' }) };
  const created = await admin.page.request.post('/api/admin/bots', {
    headers,
    data: { username: mira.username, displayName: mira.displayName, description: 'A kind companion' },
  });
  expect(created.status()).toBe(201);
  const botId = ((await created.json()) as { bot: { id: number } }).bot.id;
  const configured = await admin.page.request.put(`/api/admin/companions/${botId}`, {
    headers,
    data: {
      persona: 'You are Mira, a warm and curious companion.',
      greeting: 'Hi, I am Mira. What is on your mind today?',
      checkInMinutes: 1,
      checkInSkipWhileActive: false,
    },
  });
  expect(configured.status()).toBe(200);

  const sam = await signUp('sam');
  await openDirectConversation(sam.page, mira);
  // A bot's name is followed by its badge, heard as a word of its own, in the conversation's title too.
  const log = messageLog(sam.page, 'Mira (bot)');
  await expect(messagesIn(log, 'Hi, I am Mira. What is on your mind today?')).toBeVisible();
  const bar = sam.page.getByTestId('companion-bar');
  await expect(bar).toContainText('AI companion');
  // It is told what the companion is given: the text alone.
  await expect(bar.getByTestId('companion-text-only')).toHaveText(
    'Reads the text of messages only, not photos, files or voice messages.',
  );
  const checkIns = bar.getByRole('checkbox', { name: 'Check-ins' });
  await expect(checkIns).toBeChecked();

  await sendMessage(sam.page, 'Hello Mira, I had a long day.');
  // The reply grows in place: first part of it with the writing indicator, then all of it without.
  const reply = messagesIn(log, /^Hello!/);
  await expect(reply.getByTestId('message-streaming')).toBeVisible();
  await expect(reply).not.toContainText(E2E_REPLY);
  await expect(reply).toContainText(E2E_REPLY);
  await expect(reply.getByTestId('message-streaming')).toHaveCount(0);
  await expect(reply).not.toContainText('edited');
  await expect(messagesIn(log, /^Hello!/)).toHaveCount(1);

  const results = await new AxeBuilder({ page: sam.page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  expect(results.violations.map((v) => v.id)).toEqual([]);

  // Quiet for the minute Mira waits (made to pass at once: the wait itself is the server tests'):
  // Mira checks in, once.
  expect(await letCheckInSilencePass(sam, mira)).toBe(1);
  await expect(messagesIn(log, E2E_CHECK_IN)).toBeVisible();
  await expect(messagesIn(log, E2E_CHECK_IN)).toHaveCount(1);

  await sam.page.mouse.move(0, 0);
  await sam.page.setViewportSize(VIEWPORTS.desktop);
  await sam.page.screenshot({ path: screenshotPath('companion-desktop') });
  await sam.page.setViewportSize(VIEWPORTS.phone);
  await sam.page.screenshot({ path: screenshotPath('companion-mobile') });

  // The site console: Mira among the companions with its check-in policy; quiet hours set there.
  await admin.page.goto('/admin');
  await admin.page.getByRole('tab', { name: 'Companions' }).click();
  const row = admin.page.getByTestId('companion-row').filter({ hasText: '@' + mira.username });
  await expect(row.getByTestId('companion-policy')).toHaveText('After 1 min of silence');
  await expect(row.getByTestId('companion-quiet')).toHaveText('None');
  await row.getByRole('button', { name: 'Edit Mira' }).click();
  const form = admin.page.getByRole('form', { name: 'Configure a companion' });
  await expect(form.getByRole('combobox', { name: 'Bot', exact: true })).toHaveValue(String(botId));
  await form.getByRole('checkbox', { name: 'Quiet hours' }).check();
  await form.getByLabel('From').fill('22:00');
  await form.getByLabel('Until').fill('07:00');
  await form.getByRole('button', { name: 'Save companion' }).click();
  await expect(form.getByRole('status')).toHaveText('Mira saved.');
  await expect(row.getByTestId('companion-quiet')).toHaveText('22:00–07:00');
  await expectNoViolations(admin.page, 'the console’s companions');

  // Beside the usage charts: what Mira received and sent, per day.
  await admin.page.getByRole('tab', { name: 'Usage' }).click();
  const activity = admin.page.getByTestId('bot-activity');
  // Other specs' bots count on the same server: Mira alone, picked from the list.
  await activity.getByLabel('Show').selectOption({ label: `Mira (@${mira.username})` });
  // Sam's message received; the greeting, the reply and the check-in sent; one of them a check-in.
  await expect(
    activity.getByRole('img', {
      name: /^Bots and AI companions per day \(last 30 days\): messages received 1, replies sent 3, check-ins sent 1, failures 0$/,
    }),
  ).toBeVisible();
  await activity.getByText('Show the numbers as a table').click();
  await expect(activity.getByRole('row').nth(1)).toHaveText(/^\d{2}-\d{2}\s*1\s*3\s*1\s*0$/);
  await expectNoViolations(admin.page, 'the console’s bot activity');
  await admin.page.setViewportSize({ width: 1280, height: 1250 });
  await activity.scrollIntoViewIfNeeded();
  await admin.page.screenshot({ path: screenshotPath('console-bot-activity-desktop') });
  await admin.page.setViewportSize(VIEWPORTS.phone);
  await activity.scrollIntoViewIfNeeded();
  await admin.page.screenshot({ path: screenshotPath('console-bot-activity-phone') });
  await expectNoViolations(admin.page, 'the console’s bot activity on a phone');
  await switchLocale(admin.page, 'zh-CN');
  await admin.page.getByRole('tab', { name: '用量' }).click();
  await activity.getByLabel('显示').selectOption({ label: `Mira (@${mira.username})` });
  await expect(activity.getByRole('img', { name: /^机器人与 AI 伙伴每日互动.*收到 1 条消息/ })).toBeVisible();
  await activity.scrollIntoViewIfNeeded();
  await admin.page.screenshot({ path: screenshotPath('console-bot-activity-phone.zh-CN') });
  await admin.page.setViewportSize({ width: 1280, height: 1250 });
  await activity.scrollIntoViewIfNeeded();
  await admin.page.screenshot({ path: screenshotPath('console-bot-activity-desktop.zh-CN') });

  await checkIns.uncheck();
  await expect(checkIns).not.toBeChecked();
  await sam.page.reload();
  await expect(
    sam.page.getByTestId('companion-bar').getByRole('checkbox', { name: 'Check-ins' }),
  ).not.toBeChecked();

  await switchLocale(sam.page, 'zh-CN');
  await expect(sam.page.getByTestId('companion-bar')).toContainText('AI 伙伴');
  await sam.page.mouse.move(0, 0);
  await sam.page.screenshot({ path: screenshotPath('companion-mobile.zh-CN') });
  await sam.page.setViewportSize(VIEWPORTS.desktop);
  await sam.page.screenshot({ path: screenshotPath('companion-desktop.zh-CN') });
});

test('a companion reply that fails says why in its bubble and in the list, and Try again answers', async ({
  signUp,
}) => {
  const admin = await signUp('admin');
  await makeSiteAdmin(admin);
  const headers = { origin: E2E_BASE_URL };
  const nova = newAccount('nova', { displayName: 'Nova' });
  const created = await admin.page.request.post('/api/admin/bots', {
    headers,
    data: { username: nova.username, displayName: nova.displayName },
  });
  const botId = ((await created.json()) as { bot: { id: number } }).bot.id;
  const configured = await admin.page.request.put(`/api/admin/companions/${botId}`, {
    headers,
    data: { persona: 'You are Nova.', greeting: '', checkInMinutes: 0 },
  });
  expect(configured.status()).toBe(200);

  const lee = await signUp('lee');
  await openDirectConversation(lee.page, nova);
  const log = messageLog(lee.page, 'Nova (bot)');
  await sendMessage(lee.page, `Could you ${E2E_FAIL_ONCE}?`);
  const failed = messagesIn(log).filter({ has: lee.page.getByTestId('message-generation-error') });
  // Why, where the text would be, with its time in the same bubble; the list says it too.
  await expect(failed.getByTestId('message-generation-error')).toHaveText(
    // The button beside it says what to do: the sentence does not say it again.
    "Couldn't answer: the AI model returned an error.",
  );
  await expect(failed.getByTestId('message-bubble').locator('time')).toBeVisible();
  await expect(lee.page.getByRole('navigation', { name: 'Conversations' })).toContainText("Couldn't answer");
  await expectNoViolations(lee.page, 'a failed companion reply');

  await failed.getByRole('button', { name: 'Try again', exact: true }).click();
  await expect(messagesIn(log, E2E_REPLY)).toBeVisible();
  await expect(lee.page.getByTestId('message-generation-error')).toHaveCount(0);
});
