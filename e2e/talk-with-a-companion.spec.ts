import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { E2E_CHECK_IN, E2E_REPLY } from '../apps/server/test/helpers/scripted-model-texts.js';
import { E2E_BASE_URL } from './environment.js';
import {
  expect,
  makeSiteAdmin,
  messageLog,
  messagesIn,
  newAccount,
  openDirectConversation,
  sendMessage,
  test,
} from './fixtures.js';

// Screenshots for the docs go to docs/screenshots when PARLEY_UPDATE_SCREENSHOTS=1 (see group-chat.spec.ts).
const SCREENSHOT_DIR = fileURLToPath(
  new URL(
    process.env.PARLEY_UPDATE_SCREENSHOTS ? '../docs/screenshots/' : './.artifacts/screenshots/',
    import.meta.url,
  ),
);

// A check-in comes after at least a minute of silence (the shortest a companion allows).
test.describe.configure({ timeout: 180_000 });

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

  // Quiet for a minute: Mira checks in, once.
  await expect(messagesIn(log, E2E_CHECK_IN)).toBeVisible({ timeout: 120_000 });
  await expect(messagesIn(log, E2E_CHECK_IN)).toHaveCount(1);

  await sam.page.mouse.move(0, 0);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await sam.page.setViewportSize({ width: 1280, height: 800 });
  await sam.page.screenshot({ path: `${SCREENSHOT_DIR}companion-desktop.png` });
  await sam.page.setViewportSize({ width: 390, height: 844 });
  await sam.page.screenshot({ path: `${SCREENSHOT_DIR}companion-mobile.png` });

  await checkIns.uncheck();
  await expect(checkIns).not.toBeChecked();
  await sam.page.reload();
  await expect(
    sam.page.getByTestId('companion-bar').getByRole('checkbox', { name: 'Check-ins' }),
  ).not.toBeChecked();

  await sam.page.evaluate(() => localStorage.setItem('parley.locale', 'zh-CN'));
  await sam.page.reload();
  await expect(sam.page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(sam.page.getByTestId('companion-bar')).toContainText('AI 伙伴');
  await sam.page.mouse.move(0, 0);
  await sam.page.screenshot({ path: `${SCREENSHOT_DIR}companion-mobile.zh-CN.png` });
  await sam.page.setViewportSize({ width: 1280, height: 800 });
  await sam.page.screenshot({ path: `${SCREENSHOT_DIR}companion-desktop.zh-CN.png` });
});
